"""Whose record a save writes, said on the Save button, and the note of a stored visit.

Two kinds of result are shown in the result view:

* a *new* result (just analysed): Save appends it as a visit of its owner (the patient selected
  when it was made, ``result_owner``); the button reads "Save to P-0142";
* a *stored* visit (opened from History or the batch queue, or just saved): it is already in a
  child's record, so Save never makes another visit and never files it under the selected
  patient. Editing the note and pressing Save updates that visit's note only; the button reads
  "Save note to visit 12 (P-0150)". The stored result is kept as it was made.
"""

from __future__ import annotations


class SaveTargetMixin:
    """Mixed into :class:`~scoliscreen.gui.main_window.MainWindow` (after WorkflowMixin's state)."""

    # ---- the stored visit shown ---------------------------------------------------------------
    def stored_visit_id(self) -> int | None:
        """The stored visit the result view shows (None for a new, unsaved result)."""
        records = getattr(self, "records", None)
        return records.current_visit_id if records is not None and self.analysis is not None else None

    def show_stored_visit(self, visit: dict, patient: dict | None, note: str) -> None:
        """The result view now shows stored visit ``visit`` of ``patient``: the notes box shows
        its own note, the patient bar its child, and the result counts as saved."""
        self._stored_note = note
        self.notes.blockSignals(True)
        self.notes.setPlainText(note)
        self.notes.blockSignals(False)
        self.result_notes = note
        self.result_owner = patient
        self.result_saved = True
        self._rerun_timer.stop()
        self._set_stale(False)
        if patient is not None and not patient.get("archived_at"):
            self._select_patient(patient)
        elif patient is None:
            self._select_patient(None)
        self.update_save_button()

    def note_dirty(self) -> bool:
        """The note of the stored visit shown was edited and not saved yet."""
        return self.stored_visit_id() is not None and self.current_notes() != (self._stored_note or "").strip()

    def save_visit(self) -> bool:
        """Append the analysis to the record of the patient it was made for; True once saved."""
        if self.stored_visit_id() is not None:  # already in a record: its note, never a new visit
            return self.save_stored_note()
        if self.analysis is None or self.stale:
            return False
        patient = self._save_target()
        if patient is None:
            return False
        from scoliscreen.app.records import record_visit

        store = self.patient_bar.store
        try:
            row = record_visit(store, self.analysis, patient_id=patient["id"], notes=self.result_notes)
        except Exception as exc:  # noqa: BLE001 - a store failure is shown, the window stays usable
            self.show_message("error", "Save", f"The visit could not be saved: {exc}")
            return False
        self.result_owner, self.result_saved = patient, True
        self._stored_note = self.result_notes
        self.save_btn.setEnabled(False)
        self.records.visit_saved(row)
        self.update_save_button()
        self.statusBar().showMessage(f"Saved to {patient['pseudonym']}'s record.", 5000)
        return True

    # ---- the Save button ----------------------------------------------------------------------------
    def save_target_text(self) -> str:
        """What the Save button says: whose record a press writes."""
        vid = self.stored_visit_id()
        if vid is not None:
            owner = self.result_owner["pseudonym"] if self.result_owner else "no patient"
            return f"Save note to visit {vid} ({owner})"
        target = self.result_owner if self.analysis is not None else None
        target = target or self.patient_bar.current_patient()
        return f"Save to {target['pseudonym']}" if target else "Save to a new patient…"

    def update_save_button(self) -> None:
        text = self.save_target_text()
        self.save_btn.setText(text)
        self.save_btn.setAccessibleName(text)
        if self.stored_visit_id() is not None:
            self.save_btn.setEnabled(self.note_dirty())

    def save_stored_note(self) -> bool:
        """Update the note of the stored visit shown (that visit only); True once a change was saved."""
        from scoliscreen.app.visits import save_visit_note

        vid = self.stored_visit_id()
        if vid is None or not self.note_dirty():
            return False  # nothing to write: never a new visit
        text = self.current_notes()
        try:
            save_visit_note(self.patient_bar.store, vid, text)
        except Exception as exc:  # noqa: BLE001 - a store failure is shown, the window stays usable
            self.show_message("error", "Save", f"The note of visit {vid} could not be saved: {exc}")
            return False
        self._stored_note = text
        self.result_notes = text
        owner = self.result_owner["pseudonym"] if self.result_owner else "no patient"
        self.statusBar().showMessage(f"Note of visit {vid} ({owner}) updated; its result is kept as it was made.", 5000)
        self.update_save_button()
        self.records.note_saved(vid)
        return True
