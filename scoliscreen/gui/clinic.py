"""The clinic's own evidence in the main window (issue 22): a "Clinic" menu with "How the model
does on our children…" (:mod:`scoliscreen.gui.local_validation_view`) and "Screening model…"
(:mod:`scoliscreen.gui.model_switcher`), and the remembered model made active at start.

:func:`install_clinic` is the one hook (called by ``MainWindow.__init__`` before the model
loads). Switching model sets ``window.model_dir`` (every later analysis, batch and validation
uses it) and reloads the model; the status bar names it as its provenance does ("local model
sha256:…" for anything but the shipped model).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction

from scoliscreen.app.model_choice import ModelChoice, describe_model_folder
from scoliscreen.gui.model_switcher import ModelSwitcherDialog, active_folder, set_active_folder


class ClinicController:
    def __init__(self, window):
        self.w = window
        self.validation_dialog = None
        self.switcher = None
        self.active: ModelChoice | None = None

    # ---- model ----------------------------------------------------------------------------------
    def restore_model(self) -> None:
        """Make the remembered local model active (unless the window was given a model folder)."""
        folder = active_folder(self.w.settings)
        if self.w.model_dir is not None or not folder:
            return
        choice = describe_model_folder(folder)
        if not choice.usable:
            self.w.statusBar().showMessage(f"The remembered model cannot be used ({choice.problem}); "
                                           "the shipped model is used.", 15000)
            return
        self.w.model_dir = folder
        self.active = choice
        self._name_in_status_bar(choice, loading=True)

    def _name_in_status_bar(self, choice: ModelChoice, loading: bool = False) -> None:
        label = self.w.model_label
        label.setText(f"Model: {choice.model_version}" + (" (loading…)" if loading else ""))
        label.setToolTip(f"{choice.kind}" + (f", {choice.folder}" if choice.folder else ""))

    def choose_model(self) -> ModelSwitcherDialog:
        dlg = ModelSwitcherDialog(self.w.settings, self.w.model_dir, self.w)
        dlg.accepted.connect(lambda: dlg.chosen is not None and self.use_model(dlg.chosen))
        self.switcher = dlg
        dlg.open()
        return dlg

    def use_model(self, choice: ModelChoice) -> bool:
        """Make ``choice`` the active model: later analyses use it; the model reloads."""
        if not choice.usable:
            return False
        folder = str(choice.folder) if choice.folder is not None else None
        self.w.model_dir = folder
        self.active = choice
        set_active_folder(self.w.settings, folder)
        self.w.model_info = None
        self._name_in_status_bar(choice, loading=True)
        self.w.load_model()
        return True

    # ---- local validation ---------------------------------------------------------------------------
    def open_local_validation(self):
        from scoliscreen.core.store import DB_NAME
        from scoliscreen.gui.local_validation_view import LocalValidationDialog

        if self.validation_dialog is not None:
            self.validation_dialog.shutdown()
            self.validation_dialog.close()
        choice = self.active or describe_model_folder(self.w.model_dir)
        dlg = LocalValidationDialog(Path(self.w.settings.data_folder) / DB_NAME, model_dir=self.w.model_dir,
                                    device=self.w.settings.device,
                                    model_name=f"{choice.model_version} ({choice.kind})", parent=self.w)
        self.validation_dialog = dlg
        dlg.show()
        return dlg

    def shutdown(self) -> None:
        if self.validation_dialog is not None:
            self.validation_dialog.shutdown()


def install_clinic(window) -> ClinicController:
    """Add the Clinic menu (before Help) and restore the remembered model; returns the controller."""
    ctl = ClinicController(window)
    bar = window.menuBar()
    menu = bar.addMenu("&Clinic")
    for text, slot in (("How the model does on our &children…", ctl.open_local_validation),
                       ("Screening &model…", ctl.choose_model)):
        act = QAction(text, window)
        act.triggered.connect(slot)
        menu.addAction(act)
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_action is not None:
        bar.removeAction(menu.menuAction())
        bar.insertAction(help_action, menu.menuAction())
    ctl.restore_model()
    return ctl


__all__ = ["ClinicController", "install_clinic"]
