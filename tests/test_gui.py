"""The clinician app driven end to end, offscreen (pytest-qt): load the bundled real clip,
analyse it, read the result; cancel; corrupt file; refused recording; keyboard shortcuts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import QPointF, QSettings, Qt  # noqa: E402

from scoliscreen.core.landmarks import REGION_IDS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
REFUSED = REPO / "tests" / "data" / "real" / "intel_worker_back_walk_away.mp4"


def _settings(folder: Path):
    from scoliscreen.gui.settings import AppSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return AppSettings(QSettings(str(folder / "scoliscreen-test.ini"), QSettings.Format.IniFormat))




def _make_window(folder: Path):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.main_window import MainWindow

    create_app()
    w = MainWindow(settings=_settings(folder), load_model=False)
    w.shown_messages = []
    w.show_message = lambda kind, title, text: w.shown_messages.append((kind, title, text))
    # the prompts are tested in test_gui_workflow; here: a result made before the patient was
    # chosen is filed under that patient, and nothing is saved on close
    w.ask = lambda title, text, choices: "keep" if "keep" in [k for k, _ in choices] else "discard"
    w.resize(1440, 900)
    w.show()
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    w = _make_window(tmp_path)
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def _open(w, path, wait_until):
    w.open_video(str(path))
    wait_until(lambda: w.video_path is not None or w.shown_messages, 60)


@pytest.fixture(scope="module")
def analysed(qapp, tmp_path_factory, wait_until):
    """One window with the bundled real clip analysed (shared: the analysis is the slow part)."""
    w = _make_window(tmp_path_factory.mktemp("gui"))
    _open(w, SAMPLE, wait_until)
    assert w.video_path == str(SAMPLE)
    progress = []
    w._analysis_progress = progress
    done = []
    w.analysis_done.connect(done.append)
    w.analysis_failed.connect(done.append)
    previews = []
    w._analysis_previews = previews
    w.start_analysis()
    w._analysis_handle.worker.progress.connect(lambda d, t: progress.append((d, t)))
    w._analysis_handle.worker.preview.connect(lambda i, img, lm: previews.append((i, lm)))
    wait_until(lambda: done and not w.is_analysing(), 600)
    yield w
    w.close()
    w.shutdown()


# ---- the real flow -----------------------------------------------------------------------

@pytest.mark.slow
def test_real_clip_analysis_fills_map_text_and_progress(analysed):
    w = analysed
    a = w.analysis
    assert a is not None, w.shown_messages
    assert a.quality.usable
    assert w._analysis_progress and w._analysis_progress[-1][0] >= 140  # per-frame progress arrived
    # the skeleton being found was previewed while the analysis ran
    previews = w._analysis_previews
    assert previews and any(np.isfinite(lm[:, 0]).any() for _, lm in previews)
    km = a.knowledge_map
    view = w.result_panel.map_view
    assert view.km is km and view.glw.isVisible()
    # the heatmap shows every feature over every window, from the real values
    assert view.image.image.shape == (km.values.shape[1], km.values.shape[0])
    assert np.isfinite(view.image.image).any()
    # hover read-out names the feature, its value and its normal range
    row = int(np.argmax(np.isfinite(km.values[2, view.order])))
    text = view.describe(2, row)
    feat = km.features[view.order[row]]
    assert feat.name not in text  # plain words, never the code name
    assert "normal range" in text and f"{km.values[2, view.order[row]]:.3g}" in text
    # the clinical text is the one the kinematics produced
    assert w.result_panel.text.toPlainText().strip() == a.clinical_text.text.strip()
    # skeleton overlay from the analysed sequence
    assert w.video_panel.view.landmarks is not None


@pytest.mark.slow
def test_hovering_the_map_reads_out_a_feature(analysed, qtbot):
    w = analysed
    view = w.result_panel.map_view
    vb = view.plot.vb
    scene_pt = vb.mapViewToScene(QPointF(float(view.x0 + view.hop_s * 1.5), 0.5))
    view._on_move(scene_pt)
    assert view.hover_text and "normal range" in view.hover_text
    assert view.hover_text == view.info.text()


@pytest.mark.slow
def test_clicking_a_time_window_seeks_the_video(analysed, qtbot, wait_until):
    w = analysed
    view = w.result_panel.map_view
    window = 5
    expected = int(round(view.window_start_s(window) * w.video_panel.info.fps))
    x = view.x0 + view.hop_s * (window + 0.5)
    scene_pt = view.plot.vb.mapViewToScene(QPointF(float(x), 1.5))
    widget_pt = view.glw.mapFromScene(scene_pt)
    qtbot.mouseClick(view.glw.viewport(), Qt.MouseButton.LeftButton, pos=widget_pt)
    wait_until(lambda: w.video_panel.current_index == expected, 30)
    assert expected > 0


@pytest.mark.slow
def test_real_clip_result_shows_model_values(analysed):
    w = analysed
    s = w.analysis.screening
    assert s is not None, w.shown_messages
    rp = w.result_panel
    assert ("POSITIVE" in rp.verdict.text()) == (s.label == "positive")
    if s.label in ("re-record", "inconclusive"):  # e.g. the bundled side-view clip: no verdict, the reasons instead

        assert s.label.capitalize() in rp.verdict.text() and s.reasons
        assert "not estimated" in rp.cobb.text()
    else:
        assert f"{s.probability:.1%}" in rp.probability.text() and "of every 1,000 children" in rp.probability.text()
    from scoliscreen.core.outcome_words import cobb_words

    assert rp.cobb.text() == cobb_words(s.label, s.cobb_estimate, list(s.cobb_interval), s.severity_band)
    assert rp.bars.weights == pytest.approx({k: float(v) for k, v in s.region_weights.items()})
    assert set(rp.bars.weights) == set(REGION_IDS)
    assert rp.body.weights == rp.bars.weights
    top = max(s.region_weights, key=s.region_weights.get)
    low = min(s.region_weights, key=s.region_weights.get)
    assert rp.body.region_color(top).green() < rp.body.region_color(low).green()  # darker = more weight
    att = np.asarray(s.region_window_weights)
    assert rp.map_view.att is not None and rp.map_view.att_image.image.shape == att.shape
    assert s.model_version in w.model_label.text()
    assert w.device_label.text().startswith("Device: ")
    assert w.save_btn.isEnabled()


@pytest.mark.slow
def test_what_the_clinician_sees_is_what_the_model_used(analysed):
    """The text shown and saved is the model's input text, byte for byte; the map shows the
    model's windows on the attention strip's time axis; the unused clip is shaded."""

    w = analysed
    a = w.analysis
    assert a.screening is not None, w.shown_messages
    shown = w.result_panel.text.toPlainText()
    assert shown == a.clinical_text.text == a.screening.extras["text"]
    view = w.result_panel.map_view
    # the walk is screened as pooled 96-frame windows: the map covers their span
    assert view.km.n_windows == len(a.screening.window_times_s) >= 11
    np.testing.assert_allclose(view.km.window_times_s, view.att_times)
    assert a.segment is not None  # the rest of the clip is shaded "not used"
    assert view.unused_s and view.unused_s[-1][1] == pytest.approx(a.duration_s)
    assert view.unused_s[-1][0] <= a.segment.stop_s + 1e-6 and view.unused_s[0][0] >= 0.0
    assert "grey unused" in view.plot.titleLabel.text
    # saving the visit (the app's one recording path) stores the same text
    from scoliscreen.app.records import record_visit

    with w._open_store() as store:
        visit = record_visit(store, a)
        stored = store.analysis(visit["id"])
    assert stored["clinical_text"]["text"] == shown


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_file_dialog_offers_every_video_the_cli_accepts(window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from scoliscreen.core.constants import VIDEO_SUFFIXES

    seen = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, caption, folder, filt: (seen.append(filt), ("", ""))[1]))
    window.choose_video()
    videos = seen[0].split(";;")[0]
    assert "*.mpg" in videos and "*.wmv" in videos
    assert all(f"*{suffix}" in videos for suffix in VIDEO_SUFFIXES)


def test_settings_offer_the_cli_device_names(window):
    from scoliscreen.core.constants import DEVICES
    from scoliscreen.gui.settings import SettingsDialog

    dlg = SettingsDialog(window.settings, window)
    assert [dlg.device.itemData(i) for i in range(dlg.device.count())] == list(DEVICES)
    window.settings.q.setValue("compute/device", "gpu")  # written by an earlier version
    assert window.settings.device == "cuda"


# ---- cancel, errors, refusal ---------------------------------------------------------------

@pytest.mark.slow
def test_cancel_mid_analysis_leaves_the_app_usable(window, qtbot, wait_until):
    _open(window, SAMPLE, wait_until)
    progress = []
    window.start_analysis()
    handle = window._analysis_handle
    handle.worker.progress.connect(lambda d, t: progress.append(d))
    assert window.cancel_btn.isEnabled() and not window.analyse_btn.isEnabled()
    wait_until(lambda: len(progress) >= 3, 120)
    qtbot.mouseClick(window.cancel_btn, Qt.MouseButton.LeftButton)
    wait_until(lambda: not window.is_analysing(), 60)
    assert window.analysis is None
    assert "cancelled" in window.stage.text().lower()
    assert progress[-1] < 140  # stopped well before the end of the 147-frame clip
    assert window.analyse_btn.isEnabled() and not window.cancel_btn.isEnabled()
    assert not [m for m in window.shown_messages if m[0] == "error"]
    # still usable: frames step, and a new analysis can start (and be cancelled again)
    window.video_panel.seek(0)
    wait_until(lambda: window.video_panel.current_index == 0)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_until(lambda: window.video_panel.current_index == 1)
    window.start_analysis()
    assert window.is_analysing()
    window.cancel_analysis()
    wait_until(lambda: not window.is_analysing(), 60)


def test_corrupt_file_shows_an_error_dialog(window, tmp_path, wait_until):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    _open(window, bad, wait_until)
    errors = [m for m in window.shown_messages if m[0] == "error"]
    assert errors and "broken.mp4" in errors[0][2]
    assert window.video_path is None and not window.analyse_btn.isEnabled()
    # the app goes on: a good file opens afterwards
    window.shown_messages.clear()
    _open(window, SAMPLE, wait_until)
    assert window.video_path == str(SAMPLE) and window.analyse_btn.isEnabled()


@pytest.mark.slow
def test_refused_recording_shows_gate_reasons_and_never_runs_the_model(window, monkeypatch, wait_until):
    import scoliscreen.workers.analysis as wa

    def _no_model(*a, **k):
        raise AssertionError("the model must not run on a refused recording")

    monkeypatch.setattr(wa, "get_screener", _no_model)
    _open(window, REFUSED, wait_until)
    quality_seen = []
    done = []
    window.analysis_done.connect(done.append)
    window.analysis_failed.connect(done.append)
    window.start_analysis()
    window._analysis_handle.worker.quality_ready.connect(quality_seen.append)
    wait_until(lambda: done and not window.is_analysing(), 300)
    a = window.analysis
    assert a is not None and not a.quality.usable and a.screening is None
    assert quality_seen and quality_seen[0] is a.quality
    rp = window.result_panel
    assert rp.quality.isVisible()
    for reason in a.quality.refusals:
        assert reason.message[:40] in rp.quality.text().replace("&#x27;", "'").replace("&quot;", '"')
    assert "unusable" in rp.verdict.text()
    assert not [m for m in window.shown_messages if m[0] == "error"]
    # the refusal is kept in the patient's record (appended, with the gate's verdict)
    patient = window.patient_bar.new_patient(("P-0002", 2012, "M"))
    assert window.save_btn.isEnabled()
    window.save_visit()
    visits = window.patient_bar.store.visits(patient["id"])
    assert len(visits) == 1 and visits[0]["usable"] == 0 and visits[0]["video"] == str(REFUSED)
    assert not window.save_btn.isEnabled()


# ---- shortcuts and player ------------------------------------------------------------------

@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_keyboard_shortcuts_step_and_play(window, qtbot, wait_until):
    _open(window, SAMPLE, wait_until)
    vp = window.video_panel
    wait_until(lambda: vp.current_index == 0)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_until(lambda: vp.current_index == 1)
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_until(lambda: vp.current_index == 11)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    wait_until(lambda: vp.current_index == 10)
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    wait_until(lambda: vp.current_index == 0)
    qtbot.keyClick(window, Qt.Key.Key_Left)  # clamps at the first frame
    wait_until(lambda: vp._target == 0)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert vp.is_playing()
    wait_until(lambda: vp.current_index >= 5, 30)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not vp.is_playing()
    assert vp.time_label.text().endswith(f" · {vp.current_index + 1}/{vp.info.frame_count}")  # the frame counter


def test_drag_and_drop_opens_a_video(window, wait_until):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(SAMPLE))])
    vp = window.video_panel
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    vp.dropEvent(event)
    wait_until(lambda: window.video_path == str(SAMPLE))
    md_txt = QMimeData()
    md_txt.setUrls([QUrl.fromLocalFile(str(REPO / "README.md"))])
    assert vp._dropped_path(QDropEvent(QPointF(1, 1), Qt.DropAction.CopyAction, md_txt,
                                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)) is None


def test_window_has_disclaimer_patient_bar_and_status(window):
    from scoliscreen import DISCLAIMER

    assert window.disclaimer_label.text() == DISCLAIMER
    assert window.device_label.text().startswith("Device")
    assert window.model_label.text().startswith("Model")
    # create a patient through the bar; it lands in the (isolated) store and is selected
    p = window.patient_bar.new_patient(("P-0001", 2013, "F"))
    assert p is not None and window.patient_bar.current_patient()["pseudonym"] == "P-0001"
    assert "2013" in window.patient_bar.details.text()
    # a bad ID is refused with a message, not an exception
    assert window.patient_bar.new_patient(("Jane Doe!", 2013, "F")) is None
    assert window.shown_messages and window.shown_messages[-1][0] == "error"


def test_missing_camera_reports_an_error_and_resets(window, qtbot, wait_until):
    window.settings.camera_index = 9  # no camera on this machine (nor index 9 on most)
    window.toggle_recording()
    assert window.record_btn.text() == "Stop recording"
    wait_until(lambda: window.shown_messages and not window.video_panel.is_live(), 60)
    kind, _, text = window.shown_messages[0]
    assert kind == "error" and "camera" in text.lower()
    assert window.record_btn.text() == "Record from camera"
    window.shown_messages.clear()
    _open(window, SAMPLE, wait_until)  # and the app goes on
    assert window.analyse_btn.isEnabled()


def test_model_card_is_one_click_away(window, qtbot):
    qtbot.mouseClick(window.result_panel.card_btn, Qt.MouseButton.LeftButton)
    dlg = window.model_card_dialog
    assert dlg.isVisible()
    fmt, text = window.model_card_text()
    assert "simulated" in text.lower() and "research use only" in text.lower()
    dlg.close()
