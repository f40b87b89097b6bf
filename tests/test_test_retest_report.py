"""The test-retest benchmark's figures reach the docs through ``scoliscreen model-report``
(issue 9: nothing typed by hand): the JSON of ``benchmarks/test_retest.py --json`` is rendered
beside the card, with the 90 % bar marked only where it is reached."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scoliscreen.core.model.report import BEGIN, END, retest_markdown, update_docs

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "models" / "screening"


def _summary(agree: float, n: int = 20) -> dict:
    return {"pairs": n, "label_agreement_all": agree, "pairs_both_with_verdict": n - 2,
            "label_agreement_verdicts": 0.9, "re_record_fraction": 0.1, "accuracy_on_verdicts": 0.7,
            "median_abs_delta_p": 0.01}


def test_the_bar_is_bold_only_where_reached_and_another_model_is_named():
    res = {"command": "python benchmarks/test_retest.py --subjects 20", "subjects": 20, "seed": 1,
           "model_version": "m-1", "all_subjects": {"single_window": _summary(0.65), "pooled": _summary(0.9)}}
    md = retest_markdown(res, "m-1")
    assert "| one clip, one 96-frame window | 20 | 0.650 |" in md
    assert "| one clip, walk pooled (the app) | 20 | **0.900** |" in md
    assert "visit of two clips" not in md and "not the shipped model" not in md
    assert "not the shipped model" in retest_markdown(res, "m-2")


@pytest.mark.slow
def test_a_benchmark_run_is_rendered_into_the_docs(tmp_path):
    out = tmp_path / "model"
    shutil.copytree(SHIPPED, out)
    (out / "test_retest.json").unlink(missing_ok=True)
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "test_retest.py"), "--subjects", "4", "--visit",
                          "--json", str(out / "test_retest.json")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    res = json.loads((out / "test_retest.json").read_text())
    assert res["model_version"] == json.loads((SHIPPED / "model_card.json").read_text())["model_version"]
    assert res["all_subjects"]["pooled"]["pairs"] == 4 and res["visit_two_clips_all_subjects"]["pairs"] == 4
    assert res["visit_windows_mean"] >= 2  # a visit pools the windows of two clips
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "model.md").write_text(f"# Model\n\n{BEGIN}\nold\n{END}\n")
    update_docs(out, docs)
    text = (docs / "model.md").read_text()
    assert "## Test–retest (simulated re-recordings)" in text and "--subjects 4 --visit" in text
    pooled = res["all_subjects"]["pooled"]["label_agreement_all"]
    assert "| one clip, walk pooled (the app) | 4 | " in text and f"{pooled:.3f}" in text
