"""The main window's model, settings and model-card actions (a mixin of ``MainWindow``)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout

from scoliscreen.gui.settings import SettingsDialog
from scoliscreen.workers.base import start_worker


class ModelActionsMixin:
    """Load the model in the background, edit the settings, show the model card."""

    # ---- model, settings, card ---------------------------------------------------------------
    def load_model(self) -> None:
        """Load the screening model in the background and show device + version in the status bar."""
        from scoliscreen.workers.analysis import ModelLoadWorker

        worker = ModelLoadWorker(self.settings.device, self.model_dir)
        worker.result.connect(self._on_model_loaded)
        worker.error.connect(self._on_model_error)
        self._model_handle = start_worker(worker, "model-load")

    def _on_model_loaded(self, info) -> None:
        self.model_info = info
        self.device_label.setText(f"Device: {info.device_name}")
        self.model_label.setText(f"Model: {info.model_version}")
        self.model_ready.emit(info)

    def _on_model_error(self, text: str) -> None:
        self.device_label.setText("Device: –")
        self.model_label.setText("Model: not available")
        self.model_label.setToolTip(text)

    def edit_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            old_device = self.settings.device
            dlg.apply()
            self.patient_bar.set_store_factory(self._open_store)
            if self.settings.device != old_device:
                self.device_label.setText("Device: loading model…")
                self.load_model()

    def model_card_text(self) -> tuple[str, str]:
        """(format, text) of the model card: rendered markdown if shipped, else the JSON."""
        from scoliscreen.app.models import model_card_text

        card = model_card_text(self.model_dir)
        return card.format, card.text

    def show_model_card(self) -> None:
        fmt, text = self.model_card_text()
        dlg = QDialog(self)
        dlg.setWindowTitle("Model card")
        dlg.resize(760, 640)
        view = QTextBrowser(dlg)
        view.setMarkdown(text) if fmt == "markdown" else view.setPlainText(text)
        QVBoxLayout(dlg).addWidget(view)
        self.model_card_dialog = dlg
        dlg.show()
