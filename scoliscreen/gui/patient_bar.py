"""Patient bar: choose or create a patient (pseudonymous ID, birth year, sex) in the local store."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox,
)


SEX_CHOICES = (("F", "Female"), ("M", "Male"), ("X", "Not recorded / other"))


class NewPatientDialog(QDialog):
    """Asks for a pseudonymous ID (no names), birth year and sex."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New patient")
        self.pseudonym = QLineEdit()
        self.pseudonym.setPlaceholderText("e.g. P-0142 (a pseudonym, never a name)")
        self.birth_year = QSpinBox()
        year = datetime.now().year
        self.birth_year.setRange(1900, year)
        self.birth_year.setValue(year - 12)
        self.sex = QComboBox()
        for code, name in SEX_CHOICES:
            self.sex.addItem(name, code)
        form = QFormLayout(self)
        form.addRow("Patient ID", self.pseudonym)
        form.addRow("Birth year", self.birth_year)
        form.addRow("Sex", self.sex)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, int, str]:
        return self.pseudonym.text().strip(), int(self.birth_year.value()), str(self.sex.currentData())


class PatientBar(QFrame):
    """Signals: ``patient_changed(dict | None)``, ``error(str)``.

    ``store_factory()`` returns an open ``scoliscreen.core.store.Store`` (the window passes one
    that honours the data-folder setting). The store is used from the GUI thread only.
    """

    patient_changed = Signal(object)
    error = Signal(str)

    def __init__(self, store_factory, parent=None):
        super().__init__(parent)
        self.setObjectName("patientBar")
        self._store_factory = store_factory
        self.store = None
        self.combo = QComboBox()
        self.combo.setMinimumWidth(260)
        self.combo.currentIndexChanged.connect(self._on_index)
        self.new_btn = QPushButton("New patient…")
        self.new_btn.clicked.connect(self.new_patient)
        self.details = QLabel("")
        self.details.setObjectName("muted")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(QLabel("<b>Patient</b>"))
        row.addWidget(self.combo)
        row.addWidget(self.new_btn)
        row.addWidget(self.details, 1)
        self.reload()

    def _open_store(self):
        if self.store is None:
            try:
                self.store = self._store_factory()
            except Exception as exc:  # noqa: BLE001 - shown to the user, app stays usable
                self.error.emit(f"The patient records cannot be opened: {exc}")
                return None
        return self.store

    def set_store_factory(self, factory) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        self._store_factory = factory
        self.reload()

    def reload(self, select_id: int | None = None) -> None:
        store = self._open_store()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("— no patient (quick analysis) —", None)
        if store is not None:
            for p in store.list_patients():
                self.combo.addItem(p["pseudonym"], p)
                if select_id is not None and p["id"] == select_id:
                    self.combo.setCurrentIndex(self.combo.count() - 1)
        self.combo.blockSignals(False)
        self._on_index(self.combo.currentIndex())

    def current_patient(self) -> dict | None:
        return self.combo.currentData()

    def _on_index(self, _index: int) -> None:
        p = self.current_patient()
        if p:
            sex = dict(SEX_CHOICES).get(p.get("sex") or "X", "?")
            year = p.get("birth_year")
            age = f", about {datetime.now().year - int(year)} y" if year else ""
            self.details.setText(f"born {year or '?'}{age} · {sex}")
        else:
            self.details.setText("results are not saved to a patient record")
        self.patient_changed.emit(p)

    def new_patient(self, values: tuple[str, int, str] | None = None) -> dict | None:
        """Create a patient (asks in a dialog unless ``values`` are given) and select it."""
        if not values:
            dlg = NewPatientDialog(self)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return None
            values = dlg.values()
        store = self._open_store()
        if store is None:
            return None
        try:
            patient = store.add_patient(*values)
        except Exception as exc:  # noqa: BLE001 - InputError etc: one sentence for the user
            self.error.emit(str(exc))
            return None
        self.reload(select_id=patient["id"])
        return patient

    def close_store(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
