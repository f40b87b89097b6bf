"""Saving and loading a screening model: safetensors weights + model card (JSON and markdown).

The card records the network configuration, the data the weights were trained on, the
(salted, hashed) subject IDs of the training and validation sets, held-out metrics, the
calibration and operating point, and the weights' sha256. Loading checks that hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from scoliscreen.core.errors import ModelIntegrityError
from scoliscreen.core.fileio import atomic_write_bytes, sha256_file

WEIGHTS_FILE = "model.safetensors"
CARD_JSON = "model_card.json"
CARD_MD = "model_card.md"
MODEL_NAME = "scoligait-sim"
MODEL_SEMVER = "0.1.0"
INTENDED_USE = "research use only — not a diagnostic device"


def hash_subject(subject_id: str, salt: str) -> str:
    """Salted sha256 of a subject ID (first 16 hex digits): no raw IDs leave the dataset."""
    from scoliscreen.core.data.splits import normalise_subject_id

    return hashlib.sha256(f"{salt}:{normalise_subject_id(subject_id)}".encode()).hexdigest()[:16]


def model_version(digest: str) -> str:
    """The version string of weights whose :func:`tensor_digest` is ``digest``."""
    return f"{MODEL_NAME}-{MODEL_SEMVER}+{digest[:8]}"


def tensor_digest(state: dict) -> str:
    """sha256 over the tensors themselves (sorted names, dtype, shape, bytes): independent of
    the file's header / metadata order, so a bit-identical retraining gets the same version."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def weights_digest(path: str | Path) -> str:
    """:func:`tensor_digest` of a safetensors file."""
    from safetensors.torch import load_file

    return tensor_digest(load_file(str(path), device="cpu"))


def save_model(net, card: dict, out_dir: str | Path) -> dict:
    """Write weights + card into ``out_dir`` atomically; returns the completed card."""
    from safetensors.torch import save as st_save

    out_dir = Path(out_dir)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    blob = st_save(state, metadata={"format": "pt", "model": MODEL_NAME})
    atomic_write_bytes(out_dir / WEIGHTS_FILE, blob)
    sha = hashlib.sha256(blob).hexdigest()
    digest = tensor_digest(state)
    card = dict(card)
    card["config"] = net.config
    card["weights"] = {"file": WEIGHTS_FILE, "sha256": sha, "bytes": len(blob), "tensor_sha256": digest}
    card["model_version"] = model_version(digest)
    card["intended_use"] = INTENDED_USE
    atomic_write_bytes(out_dir / CARD_JSON, (json.dumps(card, indent=2) + "\n").encode())
    atomic_write_bytes(out_dir / CARD_MD, render_card_md(card).encode())
    return card


def read_card(model_dir: str | Path) -> dict:
    path = Path(model_dir) / CARD_JSON
    if not path.exists():
        raise ModelIntegrityError(f"{model_dir}: no screening model here ({CARD_JSON} is missing)")
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise ModelIntegrityError(f"{path}: the model card is not valid JSON") from None


def load_model(model_dir: str | Path, device: str = "cpu"):
    """Rebuild the network from the card and load the weights after checking their sha256."""
    from safetensors.torch import load_file

    from scoliscreen.core.model.network import ScreeningNet

    model_dir = Path(model_dir)
    card = read_card(model_dir)
    wfile = model_dir / card.get("weights", {}).get("file", WEIGHTS_FILE)
    if not wfile.exists():
        raise ModelIntegrityError(f"{model_dir}: the weights file {wfile.name} is missing")
    expected = card.get("weights", {}).get("sha256")
    actual = sha256_file(wfile)
    if not expected or actual != expected:
        raise ModelIntegrityError(
            f"{wfile}: sha256 does not match the model card (file corrupt or replaced)"
        )
    from scoliscreen.core.model.provenance import decision_digest, model_provenance

    try:
        net = ScreeningNet(card["config"])
        net.load_state_dict(load_file(str(wfile), device="cpu"))
    except (RuntimeError, KeyError, TypeError, ValueError, OSError):
        raise ModelIntegrityError(f"{wfile}: the weights do not fit the network in the model card") from None
    # Only the pinned shipped weights keep the card's version name; others are a "local model".
    card = dict(card)
    card["model_provenance"] = model_provenance(actual, card.get("model_version"), decision_digest(card))
    card["model_version"] = card["model_provenance"]["model_version"]
    return net.to(device).eval(), card


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def render_card_md(card: dict) -> str:
    """Human-readable model card."""
    lines = [f"# Model card: {card.get('model_version', MODEL_NAME)}", ""]
    lines += [f"**Intended use:** {card.get('intended_use', INTENDED_USE)}.", ""]
    if card.get("trained_on_simulated_only", False):
        lines += ["**The weights are trained on simulated data only** (the project's scoliotic-gait "
                  "simulator). They have not been validated on real patients.", ""]
    cfg = card.get("config", {})
    lines += ["## Model", "",
              f"- Modalities: {', '.join(cfg.get('modalities', []))}; fusion: {cfg.get('fusion')}; width {cfg.get('dim')}",
              "- Inputs: 96 frames at 30 fps (skeleton maps of every 3rd frame), the clinical-prior knowledge "
              "map (11 windows), the generated clinical text through all-MiniLM-L6-v2 (frozen).",
              "- Head: one distribution over the Cobb angle (cumulative link over thresholds 5, 10, 15, 20, 25, 30, "
              "40, 50°). P(Cobb >= 10°), the severity bands (<10°, 10–25°, 25–40°, >=40°) and the Cobb median "
              "with its 80 % interval all come from it.",
              "- Test-time symmetrisation: the prediction is the mean over the clip and its mirror image.", ""]
    data = card.get("data", {})
    if data:
        lines += ["## Data", ""] + [f"- {k}: {_fmt(v)}" for k, v in data.items()] + [""]
    if card.get("operating_point"):
        from scoliscreen.core.model.report import operating_markdown

        lines += [operating_markdown(card, card.get("figures", {}).get("roc"))]
    for key, title in (("metrics_test", "Metrics on held-out simulated subjects"),
                       ("metrics_val", "Metrics on validation subjects")):
        m = card.get(key)
        if m:
            lines += [f"## {title}", "", "| metric | value |", "|---|---|"]
            for k, v in m.items():
                if isinstance(v, (int, float)):
                    lines.append(f"| {k} | {_fmt(v)} |")
            lines.append("")
    tr = card.get("training", {})
    if tr:
        lines += ["## Training", ""] + [f"- {k}: {_fmt(v)}" for k, v in tr.items()] + [""]
    w = card.get("weights", {})
    lines += ["## Files", "", f"- `{w.get('file', WEIGHTS_FILE)}` sha256 `{w.get('sha256', '?')}` "
              f"({w.get('bytes', '?')} bytes; checked on load)", ""]
    lines += ["Subject IDs of the training and validation sets are stored salted and hashed in "
              "`model_card.json`; `scoliscreen evaluate` refuses a dataset that shares a subject with them.", ""]
    return "\n".join(lines)
