"""The visit's "Export visit as" menu: every interop format (docs/interop.md) with a short line on
what it is for. Ask (a save dialog; tests skip it), then do (:meth:`ExportMenu.export`, a
worker); enabled whenever the PDF export is (a stored visit is shown)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from scoliscreen.workers.base import start_worker


class ExportMenu(QObject):
    """Signals ``exported(fmt, path)`` and ``failed(text)``."""

    exported = Signal(str, str)
    failed = Signal(str)

    def __init__(self, controller, file_menu: QMenu) -> None:
        from scoliscreen.core.interop import FORMATS

        super().__init__(controller)
        self.c, self.w = controller, controller.w
        self._handle = None
        self.menu = QMenu("Export &visit as", self.w)
        self.menu.setToolTipsVisible(True)
        self.actions: dict[str, QAction] = {}
        for name, spec in FORMATS.items():
            label = {"fhir": "FHIR", "dicom": "DICOM", "c3d": "C3D", "trc": "TRC", "openpose": "OpenPose",
                     "csv": "CSV"}[name]
            act = QAction(f"{label} — {spec.purpose}", self.w)
            act.setToolTip(spec.purpose)
            act.setStatusTip(spec.purpose)
            act.triggered.connect(lambda _c=False, n=name: self.export_current(n))
            self.menu.addAction(act)
            self.actions[name] = act
        acts = file_menu.actions()  # right after "Export report…"
        i = acts.index(controller.export_action) if controller.export_action in acts else len(acts) - 1
        if i + 1 < len(acts):
            file_menu.insertMenu(acts[i + 1], self.menu)
        else:
            file_menu.addMenu(self.menu)
        self._follow()
        controller.export_action.changed.connect(self._follow)

    def _follow(self) -> None:
        self.menu.setEnabled(self.c.export_action.isEnabled())

    def ask_path(self, visit_id: int, fmt: str) -> str | None:
        from scoliscreen.core.interop import FORMATS

        suffix = FORMATS[fmt].suffix
        v = self.c.store().get_visit(visit_id)
        name = f"scoliscreen_visit{visit_id}_{v.get('pseudonym') or 'quick'}_{fmt}{suffix}".replace(" ", "_")
        what = f"{fmt.upper()} (*{suffix})" if suffix else "Folder (a new folder of that name)"
        path, _ = QFileDialog.getSaveFileName(self.w, f"Export the visit as {fmt}", str(Path.home() / name), what)
        if path and suffix and not path.lower().endswith(suffix):
            path += suffix
        return path or None

    def export(self, visit_id: int, fmt: str, out: str | Path) -> bool:
        from scoliscreen.workers.export import ExportWorker

        if self._handle is not None:
            self.w.show_message("warning", "Export", "An export is being written; wait a moment.")
            return False
        store = self.c.store()
        if store is None or store.path is None:
            return False
        worker = ExportWorker(store.path, visit_id, fmt, out)
        worker.result.connect(lambda path, f=fmt: self._done(f, path))
        worker.error.connect(self._failed)
        worker.finished.connect(self._finished)
        self.w.statusBar().showMessage(f"Writing the {fmt} export of visit {visit_id}…")
        self._handle = start_worker(worker, "export")
        return True

    def export_current(self, fmt: str) -> None:
        vid = self.c.current_visit_id
        if vid is None:
            return
        out = self.ask_path(vid, fmt)
        if out:
            self.export(vid, fmt, out)

    def _done(self, fmt: str, path) -> None:
        self.w.statusBar().showMessage(f"{fmt} export written: {path}", 8000)
        self.exported.emit(fmt, str(path))

    def _failed(self, text: str) -> None:
        self.w.statusBar().clearMessage()
        self.w.show_message("error", "Export", text)
        self.failed.emit(text)

    def _finished(self) -> None:
        self._handle = None
