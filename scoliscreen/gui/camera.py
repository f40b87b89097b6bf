"""Choosing a camera by name, with a live preview (the settings dialog).

Names come from Qt Multimedia (``QMediaDevices.videoInputs()``, in the system's order, which is
the order OpenCV numbers them on the usual back ends) where available, else "Camera N". The
preview runs a :class:`~scoliscreen.workers.live.LiveWorker` without pose estimation.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from scoliscreen.gui.frame_view import FrameView

FALLBACK_CAMERAS = 4  # "Camera 0".."Camera 3" when the system names none


def camera_names() -> list[str]:
    """The system's camera names (index = position), or [] when Qt Multimedia names none."""
    try:
        from PySide6.QtMultimedia import QMediaDevices

        return [d.description() or f"Camera {i}" for i, d in enumerate(QMediaDevices.videoInputs())]
    except Exception:  # noqa: BLE001 - no multimedia back end: fall back to numbers
        return []


class CameraChooser(QWidget):
    """A combo of camera names (``value()`` / ``setValue(index)`` like a spin box) and a
    Preview button that shows the chosen camera live below it."""

    def __init__(self, index: int = 0, names: list[str] | None = None, parent=None):
        super().__init__(parent)
        self.names = camera_names() if names is None else list(names)
        self.combo = QComboBox()
        labels = self.names or [f"Camera {i}" for i in range(FALLBACK_CAMERAS)]
        for i, label in enumerate(labels):
            self.combo.addItem(label, i)
        self.preview_btn = QPushButton("Preview")
        self.preview_btn.setCheckable(True)
        self.preview_btn.toggled.connect(self._toggle_preview)
        self.view = FrameView()
        self.view.setMinimumSize(240, 135)
        self.view.set_message("Press Preview to check the camera.")
        self.view.hide()
        self.error = ""
        self._handle = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.preview_btn)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(row)
        col.addWidget(self.view)
        self.combo.currentIndexChanged.connect(self._restart_preview)
        self.setValue(index)

    def value(self) -> int:
        return int(self.combo.currentData())

    def setValue(self, index: int) -> None:  # noqa: N802 - the QSpinBox API it replaces
        pos = self.combo.findData(int(index))
        if pos < 0:
            self.combo.addItem(f"Camera {int(index)}", int(index))
            pos = self.combo.count() - 1
        self.combo.setCurrentIndex(pos)

    # ---- preview -------------------------------------------------------------------------------
    def _toggle_preview(self, on: bool) -> None:
        self.stop_preview()
        if on:
            self.start_preview()

    def _restart_preview(self) -> None:
        if self.preview_btn.isChecked():
            self.stop_preview()
            self.start_preview()

    def start_preview(self) -> None:
        from scoliscreen.workers.base import start_worker
        from scoliscreen.workers.live import LiveWorker

        worker = LiveWorker(self.value(), pose=False)
        worker.frame_ready.connect(self._on_frame)
        worker.error.connect(self._on_error)
        self.error = ""
        self.view.show()
        self.view.set_image(None)
        self.view.set_message("Starting the camera…")
        self._handle = start_worker(worker, "camera-preview")

    def _on_frame(self, _index: int, _ts: float, image) -> None:
        self.view.set_message("")
        self.view.set_image(image)

    def _on_error(self, text: str) -> None:
        self.error = text
        self.view.set_image(None)
        self.view.set_message("This camera cannot be opened.")

    def stop_preview(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.stop(5000)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.stop_preview()
        self.preview_btn.blockSignals(True)
        self.preview_btn.setChecked(False)
        self.preview_btn.blockSignals(False)
        super().hideEvent(event)

