"""Workflow safety for the main window: no result is lost or filed to the wrong child.

* every action that would drop an unsaved result asks first (:meth:`confirm_discard`);
* a result belongs to the patient selected when it was made (``result_owner``): switching
  patient afterwards asks (keep it for that patient / discard / cancel), and Save files it
  under its owner;
* "choose a patient first" offers to create one;
* notes belong to one visit: cleared for a new clip; a change after the analysis marks the
  result stale and re-runs the cheap part (map text + screening, no pose estimation).

SLEAP's pattern: the questions (:meth:`ask`, :meth:`ask_new_patient`) are kept apart from the
actions, so tests replace the questions and drive the real widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QMessageBox

from scoliscreen.gui.style import STALE_STYLE

RERUN_DELAY_MS = 700  # notes: re-run the text and the screening once typing pauses this long


class WorkflowMixin:
    """Mixed into :class:`~scoliscreen.gui.main_window.MainWindow` (which provides the widgets)."""

    # ---- questions (tests replace these) --------------------------------------------------
    def ask(self, title: str, text: str, choices: list[tuple[str, str]]) -> str:
        """Ask with one button per ``(key, label)``; returns the key chosen. The last choice is
        the escape answer (``cancel`` by convention). Tests replace this method."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        buttons = {}
        for i, (key, label) in enumerate(choices):
            role = (QMessageBox.ButtonRole.RejectRole if i == len(choices) - 1
                    else QMessageBox.ButtonRole.AcceptRole if i == 0 else QMessageBox.ButtonRole.DestructiveRole)
            buttons[box.addButton(label, role)] = key
        box.exec()
        return buttons.get(box.clickedButton(), choices[-1][0])

    def ask_new_patient(self):
        """(pseudonym, birth_year, sex) from the new-patient dialog, or None. Tests replace this."""
        from scoliscreen.gui.patient_bar import NewPatientDialog

        dlg = NewPatientDialog(self)
        return dlg.values() if dlg.exec() == QDialog.DialogCode.Accepted else None

    # ---- state ---------------------------------------------------------------------------
    def _init_workflow(self) -> None:
        self.result_owner: dict | None = None  # patient selected when the result was made
        self.result_saved = False
        self.result_notes = ""  # the notes the shown result was made with
        self.stale = False
        self._stored_note = ""  # the stored visit's note as saved (SaveTargetMixin)
        self._switching = False
        self._shown_patient = self.patient_bar.current_patient()
        self._reinterpret_handle = None
        self._rerun_timer = QTimer(self)
        self._rerun_timer.setSingleShot(True)
        self._rerun_timer.setInterval(RERUN_DELAY_MS)
        self._rerun_timer.timeout.connect(self.rerun_interpretation)
        self.patient_bar.patient_changed.connect(self._on_patient_changed)
        self.notes.textChanged.connect(self._on_notes_changed)

    def has_unsaved_result(self) -> bool:
        """A new result not saved yet, or a stored visit's note edited and not saved."""
        return (self.analysis is not None and not self.result_saved) or self.note_dirty()

    def _adopt_result(self, analysis, notes: str) -> None:
        """A new result: owned by the patient selected now, unsaved, not stale."""
        self.result_owner = self.patient_bar.current_patient()
        self.result_saved = False
        self.result_notes = notes
        self._set_stale(False)
        self.update_save_button()

    def discard_result(self) -> None:
        self._rerun_timer.stop()
        self.analysis = None
        self.result_owner = None
        self.result_saved = False
        self._stored_note = ""
        if getattr(self, "records", None) is not None:
            self.records.forget_current()
        self._set_stale(False)
        self.result_panel.clear()
        self.save_btn.setEnabled(False)
        self.update_save_button()

    # ---- "discard?" ----------------------------------------------------------------------
    def confirm_discard(self, action: str) -> bool:
        """True when ``action`` (e.g. "open another video") may go on: nothing unsaved, or the
        user saved or discarded the result."""
        if not self.has_unsaved_result():
            return True
        owner = self.result_owner["pseudonym"] if self.result_owner else "no patient"
        if self.note_dirty():
            answer = self.ask("Unsaved note",
                              f"The note of visit {self.stored_visit_id()} ({owner}) was changed and not "
                              f"saved. Save it before you {action}?",
                              [("save", "Save note"), ("discard", "Discard the change"), ("cancel", "Cancel")])
            if answer == "save":
                return self.save_visit()
            return answer == "discard"
        answer = self.ask("Unsaved result",
                          f"The result of this analysis ({owner}) has not been saved. "
                          f"Save it before you {action}?",
                          [("save", "Save"), ("discard", "Discard result"), ("cancel", "Cancel")])
        if answer == "save":
            return self.save_visit()
        return answer == "discard"

    # ---- patients ------------------------------------------------------------------------
    def _on_patient_changed(self, patient) -> None:
        try:
            self._patient_changed(patient)
        finally:
            self.update_save_button()  # the button names whose record a save writes

    def _patient_changed(self, patient) -> None:
        previous, self._shown_patient = self._shown_patient, patient
        if self._switching or not self.has_unsaved_result():
            return
        new_id = patient["id"] if patient else None
        owner = self.result_owner
        if (owner["id"] if owner else None) == new_id:
            return
        new_name = patient["pseudonym"] if patient else "no patient"
        if owner is None:
            choices = [("keep", f"File it under {new_name}"), ("discard", "Discard result"), ("cancel", "Cancel")]
            text = (f"This result was made without a patient. File it under {new_name}?" if patient
                    else "Keep the result without a patient?")
        else:
            choices = [("keep", f"Keep it for {owner['pseudonym']}"), ("discard", "Discard result"),
                       ("cancel", "Cancel")]
            text = (f"The unsaved result belongs to {owner['pseudonym']}. You selected {new_name}: "
                    f"keep the result for {owner['pseudonym']} (the bar stays on {owner['pseudonym']}; "
                    f"save it, then switch), or discard it and switch to {new_name}?")
        answer = self.ask("Switch patient", text, choices)
        if answer == "keep":
            if owner is None:
                self.result_owner = patient
            else:  # the bar shows the child whose result is on screen, never another one
                self._select_patient(owner)
            self._show_owner()
        elif answer == "discard":
            self.discard_result()
        else:  # cancel: back to the previous patient
            self._select_patient(previous)

    def _select_patient(self, patient) -> None:
        self._switching = True
        try:
            combo = self.patient_bar.combo
            pid = patient["id"] if patient else None
            for i in range(combo.count()):
                data = combo.itemData(i)
                if (data["id"] if data else None) == pid:
                    combo.setCurrentIndex(i)
                    break
            self._shown_patient = self.patient_bar.current_patient()
        finally:
            self._switching = False

    def _show_owner(self) -> None:
        owner = self.result_owner
        if owner is not None:
            self.statusBar().showMessage(f"The result shown belongs to {owner['pseudonym']}; "
                                         f"\"{self.save_target_text()}\" files it there.", 8000)

    def create_patient(self):
        """Create a patient from :meth:`ask_new_patient` and select it; the new patient or None."""
        values = self.ask_new_patient()
        if not values:
            return None
        self._switching = True
        try:
            patient = self.patient_bar.new_patient(values)
            self._shown_patient = self.patient_bar.current_patient()
        finally:
            self._switching = False
        return patient

    def _save_target(self):
        """The patient a save files the result under; offers to create one when there is none."""
        if self.result_owner is not None:
            return self.result_owner
        current = self.patient_bar.current_patient()
        if current is not None:
            return current
        answer = self.ask("Save", "Choose a patient in the patient bar first, or create one now.",
                          [("create", "New patient…"), ("cancel", "Cancel")])
        if answer != "create":
            return None
        return self.create_patient()

    # ---- notes ---------------------------------------------------------------------------
    def clear_notes(self) -> None:
        self.notes.blockSignals(True)
        self.notes.clear()
        self.notes.blockSignals(False)
        self.result_notes = ""

    def current_notes(self) -> str:
        return self.notes.toPlainText().strip()

    def _on_notes_changed(self) -> None:
        a = self.analysis
        if self.stored_visit_id() is not None:  # a stored visit: the note is edited, the result kept
            self.update_save_button()
            return
        if a is None or a.knowledge_map is None:
            return  # nothing computed from the notes yet (a refused recording has no text)
        if self.current_notes() == self.result_notes:
            self._rerun_timer.stop()
            self._set_stale(False)
            return
        self._set_stale(True)
        self._rerun_timer.start()

    def _set_stale(self, stale: bool) -> None:
        self.stale = stale
        self.result_panel.stale_label.setVisible(stale)
        self.result_panel.stale_label.setStyleSheet(STALE_STYLE)
        if stale:
            self.save_btn.setEnabled(False)
        elif self.analysis is not None and not self.result_saved and self._analysis_handle is None:
            self.save_btn.setEnabled(True)
        if hasattr(self, "records"):
            self.update_save_button()

    def rerun_interpretation(self) -> None:
        """Re-make the clinical text and the screening with the current notes (a worker)."""
        from scoliscreen.workers.analysis import ReinterpretWorker
        from scoliscreen.workers.base import start_worker

        if self.analysis is None or self._reinterpret_handle is not None:
            if self._reinterpret_handle is not None:
                self._rerun_timer.start()  # one at a time; try again once this one ends
            return
        notes = self.current_notes()
        worker = ReinterpretWorker(self.analysis, notes, device=self.settings.device, model_dir=self.model_dir)
        self._reinterpret_request = (notes, self.analysis)
        # bound methods of the window: queued to the GUI thread (a lambda would run in the worker's)
        worker.result.connect(self._on_reinterpreted)
        worker.error.connect(self._on_reinterpret_error)
        worker.finished.connect(self._on_reinterpret_finished)
        self.stage.setText("Notes changed: updating the description and the screening…")
        self._reinterpret_handle = start_worker(worker, "reinterpret")

    def _on_reinterpret_error(self, text: str) -> None:
        self.show_message("error", "Notes", text)

    def _on_reinterpreted(self, analysis) -> None:
        notes, source = self._reinterpret_request
        if self.analysis is not source:
            return  # the result changed meanwhile (new clip, discard)
        self.analysis = analysis
        self.result_notes = notes
        self.result_saved = False
        self.result_panel.show_analysis(analysis)
        self._set_stale(self.current_notes() != notes)
        if not self.stale:
            self.stage.setText("Description and screening updated with the notes.")

    def _on_reinterpret_finished(self) -> None:
        self._reinterpret_handle = None

    def wait_reinterpretation(self, timeout_ms: int = 60000) -> None:
        if self._reinterpret_handle is not None:
            self._reinterpret_handle.wait(timeout_ms)
