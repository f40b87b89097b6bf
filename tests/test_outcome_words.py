"""The four outcome labels (positive, negative, re-record, inconclusive) and their words: one source
(core/outcome_words.py), the same everywhere; a display that never contradicts itself."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoliscreen.core import outcome_words as w

REPO = Path(__file__).resolve().parents[1]
SIDE = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"

REASONS = st.lists(st.sampled_from(["view", "subject_changed", "few_good_frames", "near_threshold",
                                    "out_of_distribution", "mystery"]), max_size=4)


@given(REASONS, st.booleans())
def test_label_from_reason_codes(codes, positive):
    label = w.label_from([{"code": c, "message": c} for c in codes], positive)
    assert label in w.LABELS
    if not codes:
        assert label == ("positive" if positive else "negative")
    elif set(codes) <= w.INCONCLUSIVE_CODES:
        assert label == "inconclusive"  # a good recording the model cannot call
    else:
        assert label == "re-record"  # filming again can fix it: that comes first
    assert w.verdict_of_label(label) in w.VERDICTS


finite = st.floats(-20, 90, allow_nan=False)
maybe = st.one_of(finite, st.just(float("nan")), st.none())


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
@settings(max_examples=400)
@given(st.sampled_from(w.LABELS), maybe, maybe, maybe, st.sampled_from(["<10", "10-25", "25-40", ">=40", None]))
def test_the_cobb_line_never_contradicts_the_verdict(label, est, lo, hi, band):
    text = w.cobb_words(label, est, [lo, hi], band)
    if text == w.COBB_NOT_ESTIMATED:
        return
    shown = float(re.search(r"about (-?\d+)°", text).group(1))
    assert label in ("positive", "negative")  # no estimate with re-record / inconclusive
    assert lo is not None and hi is not None and hi - lo <= w.COBB_INFORMATIVE_WIDTH
    if label == "positive":  # a refer never says "most likely < 10°"
        assert est >= 10 and "<10" not in text and shown >= 10
    else:
        assert est < 10 and (band in (None, "<10"))


def test_setting_words_count_children():
    text = w.setting_words({"prevalence": 0.03, "referred_per_1000": 431.1, "with_curve_per_1000": 25.4})
    assert "about 431 of every 1,000 children screened are referred; about 25 of them" in text
    assert w.setting_words({}) == ""


def test_referral_setting_from_the_shipped_card():
    from scoliscreen.core.model.decision import referral_setting

    card = json.loads((REPO / "models" / "screening" / "model_card.json").read_text())
    s = referral_setting(card, 0.03)
    boot = card["operating_point_test"]["bootstrap"]
    assert s["referred_per_1000"] == pytest.approx(boot["referrals_per_1000"]["value"], abs=0.1)
    assert s["with_curve_per_1000"] == pytest.approx(30 * boot["sensitivity"]["value"], abs=0.1)
    assert referral_setting(card, None) == {}


@pytest.fixture(scope="module")
def cases():
    """One re-record and one inconclusive answer from the shipped model on a real pose sequence:
    the side-view walk (re-record: view), and the same walk with side views declared validated
    (then only out_of_distribution remains: inconclusive)."""
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.screening import screen_file
    from scoliscreen.core.model.predict import Screener

    out = {}
    for label, views in (("re-record", ("front", "back")), ("inconclusive", ("front", "back", "side"))):
        screener = Screener.load()
        screener.decision.validated_views = views
        analysis = run_analysis(SIDE, screener=screener)
        out[label] = (analysis, screen_file(SIDE, screener))
    return out


@pytest.mark.slow
@pytest.mark.gui
def test_one_re_record_and_one_inconclusive_everywhere(cases, qtbot, tmp_path):
    from scoliscreen.app.batch_plan import result_row, write_csv
    from scoliscreen.app.records import record_visit
    from scoliscreen.cli import main
    from scoliscreen.core.store import Store
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.result_panel import ResultPanel

    create_app()
    db = tmp_path / "r.sqlite3"
    rows = []
    for label, (analysis, predicted) in cases.items():
        s = analysis.screening
        assert s is not None and s.label == label
        codes = {r["code"] for r in s.reasons}
        assert ("view" in codes) == (label == "re-record") and "out_of_distribution" in codes
        # predict (jsonl object): the label and the reason codes
        assert predicted["label"] == label and {r["code"] for r in predicted["reasons"]} == codes
        # the window
        panel = ResultPanel()
        qtbot.addWidget(panel)
        panel.show_analysis(analysis)
        assert panel.verdict.text() == w.WINDOW_WORDS[label]
        advice = w.RE_RECORD_ADVICE if label == "re-record" else w.INCONCLUSIVE_ADVICE
        assert advice in panel.probability.text() and w.COBB_NOT_ESTIMATED in panel.cobb.text()
        # the report
        with Store.open(db) as store:
            visit_id = record_visit(store, analysis)["id"]
        pdf = tmp_path / f"{label}.pdf"
        assert main(["report", str(visit_id), str(pdf), "--db", str(db), "--no-blur"]) == 0
        if shutil.which("pdftotext"):
            text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                           check=True).stdout.split())
            assert w.HEADLINES[label][0] in text and "refer when" not in text and "are referred" not in text
            assert ("Adams forward-bend" in text) == (label == "inconclusive")
        rows.append(result_row(SIDE, SIDE.parent, analysis=analysis.to_dict()))
    # the batch CSV
    out = write_csv(rows, tmp_path / "batch.csv")
    with open(out, newline="") as f:
        got = [(r["result"], r["label"], r["reason_codes"]) for r in csv.DictReader(f)]
    assert [g[:2] for g in got] == [("re-record", "re-record"), ("inconclusive", "inconclusive")]
    assert "view" in got[0][2] and got[1][2] == "out_of_distribution"
