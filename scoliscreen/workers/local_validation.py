"""``validate-local`` in the background: :func:`scoliscreen.app.local_validation.validate_local`
on its own store connection (SQLite connections stay on the thread that opened them), with the
model the window uses. It re-screens every counted visit from its stored pose sequence (seconds).

Signals: ``progress(done, total)`` per visit screened; ``result(dict)`` -- exactly what
``validate-local --json`` prints; ``error(str)`` in one sentence; ``cancelled()``.
"""

from __future__ import annotations

from pathlib import Path

from scoliscreen.workers.base import Worker


class LocalValidationWorker(Worker):
    def __init__(self, db_path: str | Path, *, model_dir: str | Path | None = None, device: str = "auto",
                 sources: tuple[str, ...] | None = None, since: str | None = None, all_visits: bool = False,
                 n_boot: int = 1000) -> None:
        super().__init__()
        self.db_path, self.model_dir, self.device = Path(db_path), model_dir, device
        self.sources, self.since, self.all_visits, self.n_boot = sources, since or None, all_visits, n_boot

    def _progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)
        self.check_cancel()  # between visits: a cancel stops the re-screening

    def work(self) -> dict:
        from scoliscreen.app.local_validation import outcome_visits, validate_local
        from scoliscreen.app.models import shared_screener
        from scoliscreen.core.errors import InputError
        from scoliscreen.core.store import Store
        from scoliscreen.core.store_outcomes import OUTCOME_SOURCES

        sources = self.sources or OUTCOME_SOURCES
        if not self.db_path.exists():
            raise InputError("There are no patient records yet: screen and save visits, then add their outcomes.")
        with Store.open(self.db_path) as store:
            if not outcome_visits(store, sources=sources, since=self.since, all_visits=self.all_visits):
                raise InputError("No screened visit has a recorded outcome from these sources yet: add outcomes "
                                 "in History (select a visit, then Add outcome…).")
            self.progress.emit(0, 0)  # loading the model
            screener = shared_screener(self.device, self.model_dir)
            self.check_cancel()
            return validate_local(store, screener, sources=sources, since=self.since, all_visits=self.all_visits,
                                  n_boot=self.n_boot, progress=self._progress)
