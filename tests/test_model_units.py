"""Unit tests of the screening model's parts: skeleton maps, MiniLM text encoder, fusion,
model card I/O, grouped splits, metrics, operating point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from scoliscreen.core.errors import ModelIntegrityError
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.model import skeleton_maps as sm
from scoliscreen.core.model.features import mirror_maps
from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).parent / "data" / "poses"
torch.set_num_threads(2)


@pytest.fixture(scope="module")
def walk_points():
    seq = load_sequence(POSES / "intel_worker_back_walk_away.npz").resampled(30.0)
    return sm.normalise_keypoints(seq.landmarks, seq.image_size)


def test_skeleton_maps_draw_each_region_where_the_body_is(walk_points):
    frame = walk_points[80]
    assert frame[:, 2].mean() > 0.8  # the worker is seen whole
    maps = sm.render_maps(torch.from_numpy(frame[None]))[0].numpy()  # [R, H, W]
    assert maps.shape == (len(REGION_IDS), sm.MAP_H, sm.MAP_W)
    assert 0.0 <= maps.min() and maps.max() <= 1.0
    rows = {r: np.average(np.arange(sm.MAP_H), weights=maps[i].sum(1) + 1e-9) for i, r in enumerate(REGION_IDS)}
    # head above shoulders above pelvis above legs (image y grows downwards)
    assert rows["head_neck"] < rows["shoulder_girdle"] < rows["pelvis"] < rows["left_leg"]
    # every region is drawn
    assert all(maps[i].max() > 0.5 for i in range(len(REGION_IDS)))


def test_skeleton_maps_of_mirrored_video_are_flipped_maps_with_sides_swapped(walk_points):
    pts = torch.from_numpy(walk_points[70:78])
    direct = sm.render_maps(torch.from_numpy(sm.mirror_points(walk_points[70:78])))
    assert torch.allclose(direct, mirror_maps(sm.render_maps(pts)), atol=1e-5)
    # and it is not symmetric by accident
    assert not torch.allclose(direct, sm.render_maps(pts), atol=1e-2)


def test_invalid_points_draw_nothing():
    pts = np.zeros((2, sm.NUM_POINTS, 3), np.float32)
    assert float(sm.render_maps(torch.from_numpy(pts)).max()) == 0.0
    lm = np.full((3, 33, 4), np.nan, np.float32)
    assert sm.normalise_keypoints(lm, (640, 480))[..., 2].sum() == 0


@pytest.fixture(scope="module")
def text_encoder():
    from scoliscreen.core.model.text_encoder import TextEncoder

    return TextEncoder.shared()


def test_minilm_embeds_offline_normalised_and_semantic(text_encoder):
    texts = [
        "The right shoulder is higher than the left and the trunk leans to the left.",
        "Shoulder height differs: the right one sits higher, with a leftward trunk lean.",
        "The weather in the mountains was sunny and warm all week.",
    ]
    e = text_encoder.encode(texts)
    assert e.shape == (3, 384)
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2] + 0.3
    assert np.allclose(text_encoder.encode(texts[0])[0], e[0], atol=1e-6)  # cached, deterministic


@pytest.mark.slow
def test_minilm_matches_reference_checksum_of_known_sentence(text_encoder):
    # value computed once with sentence-transformers' reference pipeline (transformers BertModel,
    # mean pooling, L2 norm) for this sentence; guards the hand-written BERT forward pass
    e = text_encoder.encode("This is a test sentence.")[0]
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        pytest.skip("transformers not installed for the reference")
    from scoliscreen.core.model.text_encoder import minilm_path

    path = str(minilm_path())
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    b = tok(["This is a test sentence."], return_tensors="pt")
    with torch.no_grad():
        h = model(**b).last_hidden_state
    m = b["attention_mask"][..., None]
    ref = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)[0].numpy()
    assert np.abs(ref - e).max() < 1e-4


@pytest.mark.parametrize("residual", [True, False])
def test_latent_attention_pooling_respects_mask_and_uses_tokens_as_queries(residual):
    from scoliscreen.core.model.fusion import LatentAttentionPooling

    torch.manual_seed(0)
    pool = LatentAttentionPooling(16, latents=8, residual=residual).eval()
    pool.latents.data.normal_()  # trained latents are not near zero
    x = torch.randn(2, 5, 16)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    out = pool(x, mask)
    assert out.shape == (2, 16)
    x2 = x.clone()
    x2[0, 3:] = 100.0  # masked tokens do not matter
    assert torch.allclose(pool(x2, mask)[0], out[0], atol=1e-5)
    x3 = x.clone()
    x3[0, 0] = torch.randn(16) * 3  # a valid token does
    assert not torch.allclose(pool(x3, mask)[0], out[0], atol=1e-4)


@pytest.mark.parametrize("fusion", ["latent", "attention", "concat"])
def test_network_forward_all_fusions_and_empty_modalities(fusion):
    from scoliscreen.core.model.network import ScreeningNet, default_config

    torch.manual_seed(0)
    f = 12
    net = ScreeningNet(default_config(f, [i % 8 for i in range(f)], [8.0 + 8 * w for w in range(11)],
                                      fusion=fusion, dim=32)).eval()
    km = torch.randn(3, 11, f)
    km[1] = float("nan")  # a clip with no knowledge map at all
    z, present = net.standardise(km)
    valid = torch.ones(3, 32, dtype=torch.bool)
    valid[2] = False  # a clip with no valid frame
    out = net(torch.rand(3, 32, 8, sm.MAP_H, sm.MAP_W), valid, z, present, torch.randn(3, 384))
    assert out["logit"].shape == (3,) and out["cum"].shape == (3, 8)
    assert torch.isfinite(out["logit"]).all() and torch.isfinite(out["cum"]).all()
    assert (out["cum"].diff(dim=1) < 0).all()  # P(Cobb >= t) falls with t: ordered cut-points
    assert torch.equal(out["logit"], out["cum"][:, 1])  # the 10-degree column


def test_model_card_roundtrip_and_hash_check(tmp_path):
    from scoliscreen.core.model.card import load_model, save_model
    from scoliscreen.core.model.network import ScreeningNet, default_config

    net = ScreeningNet(default_config(6, [0, 1, 2, 3, 4, 5], [8.0 + 8 * w for w in range(11)], dim=16))
    card = save_model(net, {"trained_on_simulated_only": True, "data": {"clips": 3}}, tmp_path)
    assert card["model_version"].startswith("scoligait-sim-0.1.0+") and len(card["weights"]["sha256"]) == 64
    assert "not a diagnostic device" in (tmp_path / "model_card.md").read_text()
    assert "simulated data only" in (tmp_path / "model_card.md").read_text()
    net2, card2 = load_model(tmp_path)
    for (k, a), (_, b) in zip(net.state_dict().items(), net2.state_dict().items()):
        assert torch.equal(a, b), k
    raw = bytearray((tmp_path / "model.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_model(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_model(tmp_path)
    assert json.loads((tmp_path / "model_card.json").read_text())["intended_use"].startswith("research use only")


def test_grouped_split_and_folds_keep_subjects_on_one_side():
    from scoliscreen.core.model.pipeline import grouped_folds, grouped_split

    rng = np.random.default_rng(0)
    subjects = np.array([f"s{i // 3}" for i in range(300)])
    cobb = np.repeat(rng.uniform(0, 40, 100), 3)
    tr, va, te = grouped_split(subjects, 0.15, 0.15, seed=1, cobb=cobb)
    assert len(tr) + len(va) + len(te) == 300
    sets = [set(subjects[i]) for i in (tr, va, te)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert 10 <= len(sets[1]) <= 20 and 10 <= len(sets[2]) <= 20
    folds = grouped_folds(subjects, 3, seed=1, cobb=cobb)
    assert sorted(np.concatenate(folds).tolist()) == list(range(300))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(subjects[folds[a]]) & set(subjects[folds[b]])
    # stratified: every fold holds positives
    assert all((cobb[f] >= 10).sum() > 10 for f in folds)


def test_metrics_by_hand():
    from scoliscreen.core.model.evaluate import screening_metrics

    cobb = np.array([0, 5, 12, 30, 8, 45])
    prob = np.array([0.1, 0.6, 0.7, 0.9, 0.2, 0.4])
    m = screening_metrics(cobb, prob, 0.5, cobb_pred=cobb + 2.0)
    # predictions: neg, pos, pos, pos, neg, neg ; truth: neg, neg, pos, pos, neg, pos
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["sensitivity"] == pytest.approx(2 / 3) and m["specificity"] == pytest.approx(2 / 3)
    assert m["per_class"]["positive"]["precision"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx(2 / 3)
    # AUC: positives 0.7, 0.9, 0.4 vs negatives 0.1, 0.6, 0.2 -> 8 of 9 pairs ordered
    assert m["roc_auc"] == pytest.approx(8 / 9)
    assert m["cobb_mae"] == pytest.approx(2.0)


@pytest.mark.slow
def test_operating_point_reaches_target_sensitivity():
    from scoliscreen.core.model.train import choose_threshold, fit_platt, sigmoid

    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.4
    logit = rng.normal(size=400) + 2.0 * y
    a, b = fit_platt(logit, y)
    p = sigmoid(a * logit + b)
    assert abs(p.mean() - y.mean()) < 0.03  # calibrated on average
    thr = choose_threshold(p, y, 0.9)
    assert (p[y] >= thr).mean() >= 0.9
    assert (p[y] >= thr + 0.02).mean() < 0.93  # not needlessly low
