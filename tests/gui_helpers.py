"""A main window for GUI tests: isolated settings and data folder, no model, messages kept
instead of shown, and prompts answered by ``ask`` (a test's stand-in for MainWindow.ask)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable


def main_window(tmp_path: Path, ask: Callable):
    from PySide6.QtCore import QSettings

    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.main_window import MainWindow
    from scoliscreen.gui.settings import AppSettings

    create_app()
    settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.data_folder = str(tmp_path / "data")
    w = MainWindow(settings=settings, load_model=False)
    w.shown_messages = []
    w.show_message = lambda kind, title, text: w.shown_messages.append((kind, title, text))
    w.ask = ask
    w.ask_new_patient = lambda: None
    w.resize(1440, 900)
    w.show()
    return w


class Asker:
    """Stands in for MainWindow.ask: records every question (``asked``: (title, text, choice
    keys); ``titles``: the titles only) and answers from a script, then with the last choice."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list[tuple[str, str, list]] = []

    @property
    def titles(self) -> list[str]:
        return [a[0] for a in self.asked]

    def __call__(self, title, text, choices):
        self.asked.append((title, text, [k for k, _ in choices]))
        return self.answers.pop(0) if self.answers else choices[-1][0]
