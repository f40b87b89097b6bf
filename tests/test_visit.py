"""Several clips of one visit screened as one walk (issue 9): every usable window of every
usable clip pooled; `predict --visit` keeps the jsonl contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoliscreen.cli import main

POSES = Path(__file__).parent / "data" / "poses"
SIDE = POSES / "sports2d_side_walk_single.npz"
MULTI = POSES / "sports2d_demo_multiperson.npz"
REFUSED = POSES / "intel_one_by_one_back_walk_22s.npz"  # refused by the quality gate
CONTRACT = {"input", "probability", "label", "threshold", "cobb_estimate", "cobb_interval", "severity_band",
            "severity_probabilities", "region_weights", "reasons", "model_version"}


@pytest.fixture(scope="module")
def screener():
    from scoliscreen.app.models import load_screener

    return load_screener(device="cpu")


@pytest.mark.slow
def test_a_visit_pools_the_windows_of_its_clips(screener):
    from scoliscreen.app.analysis import model_windows, run_analysis
    from scoliscreen.app.screening import pool_visit

    a, b, refused = (run_analysis(p, screener=screener) for p in (SIDE, MULTI, REFUSED))
    assert a.screening is not None and b.screening is not None and refused.screening is None
    visit = pool_visit([a, b, refused], screener)
    assert visit is not None
    assert len(visit.windows_s) == len(a.screening.windows_s) + len(b.screening.windows_s)
    # the pooled chance lies between the clips' own chances, and is one coherent answer
    lo, hi = sorted([a.screening.probability, b.screening.probability])
    assert lo - 1e-9 <= visit.probability <= hi + 1e-9
    assert abs(visit.probability - (1 - visit.severity_probabilities["<10"])) <= 1e-6
    assert visit.cobb_interval[0] <= visit.cobb_estimate <= visit.cobb_interval[1]
    assert sum(visit.region_weights.values()) == pytest.approx(1.0)
    # the same windows screened directly give the same answer
    direct = screener.predict_windows(model_windows(a) + model_windows(b),
                                      ["side"] * (len(a.screening.windows_s) + len(b.screening.windows_s)))
    assert direct.probability == pytest.approx(visit.probability, abs=1e-9)
    # both clips are side views: the visit is re-recorded for that reason, numbers kept
    assert visit.label == "re-record" and "view" in [r["code"] for r in visit.reasons]
    # a refused clip adds nothing: the visit of one usable clip is that clip's answer
    alone = pool_visit([a, refused], screener)
    assert alone is not None and alone.probability == pytest.approx(a.screening.probability, abs=1e-9)
    assert pool_visit([refused], screener) is None


@pytest.mark.slow
def test_predict_visit_prints_one_object_in_the_contract(capsys):
    assert main(["predict", "--visit", str(SIDE), str(MULTI)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    o = json.loads(lines[0])
    assert CONTRACT <= set(o) and "error" not in o
    assert o["label"] in ("positive", "negative", "re-record", "inconclusive")
    assert o["input"] == f"{SIDE} + {MULTI}" and [c["input"] for c in o["clips"]] == [str(SIDE), str(MULTI)]
    assert o["windows"] == sum(len(c["windows_s"]) for c in o["clips"])
    assert o["cobb_interval"][0] <= o["cobb_estimate"] <= o["cobb_interval"][1]


@pytest.mark.slow
def test_a_visit_with_no_usable_clip_is_a_one_line_error(capsys):
    assert main(["predict", "--visit", str(REFUSED)]) == 3  # the quality gate refused every clip
    captured = capsys.readouterr()
    o = json.loads(captured.out)
    assert set(o) >= {"input", "error"} and "quality gate" in o["error"]
    assert "Traceback" not in captured.err and "error:" in captured.err
