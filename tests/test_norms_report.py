"""Issue 20 §3 / issue 24 A.8: the shown measures placed among healthy adult walkers, in plain
words, in the report (before the heat map) and in the window."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scoliscreen.core.norms import SHOWN, compare, load_norms, plain_summary

REPO = Path(__file__).resolve().parents[1]


def _typical(view: str) -> dict:
    norms = load_norms()
    return {m: norms.get(m, view).median for m in SHOWN}


def test_a_typical_walk_is_within_norms_and_a_large_asymmetry_is_outside():
    assert load_norms() is not None
    lines = plain_summary(_typical("back"), "back")
    assert "healthy adult walkers" in lines[0] and "adults" in lines[0]
    assert any("within the range of healthy walkers" in x for x in lines)
    medians = _typical("back") | {"shoulder_tilt_deg": 25.0}
    rows = compare(medians, "back")
    assert rows[0].measure == "shoulder_tilt_deg" and rows[0].outside and rows[0].percentile >= 99
    assert rows[0].low <= rows[0].percentile <= rows[0].high
    assert any(x.startswith("outside healthy norms: shoulder tilt:") for x in plain_summary(medians, "back"))


def test_no_comparison_for_a_side_view_or_no_measures():
    assert "front and back views" in plain_summary(_typical("back"), "side")[0]
    assert compare({}, "front") == [] and "could not be computed" in plain_summary({}, "front")[0]


@pytest.mark.slow
def test_the_report_and_the_window_show_the_comparison(tmp_path, qtbot):
    """A world-M child (a real CMU walk filmed from behind) through the app: the window's line and
    the PDF's section say the same sentences."""
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.records import record_visit
    from scoliscreen.cli import main
    from scoliscreen.core.sim import simulate_dataset
    from scoliscreen.core.store import Store
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.result_panel import ResultPanel

    simulate_dataset(tmp_path / "m", subjects=2, clips_per_subject=1, seed=3, world="M", workers=1)
    clip = sorted((tmp_path / "m").rglob("*.npz"))[0]
    analysis = run_analysis(clip)
    assert analysis.quality.usable and analysis.knowledge_map is not None
    create_app()
    panel = ResultPanel()
    qtbot.addWidget(panel)
    panel.show_analysis(analysis)
    lines = plain_summary(analysis.to_dict()["knowledge_map"]["medians"], analysis.knowledge_map.view)
    assert lines[0] in panel.norms.text()
    db = tmp_path / "r.sqlite3"
    with Store.open(db) as store:
        vid = record_visit(store, analysis)["id"]
    pdf = tmp_path / "v.pdf"
    assert main(["report", str(vid), str(pdf), "--db", str(db)]) == 0
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Compared with healthy walkers" in text and " ".join(lines[0].split()) in text
