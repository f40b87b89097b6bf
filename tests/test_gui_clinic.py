"""Issue 22 in the window (pytest-qt, offscreen): outcomes on a visit in History, the view "How
the model does on our children", and the model switcher (a local model is always shown as local)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from tests.gui_helpers import Asker, main_window  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ANALYSIS = json.loads((REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json").read_text())
SAMPLE_POSES = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
SHOTS = Path(os.environ.get("SCOLISCREEN_SHOTS", "")) if os.environ.get("SCOLISCREEN_SHOTS") else None


def _shot(widget: QWidget, name: str) -> None:
    """Save a picture of ``widget`` when SCOLISCREEN_SHOTS names a folder (for looking at, not asserted)."""
    if SHOTS is not None:
        from PySide6.QtWidgets import QApplication

        for _ in range(3):  # let the layouts settle (word-wrapped labels, status bar)
            QApplication.processEvents()
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


@pytest.fixture
def window(qtbot, tmp_path):
    w = main_window(tmp_path, Asker())
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def _unlabelled(root: QWidget) -> list[str]:
    """Focusable visible widgets with no accessible name (a form field named by its label counts)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    out = []
    for wdg in root.findChildren(QWidget):
        if not wdg.isVisibleTo(root) or wdg.focusPolicy() == Qt.FocusPolicy.NoFocus or isinstance(wdg, QLabel):
            continue
        if wdg.accessibleName() or (isinstance(wdg, QAbstractButton) and wdg.text()):
            continue
        if type(wdg).__name__ in ("QScrollBar", "QTableCornerButton", "QViewport", "GraphicsView"):
            continue
        if wdg.parentWidget() is not None and wdg.parentWidget().accessibleName() and \
                type(wdg).__name__ in ("QWidget", "QLineEdit"):  # a combo's editor, a table's viewport
            continue
        out.append(f"{type(wdg).__name__}:{wdg.objectName()}")
    return out


# ---- outcomes on a visit ----------------------------------------------------------------------------
def test_add_and_remove_outcomes_from_history(window, qtbot):
    store = window.records.store()
    p = store.add_patient("P-0007", 2014, "F")
    visit = store.add_visit(p["id"], "/clinic/a.mp4", ANALYSIS)
    window.records.show_view("history")
    history = window.records.history
    assert history.select_patient(p["id"])
    box = history.outcomes
    assert box.visit is not None and box.visit["id"] == visit["id"] and box.add_btn.isEnabled()
    assert not box.remove_btn.isEnabled()

    answers = iter([("cobb", "abc", "", ""), ("cobb", "150", "", ""), ("cobb", "14", "5", "02/05/2026"),
                    ("cobb", "", "", ""), ("cobb", "14,5", "5", "2026-05-02")])
    problems: list[str] = []

    def fill(dialog) -> bool:
        how, cobb, atr, date = next(answers)
        dialog.source.setCurrentIndex(dialog.source.findData("radiograph"))
        (dialog.by_cobb if how == "cobb" else dialog.by_class).setChecked(True)
        dialog.cobb.setText(cobb)
        dialog.atr.setText(atr)
        dialog.date.setText(date)
        dialog.note.setText("AP standing")
        dialog.save()
        if dialog.result() != dialog.DialogCode.Accepted:
            problems.append(dialog.message.text())
            return fill(dialog)  # the dialog stays open with one message; the user corrects it
        return True

    box.run_dialog = fill
    saved = box.add_outcome()
    # each bad entry: one clear sentence, nothing saved
    assert len(problems) == 4 and all(t and "\n" not in t for t in problems)
    assert "number" in problems[0] and "120" in problems[1] and "YYYY-MM-DD" in problems[2]
    assert "Cobb angle" in problems[3]
    assert saved is not None and saved["cobb"] == 14.5 and saved["atr"] == 5.0 and saved["observed_on"] == "2026-05-02"
    assert [o["id"] for o in store.outcomes(visit_id=visit["id"])] == [saved["id"]]
    assert box.table.rowCount() == 1 and box.table.item(0, 1).text() == "Cobb 14.5°"

    def by_class(dialog) -> bool:
        dialog.source.setCurrentIndex(dialog.source.findData("adams"))
        dialog.by_class.setChecked(True)
        dialog.klass.setCurrentIndex(dialog.klass.findData("positive"))
        dialog.save()
        return dialog.result() == dialog.DialogCode.Accepted

    box.run_dialog = by_class
    adams = box.add_outcome()
    assert adams is not None and adams["class"] == "positive" and adams["cobb"] is None
    assert box.table.rowCount() == 2
    assert box.table.item(0, 0).font().bold() and not box.table.item(1, 0).font().bold()  # radiograph counts
    _shot(window, "history_outcomes")

    box.table.selectRow(1)
    box.confirm = lambda text: False  # the user says no: nothing changes
    assert not box.remove_selected() and len(store.outcomes(visit_id=visit["id"])) == 2
    box.confirm = lambda text: "stays in the records" in text
    assert box.remove_selected()
    assert [o["id"] for o in store.outcomes(visit_id=visit["id"])] == [saved["id"]]
    assert len(store.outcomes(visit_id=visit["id"], include_removed=True)) == 2  # marked, kept
    log = [(a["action"], a["entity"]) for a in store.audit_log("outcome")]
    assert log.count(("created", "outcome")) == 2 and log.count(("deleted", "outcome")) == 1
    assert box.table.rowCount() == 1
    assert _unlabelled(box) == []
    assert "Add outcome…" in [a.text().replace("&", "") for a in history.table.actions()]
    opened = []
    box.run_dialog = lambda d: opened.append(d.visit_id) or False  # the user cancels
    history.add_outcome_action.trigger()  # the table's context menu / Ctrl+Shift+O
    assert opened == [visit["id"]] and len(store.outcomes(visit_id=visit["id"])) == 1


def test_outcome_dialog_by_keyboard_only(window, qtbot):
    from PySide6.QtWidgets import QApplication

    from scoliscreen.gui.outcomes_box import OutcomeDialog

    store = window.records.store()
    p = store.add_patient("P-0008", 2013, "M")
    visit = store.add_visit(p["id"], "/clinic/b.mp4", ANALYSIS)
    dlg = OutcomeDialog(store, visit["id"], "(visit of today)", window)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.source)
    assert _unlabelled(dlg) == []
    # Tab walks every field in reading order
    seen = []
    for _ in range(8):
        seen.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    for wdg in (dlg.source, dlg.by_cobb, dlg.cobb, dlg.atr, dlg.date, dlg.note):
        assert wdg in seen, wdg.accessibleName()
    # source by arrow key, a Cobb angle typed, Enter saves
    dlg.source.setFocus()
    qtbot.keyClick(dlg.source, Qt.Key.Key_Down)
    assert dlg.source.currentData() == "scoliometer"
    dlg.cobb.setFocus()
    qtbot.keyClicks(dlg.cobb, "12")
    _shot(dlg, "outcome_dialog")
    qtbot.keyClick(dlg.cobb, Qt.Key.Key_Return)
    assert dlg.result() == dlg.DialogCode.Accepted
    (o,) = store.outcomes(visit_id=visit["id"])
    assert o["source"] == "scoliometer" and o["cobb"] == 12.0


# ---- how the model does on our children ----------------------------------------------------------
def _generated_result(n_children: int = 40, n_pos: int = 12, seed: int = 3) -> dict:
    """A validate_local result from generated visits (the same summary and card code the CLI uses)."""
    from scoliscreen.app.local_validation import card_figures
    from scoliscreen.core.model import local_eval
    from scoliscreen.core.model.card import read_card

    rng = np.random.default_rng(seed)
    truth = np.arange(n_children) < n_pos
    prob = np.clip(np.where(truth, rng.beta(4, 3, n_children), rng.beta(1.2, 8, n_children)), 0.001, 0.999)
    label = np.where(prob >= 0.3, "positive", "negative").astype("<U12")
    label[[3, 30]] = "re-record"
    label[5] = "inconclusive"
    visits = local_eval.LocalVisits(np.array([f"patient:{i}" for i in range(n_children)]), truth, label, prob,
                                    np.log(prob / (1 - prob)))
    res = local_eval.summary(visits, n_boot=200)
    res.update({"model_version": "scoligait-sim-test", "model_is_shipped": True, "sources": ["radiograph"],
                "since": None, "unit": "first screened visit per child", "skipped_without_pose": [17],
                "card": card_figures(read_card(REPO / "models" / "screening"))})
    return res


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_local_validation_view_shows_what_validate_local_gives(window, qtbot, tmp_path):
    from scoliscreen.core.report.local_validation import ROWS
    from scoliscreen.gui.local_validation_view import ci_text

    dlg = window.clinic.open_local_validation()
    qtbot.addWidget(dlg)
    res = _generated_result()
    dlg.show_result(res)
    assert dlg.table.horizontalHeaderItem(2).text() == "Model card (simulated)"
    rows = dlg.table_text()
    assert [r[0] for r in rows] == [name for _k, name in ROWS]
    for (key, _n), (_name, local, card) in zip(ROWS, rows):
        assert local == ci_text(res["figures"][key])
        assert card == ci_text(res["card"].get(key))
    assert rows[0][1] != "–" and rows[0][2] != "–"  # both columns filled for sensitivity
    assert rows[7][1].startswith("0.05 (")  # re-record rate: 2 of 40
    assert "40 children, 12 of them with scoliosis" in dlg.counts.text()
    assert dlg.conclusion.isVisibleTo(dlg) and "Too few" in dlg.conclusion.text()  # 12 < 30
    assert "not negatives" in dlg.note.text() and "1 visit(s) without a stored pose" in dlg.note.text()
    assert "Research use only" in dlg.model_line.text() and "scoligait-sim-test (shipped model)" in dlg.model_line.text()
    assert sum(b["n"] for b in dlg.plot.bins) == sum(b["n"] for b in res["calibration"]) > 0
    assert _unlabelled(dlg) == []
    _shot(dlg, "local_validation")
    dlg.ask_pdf_path = lambda: str(tmp_path / "local")
    out = dlg.export_with_dialog()
    assert out == tmp_path / "local.pdf" and out.read_bytes()[:5] == b"%PDF-"
    # enough positives: no "too few" line
    dlg.show_result(_generated_result(80, 40))
    assert not dlg.conclusion.isVisibleTo(dlg)


def test_local_validation_without_outcomes_says_so(window, qtbot):
    store = window.records.store()
    p = store.add_patient("P-0009", 2014, "F")
    store.add_visit(p["id"], "/clinic/c.mp4", ANALYSIS)
    dlg = window.clinic.open_local_validation()
    qtbot.addWidget(dlg)
    assert dlg.start()
    qtbot.waitUntil(lambda: dlg.handle is None, timeout=10000)
    assert "No screened visit has a recorded outcome" in dlg.status.text() and dlg.result is None
    assert dlg.run_btn.isEnabled() and not dlg.export_btn.isEnabled()


@pytest.mark.slow
def test_local_validation_worker_matches_validate_local(window, qtbot, tmp_path):
    """The view's worker gives exactly validate_local's figures (simulated children, world B, each
    visit recorded with its pose sequence and a radiograph outcome from its simulated Cobb angle)."""
    import csv

    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.local_validation import dumps, validate_local
    from scoliscreen.app.models import shared_screener
    from scoliscreen.app.records import record_visit
    from scoliscreen.core.sim import simulate_dataset
    from scoliscreen.gui.local_validation_view import ci_text

    simulate_dataset(tmp_path / "ds", subjects=4, clips_per_subject=1, seed=11, workers=1, world="B")
    with open(tmp_path / "ds" / "labels.csv", newline="") as f:
        labels = list(csv.DictReader(f))
    store = window.records.store()
    screener = shared_screener("auto", None)
    for i, row in enumerate(labels):
        p = store.add_patient(f"V-{i}", 2014, "F")
        v = record_visit(store, run_analysis(tmp_path / "ds" / row["file"], screener=screener), patient_id=p["id"])
        store.add_outcome(v["id"], "radiograph", cobb=float(row["cobb_angle"]))
    dlg = window.clinic.open_local_validation()
    qtbot.addWidget(dlg)
    dlg.n_boot = 100
    assert dlg.start()
    qtbot.waitUntil(lambda: dlg.handle is None, timeout=120000)
    assert dlg.result is not None, dlg.status.text()
    direct = validate_local(store, screener, n_boot=100)
    assert dlg.result["n_children"] == direct["n_children"] == len(labels)
    assert dlg.counts.text().startswith(f"<b>{len(labels)} children")
    assert dumps(dlg.result["figures"]) == dumps(direct["figures"])  # NaN-safe: the same figures
    assert dlg.table_text()[7][1] == ci_text(direct["figures"]["re_record_rate"])
    assert dlg.progress.value() == dlg.progress.maximum()
    _shot(dlg, "local_validation_computed")


# ---- model switcher --------------------------------------------------------------------------------
def _local_model(folder: Path) -> Path:
    """A recalibrated local model folder (same weights, another calibration and threshold)."""
    from scoliscreen.core.model.card import read_card
    from scoliscreen.core.model.recalibration import write_local_model

    shipped = REPO / "models" / "screening"
    cv = {k: {"value": v, "lo": v - 0.1, "hi": min(1.0, v + 0.1)}
          for k, v in (("sensitivity", 0.86), ("specificity", 0.7), ("auc", 0.84))}
    fit = {"a": 0.8, "b": -0.4, "train_prevalence": 0.3, "threshold_logit": -0.7, "target_sensitivity": 0.85,
           "cv": cv, "n_children": 60, "n_positive_children": 20, "n_visits": 70, "folds": 5,
           "deferred_by_base_model": 0.1}
    return write_local_model(shipped, folder, read_card(shipped), fit, None)


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_model_switcher_shows_a_local_model_as_local(window, qtbot, tmp_path):
    from scoliscreen.app.model_choice import describe_model_folder
    from scoliscreen.gui.model_switcher import ModelSwitcherDialog, active_folder

    shipped = describe_model_folder(None)
    assert shipped.is_shipped and shipped.usable
    local_dir = _local_model(tmp_path / "local-model")
    loads = []
    window.load_model = lambda: loads.append(window.model_dir)
    dlg = window.clinic.choose_model()
    qtbot.addWidget(dlg)
    assert isinstance(dlg, ModelSwitcherDialog) and len(dlg.choices()) == 1
    assert dlg.add_folder(tmp_path / "nowhere") is None and "Not added" in dlg.message.text()
    dlg.ask_folder = lambda: str(local_dir)
    choice = dlg.add_with_dialog()
    assert choice is not None and not choice.is_shipped
    assert choice.model_version.startswith("local model sha256:") and shipped.model_version not in choice.model_version
    texts = [dlg.list.item(i).text() for i in range(dlg.list.count())]
    assert texts[0].startswith("Shipped model — " + shipped.model_version)
    assert texts[1].startswith("Local model — local model sha256:") and shipped.model_version not in texts[1]
    assert _unlabelled(dlg) == []
    _shot(dlg, "model_switcher")
    dlg.list.setFocus()
    qtbot.keyClick(dlg.list, Qt.Key.Key_Up)
    assert dlg.current_choice().is_shipped
    qtbot.keyClick(dlg.list, Qt.Key.Key_Down)  # keyboard only: arrows, then Enter uses the model
    qtbot.keyClick(dlg.list, Qt.Key.Key_Return)
    assert window.model_dir == str(local_dir) and loads == [str(local_dir)]
    assert window.model_label.text().startswith("Model: local model sha256:")
    assert shipped.model_version not in window.model_label.text()
    assert active_folder(window.settings) == str(local_dir)
    _shot(window.statusBar(), "status_bar_local_model")
    # the validation view names the active (local) model as local
    view = window.clinic.open_local_validation()
    qtbot.addWidget(view)
    assert "(local model)" in view.model_line.text() and view.model_dir == str(local_dir)

    # remembered: a new window starts with it
    w2 = main_window(tmp_path, Asker())
    qtbot.addWidget(w2)
    try:
        assert w2.model_dir == str(local_dir) and "local model sha256:" in w2.model_label.text()
        w2.load_model = lambda: None
        assert w2.clinic.use_model(shipped) and w2.model_dir is None
        assert w2.model_label.text().startswith("Model: " + shipped.model_version)
    finally:
        w2.shutdown()


def test_a_tampered_local_model_is_refused(tmp_path):
    from scoliscreen.app.model_choice import describe_model_folder

    folder = _local_model(tmp_path / "m")
    blob = bytearray((folder / "model.safetensors").read_bytes())
    blob[-1] ^= 1
    (folder / "model.safetensors").write_bytes(bytes(blob))
    choice = describe_model_folder(folder)
    assert not choice.usable and "sha256" in choice.problem and not choice.is_shipped


@pytest.mark.slow
def test_switching_to_a_local_model_loads_it_and_analyses_use_it(window, qtbot, tmp_path):
    """The real model load: the status bar names the local model as local, and an analysis made
    afterwards is screened by it (its result carries the local name)."""
    from scoliscreen.app.model_choice import describe_model_folder

    choice = describe_model_folder(_local_model(tmp_path / "local-model"))
    with qtbot.waitSignal(window.model_ready, timeout=120000) as ready:
        assert window.clinic.use_model(choice)
    assert ready.args[0].model_version == choice.model_version
    assert window.model_label.text() == f"Model: {choice.model_version}"
    from scoliscreen.workers.analysis import AnalysisWorker

    worker = AnalysisWorker(SAMPLE_POSES, device=window.settings.device, model_dir=window.model_dir, preview=False)
    with qtbot.waitSignal(worker.result, timeout=120000) as done:
        worker.run()  # on this thread: the same code path the window starts on a QThread
    assert done.args[0].screening.model_version == choice.model_version
