"""Training, evaluation and the CLI on a tiny simulated dataset (a model trained in seconds)."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import torch

from scoliscreen.cli import main
from scoliscreen.core.errors import LeakageError
from scoliscreen.core.model.provenance import local_model_version

torch.set_num_threads(2)
pytestmark = pytest.mark.slow  # simulates a dataset and trains a model (a minute on 2 cores)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 14-subject simulated dataset, its inputs, and a tiny model trained on it (2 epochs)."""
    import os

    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.model.pipeline import _load, train_pipeline
    from scoliscreen.core.model.train import TrainConfig
    from scoliscreen.core.sim import simulate_dataset

    root = tmp_path_factory.mktemp("tiny")
    os.environ["SCOLISCREEN_DATA_DIR"] = str(root / "userdata")
    data = root / "data"
    simulate_dataset(data, subjects=14, clips_per_subject=2, seed=3, workers=1)
    inputs = build_inputs(_load(data))
    model = root / "model"
    card = train_pipeline(data, model, TrainConfig(epochs=2, dim=16, batch_size=8, seed=0), inputs=inputs,
                          dataset_info={"simulated": True})
    return {"data": data, "model": model, "card": card, "inputs": inputs, "root": root}


def test_inputs_of_simulated_clips(tiny):
    inp = tiny["inputs"]
    assert len(inp) == 28 and not inp.skipped
    assert inp.maps.dtype == np.uint8 and inp.maps.shape[1:] == (32, 8, 32, 22)
    assert inp.frame_valid.mean() > 0.9  # simulated walkers are seen throughout
    assert np.isfinite(inp.km).mean() > 0.8
    assert np.allclose(np.linalg.norm(inp.text, axis=1), 1.0, atol=1e-4)
    # mirrored knowledge maps differ from the originals (signed asymmetries flip)
    assert not np.allclose(np.nan_to_num(inp.km), np.nan_to_num(inp.km_m))


def test_training_writes_a_complete_card(tiny):
    card, model = tiny["card"], tiny["model"]
    assert (model / "model.safetensors").exists() and (model / "model_card.md").exists()
    for key in ("calibration", "operating_point", "metrics_val", "train_subject_hashes", "val_subject_hashes",
                "data", "training", "weights", "model_version", "intended_use"):
        assert key in card, key
    assert card["trained_on_simulated_only"] is True
    assert 0.0 < card["operating_point"]["threshold"] < 1.0
    # the probability is shown at a stated prevalence (school, 3 %); the card states both
    assert card["calibration"]["target_prevalence"] == 0.03
    assert 0.0 < card["calibration"]["train_prevalence"] < 1.0
    assert len(card["ood"]["centre"]) == tiny["inputs"].km.shape[-1] and card["ood"]["threshold"] > 0
    assert card["re_record"]["validated_views"] == ["front", "back"]
    assert "Operating point" in (model / "model_card.md").read_text()
    d = card["data"]
    assert d["train_clips"] + d["val_clips"] + d["test_clips"] == 28
    # raw subject IDs are not stored
    assert not any(s.startswith("sim") for s in card["train_subject_hashes"])
    assert "sim0000" not in (model / "model_card.json").read_text()
    assert card["training"]["epochs_run"] == 2


def test_training_is_seeded(tiny, tmp_path):
    from scoliscreen.core.model.pipeline import train_pipeline
    from scoliscreen.core.model.train import TrainConfig

    card = train_pipeline(tiny["data"], tmp_path, TrainConfig(epochs=2, dim=16, batch_size=8, seed=0),
                          inputs=tiny["inputs"])
    assert card["history"] == tiny["card"]["history"]
    from safetensors.torch import load_file

    a = load_file(str(tiny["model"] / "model.safetensors"))
    b = load_file(str(tmp_path / "model.safetensors"))
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-5) for k in a)
    other = train_pipeline(tiny["data"], tmp_path / "s1", TrainConfig(epochs=1, dim=16, batch_size=8, seed=1),
                           inputs=tiny["inputs"])
    assert other["weights"]["sha256"] != card["weights"]["sha256"]


def test_evaluate_refuses_subjects_the_model_has_seen(tiny, capsys):
    from scoliscreen.core.model.pipeline import evaluate_pipeline

    with pytest.raises(LeakageError, match="shares"):
        evaluate_pipeline(tiny["data"], tiny["model"])
    assert main(["evaluate", str(tiny["data"]), "--model", str(tiny["model"])]) == 2
    err = capsys.readouterr().err
    assert "shares" in err and "Traceback" not in err


def test_evaluate_on_unseen_subjects_prints_all_metrics(tiny, tmp_path, capsys):
    # same clips, renamed subjects -> unseen as far as the model card can tell
    data = tmp_path / "renamed"
    shutil.copytree(tiny["data"], data)
    rows = list(csv.DictReader(open(data / "labels.csv")))
    for r in rows:
        r["subject_id"] = "new_" + r["subject_id"]
    with open(data / "labels.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["evaluate", str(data), "--model", str(tiny["model"]), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "macro_f1", "roc_auc", "sensitivity", "specificity", "cobb_mae", "per_class"):
        assert key in m
    assert set(m["per_class"]) == {"negative", "positive"}
    assert m["n"] == 28
    assert main(["evaluate", str(data), "--model", str(tiny["model"])]) == 0
    table = capsys.readouterr().out
    assert "macro-F1" in table and "ROC-AUC" in table and "Cobb MAE" in table


def test_cli_predict_with_a_trained_model(tiny, capsys):
    files = sorted((tiny["data"] / "poses").glob("*.npz"))[:2]
    assert main(["predict", *map(str, files), "--model", str(tiny["model"])]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["input"] for x in lines] == [str(f) for f in files]
    for x in lines:
        assert 0.0 <= x["probability"] <= 1.0
        assert x["label"] in ("positive", "negative", "re-record", "inconclusive")
        assert (x["label"] in ("re-record", "inconclusive")) == bool(x["reasons"])
        lo, hi = x["cobb_interval"]
        assert lo <= x["cobb_estimate"] <= hi
        assert abs(x["probability"] - (1 - x["severity_probabilities"]["<10"])) <= 1e-6
        assert abs(sum(x["region_weights"].values()) - 1.0) < 1e-3
        # not the shipped weights: a "local model" named by its own hash (core/model/provenance.py)
        assert x["model_version"] == local_model_version(tiny["card"]["weights"]["sha256"])


def test_ablation_writes_the_paper_table(tiny, tmp_path):
    from scoliscreen.core.model.ablation import ROWS, run_ablation, write_results
    from scoliscreen.core.model.train import TrainConfig

    run = run_ablation(tiny["inputs"], TrainConfig(epochs=1, dim=16, batch_size=8), folds=2,
                       rows=[r for r in ROWS if r[0] in ("map", "full", "concat")])
    out = write_results(run, tmp_path / "results.md", dataset="tiny")
    text = out.read_text()
    assert "| knowledge map only |" in text and "| fusion: concat |" in text and "latent pooling" in text
    assert "do not edit by hand" in text
    assert "**" not in text.split("## Per fold")[0].split("| model |")[1].split("\n\n")[0]  # no bold row
    assert "| fusion: concat + latent pooling |" not in text  # the fused row is not printed twice under a second name
    assert set(run["fold_verdict"]) == {"macro_f1", "roc_auc"}
    assert ("no winner" in text) != all(v["every_fold"] for v in run["fold_verdict"].values())
    assert set(run["summary"]) == {"map", "full", "concat"}
    assert len(run["results"]["full"]["folds"]) == 2


def test_docs_figures_are_regenerated_from_the_card(tiny, tmp_path):
    from scoliscreen.core.model.report import BEGIN, END, update_docs

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "model.md").write_text(f"# Model\n\nhand-written text\n\n{BEGIN}\nold figures\n{END}\n\nmore text\n")
    (docs / "results.md").write_text("# Results\n")
    update_docs(tiny["model"], docs)
    text = (docs / "model.md").read_text()
    assert "hand-written text" in text and "more text" in text and "old figures" not in text
    assert tiny["card"]["model_version"] in text and "refer when the estimated chance" in text
    assert BEGIN in (docs / "results.md").read_text()
    if "operating_point_test" in tiny["card"]:
        assert (docs / "figures" / "roc.png").read_bytes()[:4] == b"\x89PNG"
        assert "95 % CI" in text
