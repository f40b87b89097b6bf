"""Choose the screening model: the shipped one or a local model folder (``scoliscreen recalibrate``
or ``train`` output). The folders are remembered in QSettings (``models/local_folders``, and the
active one in ``models/active``, "" = shipped).

Every entry is named as loading it would name it (``app.model_choice.describe_model_folder``):
a local model is always "local model sha256:…", never the shipped name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
    QVBoxLayout,
)

from scoliscreen.app.model_choice import ModelChoice, describe_model_folder
from scoliscreen.gui.style import MUTED

KEY_FOLDERS = "models/local_folders"
KEY_ACTIVE = "models/active"


def local_folders(settings) -> list[str]:
    value = settings.q.value(KEY_FOLDERS, []) or []
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in value if v]


def set_local_folders(settings, folders: list[str]) -> None:
    settings.q.setValue(KEY_FOLDERS, list(dict.fromkeys(folders)))


def active_folder(settings) -> str:
    """The remembered model folder ("" = the shipped model)."""
    return str(settings.q.value(KEY_ACTIVE, "") or "")


def set_active_folder(settings, folder: str | Path | None) -> None:
    settings.q.setValue(KEY_ACTIVE, str(folder) if folder else "")
    settings.sync()


def choice_text(choice: ModelChoice) -> str:
    """One line for a model: its kind and name (from the provenance), the folder, any problem."""
    if choice.folder is None and choice.is_shipped:
        text = f"Shipped model — {choice.model_version}"
    elif choice.usable:
        text = f"{'Shipped model' if choice.is_shipped else 'Local model'} — {choice.model_version}"
    else:
        text = "Cannot be used"
    if choice.folder is not None:
        text += f"\n    {choice.folder}"
    if choice.problem:
        text += f"\n    {choice.problem}"
    return text


class ModelSwitcherDialog(QDialog):
    """The shipped model and the remembered local folders; OK makes the selected one active.
    ``chosen``: the selected :class:`ModelChoice` once accepted."""

    def __init__(self, settings, current: str | Path | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.chosen: ModelChoice | None = None
        self.setWindowTitle("Screening model")
        self.setAccessibleName("Screening model")
        self.resize(760, 380)
        intro = QLabel("Which model screens new analyses. A local model (recalibrated or trained on this "
                       "clinic's outcomes) is always named as local, by its own hash.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Screening models")
        self.list.itemDoubleClicked.connect(lambda _i: self.accept_current())
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.add_btn = QPushButton("&Add local model folder…")
        self.add_btn.setAccessibleName("Add a local model folder")
        self.add_btn.clicked.connect(self.add_with_dialog)
        self.remove_btn = QPushButton("&Forget folder")
        self.remove_btn.setAccessibleName("Forget the selected local model folder")
        self.remove_btn.clicked.connect(self.forget_selected)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {MUTED};")
        self.message.setAccessibleName("Model message")
        row = QHBoxLayout()
        row.addWidget(self.add_btn)
        row.addWidget(self.remove_btn)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Use this model")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setAccessibleName("Use the selected model")
        self.buttons.accepted.connect(self.accept_current)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.ask_folder: Callable[[], str | None] = self._ask_folder  # tests replace it
        self.reload(str(current) if current else "")
        self.list.setFocus()

    def reload(self, select: str = "") -> None:
        self.list.clear()
        for folder in [None, *local_folders(self.settings)]:
            choice = describe_model_folder(folder)
            item = QListWidgetItem(choice_text(choice))
            item.setData(Qt.ItemDataRole.UserRole, choice)
            item.setToolTip(choice.problem or choice.model_version)
            if not choice.usable:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.list.addItem(item)
            if (folder or "") == select:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None:
            self.list.setCurrentRow(0)
        self._update_buttons()

    def choices(self) -> list[ModelChoice]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def current_choice(self) -> ModelChoice | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        c = self.current_choice()
        self.remove_btn.setEnabled(c is not None and c.folder is not None)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(c is not None and c.usable)

    def _ask_folder(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, "Local model folder", str(Path.home()))
        return folder or None

    def add_with_dialog(self) -> ModelChoice | None:
        folder = self.ask_folder()
        return self.add_folder(folder) if folder else None

    def add_folder(self, folder: str | Path) -> ModelChoice | None:
        """Remember ``folder`` when it holds a usable model; else say why in one line."""
        folder = str(Path(folder).resolve())
        choice = describe_model_folder(folder)
        if not choice.usable:
            self.message.setText(f"Not added: {choice.problem}")
            return None
        set_local_folders(self.settings, [*local_folders(self.settings), folder])
        self.settings.sync()
        self.reload(folder)
        self.message.setText(f"Added: {choice.model_version}" + (" (the shipped model)." if choice.is_shipped else "."))
        return choice

    def forget_selected(self) -> None:
        c = self.current_choice()
        if c is None or c.folder is None:
            return
        set_local_folders(self.settings, [f for f in local_folders(self.settings) if f != str(c.folder)])
        if active_folder(self.settings) == str(c.folder):
            set_active_folder(self.settings, "")
        self.settings.sync()
        self.reload()

    def accept_current(self) -> None:
        c = self.current_choice()
        if c is None or not c.usable:
            return
        self.chosen = c
        self.accept()


__all__ = ["ModelSwitcherDialog", "active_folder", "choice_text", "local_folders", "set_active_folder"]
