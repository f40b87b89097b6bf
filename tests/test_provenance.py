"""Issue 14: only the pinned shipped weights carry the shipped name; anything else is a
"local model" with its own hash, in the CLI text, the JSON and the stored visit. A missing
or damaged model fails analyze with exit 2 before any visit is written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from scoliscreen.cli import main
from scoliscreen.core.fileio import sha256_file
from scoliscreen.core.model.card import load_model, model_version, weights_digest
from scoliscreen.core.model.provenance import SHIPPED_WEIGHTS_SHA256
from scoliscreen.core.store import Store

sys.path.insert(0, str(Path(__file__).parent))
import malformed as m

REPO = Path(__file__).resolve().parents[1]
USABLE = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
SHIPPED_NAME = json.loads((m.MODEL / "model_card.json").read_text())["model_version"]


def test_shipped_weights_match_the_pin():
    # a retrain that replaces models/screening must update core/model/provenance.py
    sha = sha256_file(m.MODEL / "model.safetensors")
    assert sha == SHIPPED_WEIGHTS_SHA256
    # the version names the tensors (card.tensor_digest), independent of the file's metadata order
    assert SHIPPED_NAME == model_version(weights_digest(m.MODEL / "model.safetensors"))


def test_shipped_config_matches_the_pin_and_an_edited_config_is_a_local_model(tmp_path):
    import shutil

    from scoliscreen.core.model.card_check import config_sha256
    from scoliscreen.core.model.provenance import SHIPPED_CONFIG_SHA256

    card = json.loads((m.MODEL / "model_card.json").read_text())
    assert config_sha256(card["config"]) == SHIPPED_CONFIG_SHA256
    model = tmp_path / "model"
    shutil.copytree(m.MODEL, model)
    card["config"]["balanced_pool"] = not card["config"]["balanced_pool"]  # same weights, other network
    (model / "model_card.json").write_text(json.dumps(card))
    _, loaded = load_model(model)
    assert loaded["model_provenance"]["is_shipped"] is False
    assert loaded["model_version"].startswith("local model")


def test_card_check_knows_the_networks_choices():
    from scoliscreen.core.model import card_check, fusion, network

    assert card_check.MODALITIES == network.MODALITIES and card_check.FUSIONS == fusion.FUSIONS


def test_shipped_model_keeps_its_name():
    _, card = load_model(m.MODEL)
    assert card["model_version"] == SHIPPED_NAME
    assert card["model_provenance"] == {"is_shipped": True, "weights_sha256": SHIPPED_WEIGHTS_SHA256,
                                        "model_version": SHIPPED_NAME}


@pytest.mark.slow
def test_tampered_weights_with_edited_card_load_as_a_local_model(tmp_path, capsys):
    model = m.tampered_model(tmp_path / "model", fix_card=True)
    new_sha = sha256_file(model / "model.safetensors")
    assert new_sha != SHIPPED_WEIGHTS_SHA256
    # the card still claims the shipped name; it must not be shown
    assert json.loads((model / "model_card.json").read_text())["model_version"] == SHIPPED_NAME

    assert main(["analyze", str(USABLE), "--model", str(model), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    res = out["screening"]
    assert res["model_version"] == f"local model sha256:{new_sha[:16]}"
    assert res["model_provenance"]["is_shipped"] is False
    assert res["model_provenance"]["weights_sha256"] == new_sha
    with Store.open() as store:
        (visit,) = store.visits()
        stored_json = json.dumps(store.analysis(visit["id"]))
    stored = json.loads(stored_json)["screening"]
    assert stored["model_version"] == res["model_version"] and SHIPPED_NAME not in stored_json

    assert main(["analyze", str(USABLE), "--model", str(model), "--no-record"]) == 0
    text = capsys.readouterr().out
    assert f"Model:       local model sha256:{new_sha[:16]}" in text and SHIPPED_NAME not in text

    assert main(["predict", str(USABLE), "--model", str(model)]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["model_version"] == f"local model sha256:{new_sha[:16]}"


@pytest.mark.parametrize("damage", ["missing_folder", "missing_weights", "damaged_weights", "bad_card"])
def test_missing_or_damaged_model_fails_analyze_before_any_visit(tmp_path, capsys, damage):
    model = tmp_path / "model"
    if damage == "missing_folder":
        pass
    elif damage == "damaged_weights":
        m.tampered_model(model, fix_card=False)
    else:
        import shutil

        shutil.copytree(m.MODEL, model)
        if damage == "missing_weights":
            (model / "model.safetensors").unlink()
        else:
            (model / "model_card.json").write_text("{not json")
    assert main(["analyze", str(USABLE), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scoliscreen: error:") and len(err.strip().splitlines()) == 1
    with Store.open() as store:
        assert store.visits() == []
