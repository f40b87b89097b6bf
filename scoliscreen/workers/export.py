"""Interop export in the background: ``app.interop.export_visit`` on its own store connection."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.workers.base import Worker


class ExportWorker(Worker):
    """``result(Path)`` of the written file or folder; ``error(str)`` in one sentence otherwise."""

    def __init__(self, db_path: str | Path, visit_id: int, fmt: str, out: str | Path) -> None:
        super().__init__()
        self.db_path, self.visit_id, self.fmt, self.out = Path(db_path), int(visit_id), fmt, Path(out)

    def work(self) -> Path:
        from scoliscreen.app.interop import export_visit
        from scoliscreen.core.store import Store

        with Store.open(self.db_path) as store:
            return export_visit(store, self.visit_id, self.fmt, self.out)
