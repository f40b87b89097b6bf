"""The visit's "Export visit as" menu (pytest-qt, offscreen): every interop format with a short
line on what it is for, enabled once a stored visit is shown, and an export written by its worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import QSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEQ = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
CACHED = REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json"


@pytest.fixture
def window(qtbot, tmp_path):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.main_window import MainWindow
    from scoliscreen.gui.settings import AppSettings

    create_app()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    s = AppSettings(QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat))
    s.data_folder = str(tmp_path / "data")
    w = MainWindow(settings=s, load_model=False)
    w.shown_messages = []
    w.show_message = lambda kind, title, text: w.shown_messages.append((kind, title, text))
    w.ask = lambda title, text, choices: "discard"
    w.show()
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def test_export_menu_offers_every_format_and_writes_one(window, qtbot, wait_until, tmp_path):
    from scoliscreen.core.interop import FORMATS

    rec = window.records
    menu = rec.export_menu
    assert list(menu.actions) == list(FORMATS)
    for name, act in menu.actions.items():
        assert " — " in act.text() and act.statusTip() == FORMATS[name].purpose
    assert not menu.menu.isEnabled()  # nothing stored shown yet
    store = rec.store()
    p = store.add_patient("SCH-0099", 2015, "M")
    vid = store.add_visit(p["id"], "walk.mp4", json.loads(CACHED.read_text()), sequence=SEQ)["id"]
    assert rec.open_visit(vid)
    wait_until(lambda: rec.current_visit_id == vid)
    assert menu.menu.isEnabled()
    done = []
    menu.exported.connect(lambda fmt, path: done.append((fmt, path)))
    out = tmp_path / "walk.trc"
    assert menu.export(vid, "trc", out)
    wait_until(lambda: done or window.shown_messages)
    assert done == [("trc", str(out))] and out.read_text().startswith("PathFileType\t4")
