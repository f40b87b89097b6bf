"""The records side of the window through its real widgets (pytest-qt, offscreen): create a
patient -> analyse the bundled clip -> save -> History -> compare with an earlier visit ->
export the PDF (read back with pdftotext); line and angle measurements drawn with mouse
clicks, saved and read back; the trend plot and the comparison table; screenshot views."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
SAMPLE_POSES = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"


def _settings(folder: Path):
    from scoliscreen.gui.settings import AppSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    s = AppSettings(QSettings(str(folder / "scoliscreen-test.ini"), QSettings.Format.IniFormat))
    s.data_folder = str(folder / "data")
    return s


@pytest.fixture
def window(qtbot, tmp_path):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.main_window import MainWindow

    create_app()
    w = MainWindow(settings=_settings(tmp_path), load_model=False)
    w.shown_messages = []
    w.show_message = lambda kind, title, text: w.shown_messages.append((kind, title, text))
    w.asked = []
    # the "discard?" prompts (gui/workflow.py) are answered, never left modal: a test never blocks
    w.ask = lambda title, text, choices: w.asked.append(title) or "discard"
    w.resize(1440, 900)
    w.show()
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def _earlier_visit(store, patient_id: int) -> dict:
    """A visit a year ago, analysed from the clip's stored pose sequence (no pose model needed)."""
    from scoliscreen.app.analysis import run_analysis

    a = run_analysis(SAMPLE_POSES)
    when = (datetime.now(timezone.utc) - timedelta(days=400)).isoformat(timespec="seconds")
    return store.add_visit(patient_id, str(SAMPLE), a.to_dict(), sequence=a.raw_sequence, visited_at=when)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


# ---- the clinic's flow -------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_patient_analyse_save_history_compare_export(window, qtbot, wait_until, tmp_path, monkeypatch):
    w, rec = window, window.records
    patient = w.patient_bar.new_patient(("P-0420", datetime.now().year - 11, "F"))
    assert patient is not None and w.patient_bar.current_patient()["id"] == patient["id"]
    earlier = _earlier_visit(w.patient_bar.store, patient["id"])

    # analyse the bundled real clip in the window, then save it through the button
    w.open_video(str(SAMPLE))
    wait_until(lambda: w.video_path is not None or w.shown_messages, 60)
    done = []
    w.analysis_done.connect(done.append)
    qtbot.mouseClick(w.analyse_btn, Qt.MouseButton.LeftButton)
    wait_until(lambda: done and not w.is_analysing(), 600)
    assert w.analysis.screening is not None, w.shown_messages
    assert w.save_btn.isEnabled()
    qtbot.mouseClick(w.save_btn, Qt.MouseButton.LeftButton)
    later = rec.current_visit_id
    assert later is not None and later != earlier["id"]
    assert rec.export_action.isEnabled()  # a saved result can be exported

    # History: the patient, both visits (oldest first), the trend over age
    rec.show_view("history")
    hp = rec.history
    assert rec.current_view() == "history" and hp.isVisible()
    assert hp.patient["id"] == patient["id"]
    assert [v["id"] for v in hp.visits] == [earlier["id"], later]
    assert hp.table.rowCount() == 2
    assert hp.table.item(1, 3).text() == f"{w.analysis.screening.probability:.0%}"
    assert len(hp.trend.points) == 2 and hp.trend.points[0]["age"] < hp.trend.points[1]["age"]
    hp.search.setText("no-such-child")
    assert hp.patients.count() == 0 and hp.table.rowCount() == 0
    hp.search.setText("P-04")
    assert hp.patients.count() == 1
    hp.select_patient(patient["id"])

    # compare: the later visit selected -> compared with the one before it
    hp.select_visits([later])
    assert hp.compare_btn.isEnabled()
    qtbot.mouseClick(hp.compare_btn, Qt.MouseButton.LeftButton)
    cv = rec.compare_view
    assert rec.current_view() == "compare" and cv.isVisible()
    assert (cv.comparison["a"]["id"], cv.comparison["b"]["id"]) == (earlier["id"], later)
    wait_until(lambda: cv.a.info is not None and cv.b.info is not None, 60)
    labels = [cv.table.item(r, 0).text() for r in range(cv.table.rowCount())]
    prob_row = labels.index("P(Cobb ≥ 10°)")
    pa, pb = cv.comparison["a"]["probability"], cv.comparison["b"]["probability"]
    points = int(round((pb - pa) * 100))
    assert cv.table.item(prob_row, 3).text() == (f"{points:+d} points" if points else "0 points")  # never "-0"
    # one slider drives both videos, by time
    cv.seek(2.0)
    wait_until(lambda: cv.a.current_index == round(2.0 * cv.a.info.fps)
               and cv.b.current_index == round(2.0 * cv.b.info.fps), 30)
    cv.gait_sync.setChecked(True)
    cv.seek(0.5)
    wait_until(lambda: cv.b.current_index == round((cv.b.offset_s + 0.5) * cv.b.info.fps), 30)

    # export: the ask part (file dialog) replaced, the do part runs in a worker
    out = tmp_path / "report.pdf"
    monkeypatch.setattr(rec, "ask_report_path", lambda visit_id: str(out))
    exported = []
    rec.report_exported.connect(exported.append)
    rec.report_failed.connect(exported.append)
    rec.show_view("history")
    hp.select_visits([later])
    qtbot.mouseClick(hp.export_btn, Qt.MouseButton.LeftButton)
    wait_until(lambda: exported, 300)
    assert exported == [str(out)], w.shown_messages
    text = _pdf_text(out)
    from scoliscreen.core.report import verdict

    word = verdict(w.patient_bar.store.analysis(later)).upper()  # "REFER" / "NO REFERRAL" / "RE-RECORD"
    assert word == {"positive": "REFER", "negative": "NO REFERRAL"}.get(w.analysis.screening.label, "RE-RECORD")
    assert word in text.upper() and (word == "NO REFERRAL" or "NO REFERRAL" not in text.upper())
    assert w.analysis.screening.model_version in text
    assert "P-0420" in text
    actions = [r["action"] for r in w.patient_bar.store.audit_log("visit", later)]
    assert "exported" in actions

    # open the earlier visit back in the result view, with its video
    opened = []
    rec.visit_opened.connect(opened.append)
    rec.show_view("history")
    hp.select_visits([earlier["id"]])
    qtbot.mouseClick(hp.open_btn, Qt.MouseButton.LeftButton)
    wait_until(lambda: opened, 60)
    assert rec.current_view() == "result" and rec.current_visit_id == earlier["id"]
    assert w.result_panel.analysis is w.analysis
    assert w.analysis.screening.probability == pytest.approx(earlier["probability"])
    assert w.video_path == str(SAMPLE) and not w.save_btn.isEnabled()


# ---- measurements ---------------------------------------------------------------------------------
def _click_video_point(qtbot, overlay, pt) -> None:
    pos = overlay.to_widget(pt)
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_line_and_angle_drawn_with_clicks_are_saved_and_printed(window, qtbot, wait_until, tmp_path):
    from scoliscreen.core.store_history import measure

    w, rec = window, window.records
    patient = w.patient_bar.new_patient(("P-0777", 2013, "M"))
    visit = _earlier_visit(w.patient_bar.store, patient["id"])
    opened = []
    rec.visit_opened.connect(opened.append)
    assert rec.open_visit(visit["id"])
    wait_until(lambda: opened and w.video_panel.current_index >= 0, 60)
    w.video_panel.seek(40)
    wait_until(lambda: w.video_panel.current_index == 40, 30)
    assert rec.measure_bar.line_btn.isEnabled()
    overlay = rec.overlay
    scale = w.video_panel.view.image.width() / overlay.view.image_rect().width()  # video px per screen px

    saved = []
    rec.measurement_saved.connect(saved.append)
    qtbot.mouseClick(rec.measure_bar.line_btn, Qt.MouseButton.LeftButton)
    assert overlay.tool == "line" and not w.video_panel.is_playing()
    for pt in ((600.0, 200.0), (900.0, 240.0)):
        _click_video_point(qtbot, overlay, pt)
    assert len(saved) == 1 and overlay.tool is None  # one measurement, then the tool is released
    qtbot.mouseClick(rec.measure_bar.angle_btn, Qt.MouseButton.LeftButton)
    for pt in ((700.0, 100.0), (700.0, 300.0), (900.0, 300.0)):
        _click_video_point(qtbot, overlay, pt)
    assert len(saved) == 2

    rows = w.patient_bar.store.measurements(visit["id"])
    assert [r["kind"] for r in rows] == ["line", "angle"]
    assert all(r["frame_index"] == 40 for r in rows)
    line, angle = rows
    for got, want in zip(line["points"], ((600, 200), (900, 240))):
        assert got == pytest.approx(want, abs=scale + 0.01)
    assert line["value"] == pytest.approx(measure("line", line["points"]))
    assert line["value"] == pytest.approx(-math.degrees(math.atan2(40, 300)), abs=0.5)  # right end lower
    assert angle["value"] == pytest.approx(90.0, abs=1.0)
    assert len(overlay.shown) == 2  # drawn on this frame
    w.video_panel.seek(10)
    wait_until(lambda: w.video_panel.current_index == 10, 30)
    assert overlay.shown == []  # ... and only on it

    from scoliscreen.core.report import report_visit

    text = _pdf_text(report_visit(w.patient_bar.store, visit["id"], tmp_path / "m.pdf"))
    assert "Measurements on the video" in text
    assert f"{angle['value']:.1f}" in text and f"{line['value']:.1f}" in text


@pytest.mark.slow
def test_measurement_before_saving_goes_with_the_visit(window, qtbot, wait_until):
    """Drawn on a fresh result (not yet saved): kept pending, stored when the visit is saved."""
    from scoliscreen.app.analysis import run_analysis

    w, rec = window, window.records
    w.patient_bar.new_patient(("P-0901", 2014, "F"))
    w.open_video(str(SAMPLE))
    wait_until(lambda: w.video_path is not None and w.video_panel.current_index >= 0, 60)
    w.analysis = run_analysis(SAMPLE_POSES)  # as if analysed (the pose model is tested elsewhere)
    qtbot.mouseClick(rec.measure_bar.line_btn, Qt.MouseButton.LeftButton)
    for pt in ((500.0, 300.0), (800.0, 300.0)):
        _click_video_point(qtbot, rec.overlay, pt)
    assert len(rec.pending) == 1 and rec.current_visit_id is None
    w.save_visit()
    assert rec.current_visit_id is not None and rec.pending == []
    rows = w.patient_bar.store.measurements(rec.current_visit_id)
    assert len(rows) == 1 and rows[0]["value"] == pytest.approx(0.0, abs=0.5)
    w.open_video(str(SAMPLE))  # a new clip: nothing pending, not a stored visit
    wait_until(lambda: rec.current_visit_id is None, 30)
    assert not rec.export_action.isEnabled()


# ---- parts --------------------------------------------------------------------------------------------
def test_trend_plot_draws_the_cobb_interval_when_there_is_one(qapp):
    import pyqtgraph as pg

    from scoliscreen.gui.history_panel import TrendPlot

    plot = TrendPlot()
    rows = [{"age": 10.4, "probability": 0.2, "cobb_estimate": 6.0, "cobb_low": 2.0, "cobb_high": 11.0, "label": "negative"},
            {"age": 11.5, "probability": 0.7, "cobb_estimate": 14.0, "cobb_low": 9.0, "cobb_high": 20.0, "label": "positive"},
            {"age": None, "probability": 0.5}]
    plot.set_trend(rows, threshold=0.18)
    assert len(plot.points) == 2 and plot.has_interval
    items = plot.cobb.items
    bars = [i for i in items if isinstance(i, pg.ErrorBarItem)]
    assert len(bars) == 1 and any(isinstance(i, pg.FillBetweenItem) for i in items)
    for r in rows[:2]:
        r["cobb_low"] = r["cobb_high"] = None
    plot.set_trend(rows)
    assert not plot.has_interval and not any(isinstance(i, pg.ErrorBarItem) for i in plot.cobb.items)


def test_comparison_table_formats_probabilities_as_points():
    from scoliscreen.gui.compare_view import fmt_diff, fmt_value, table_rows

    prob = {"key": "probability", "unit": "", "a": 0.601, "b": 0.451, "diff": -0.15}
    cobb = {"key": "cobb_estimate", "unit": "deg", "a": 15.8, "b": 11.6, "diff": -4.2}
    none = {"key": "cobb_low", "unit": "deg", "a": None, "b": None, "diff": None}
    assert (fmt_value(prob["a"], prob), fmt_diff(prob["diff"], prob)) == ("60%", "-15 points")
    assert (fmt_value(cobb["b"], cobb), fmt_diff(cobb["diff"], cobb)) == ("11.6°", "-4.2°")
    assert table_rows({"rows": [prob, none, cobb]}) == [prob, cobb]
    feats = [{"key": f"feature.f{i}", "label": f"f{i}", "unit": "deg", "a": 0.0, "b": float(i), "diff": float(i),
              "normal_range": [-2.0, 2.0]} for i in range(12)]
    feats.append({"key": "feature.norange", "label": "x", "unit": "", "a": 0.0, "b": 99.0, "diff": 99.0,
                  "normal_range": None})
    rows = table_rows({"rows": [prob], "features": feats})
    assert rows[1]["heading"] and [r["label"] for r in rows[2:]] == [f"f{i}" for i in range(11, 3, -1)]


# ---- screenshot views ------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("view", ["history", "report"])
def test_screenshot_views_render_stored_visits(tmp_path, view):
    from PySide6.QtGui import QImage

    out = tmp_path / f"{view}.png"
    r = subprocess.run([sys.executable, "-m", "scoliscreen", "screenshot", str(out), "--view", view,
                        "--size", "1280x900"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    img = QImage(str(out))
    assert not img.isNull() and img.width() >= 1280 and img.height() >= 900


def test_screenshot_refuses_a_bad_scale_or_view(tmp_path):
    for extra in (["--scale", "9"], ["--view", "everything"], ["--size", "10x10"]):
        r = subprocess.run([sys.executable, "-m", "scoliscreen", "screenshot", str(tmp_path / "x.png"), *extra],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, (extra, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip()
