"""PDF export in the background: ``core.report.report_visit`` on its own store connection
(SQLite connections stay on the thread that opened them)."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.workers.base import Worker


class ReportWorker(Worker):
    """``result(Path)`` of the written PDF; ``error(str)`` in one sentence otherwise."""

    def __init__(self, db_path: str | Path, visit_id: int, out: str | Path, blur_faces: bool = True) -> None:
        super().__init__()
        self.db_path, self.visit_id, self.out, self.blur_faces = Path(db_path), int(visit_id), Path(out), blur_faces

    def work(self) -> Path:
        from scoliscreen.core.report import report_visit
        from scoliscreen.core.store import Store

        with Store.open(self.db_path) as store:
            return report_visit(store, self.visit_id, self.out, blur_faces=self.blur_faces)
