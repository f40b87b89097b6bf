"""User settings (QSettings): camera index, compute device, data folder, recent files; and their dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
    QPushButton, QWidget,
)

from scoliscreen.core.constants import DEVICE_LABELS
from scoliscreen.core.constants import DEVICES as DEVICE_CODES

ORGANIZATION = "ScoliScreen"
APPLICATION = "ScoliScreen"
DEVICES = tuple((code, DEVICE_LABELS[code]) for code in DEVICE_CODES)  # the CLI's --device choices
_OLD_NAMES = {"gpu": "cuda"}  # settings written by earlier versions


class AppSettings:
    """Typed access to the app's QSettings."""

    def __init__(self, qsettings: QSettings | None = None):
        if qsettings is None:  # INI everywhere: one readable file, and tests redirect it with QSettings.setPath
            qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        self.q = qsettings

    @property
    def camera_index(self) -> int:
        return int(self.q.value("camera/index", 0))

    @camera_index.setter
    def camera_index(self, value: int) -> None:
        self.q.setValue("camera/index", int(value))

    @property
    def device(self) -> str:
        value = str(self.q.value("compute/device", "auto"))
        value = _OLD_NAMES.get(value, value)
        return value if value in DEVICE_CODES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.q.setValue("compute/device", value if value in DEVICE_CODES else "auto")

    @property
    def data_folder(self) -> Path:
        """Where patient records and recordings are kept (default: the user data dir)."""
        value = str(self.q.value("data/folder", "") or "")
        if value:
            return Path(value)
        from scoliscreen.core.paths import user_data_dir

        return user_data_dir()

    @data_folder.setter
    def data_folder(self, value: str | Path) -> None:
        self.q.setValue("data/folder", str(value))

    @property
    def recent_files(self) -> list[str]:
        """Videos opened lately, newest first."""
        value = self.q.value("files/recent", []) or []
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value if v]

    def add_recent(self, path: str, keep: int = 8) -> None:
        files = [path] + [p for p in self.recent_files if p != path]
        self.q.setValue("files/recent", files[:keep])

    def sync(self) -> None:
        self.q.sync()


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        from scoliscreen.gui.camera import CameraChooser

        self.camera = CameraChooser(settings.camera_index)  # by name, with a preview
        self.device = QComboBox()
        for code, name in DEVICES:
            self.device.addItem(name, code)
        self.device.setCurrentIndex([c for c, _ in DEVICES].index(settings.device))
        self.folder = QLineEdit(str(settings.data_folder))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QWidget()
        h = QHBoxLayout(folder_row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.folder, 1)
        h.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Camera", self.camera)
        form.addRow("Compute device", self.device)
        form.addRow("Data folder", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def apply(self) -> None:
        """Write the dialog's values to the settings."""
        self.settings.camera_index = self.camera.value()
        self.settings.device = str(self.device.currentData())
        if self.folder.text().strip():
            self.settings.data_folder = self.folder.text().strip()
        self.settings.sync()
