"""Which screening model a folder holds, told without loading it (for the GUI's model switcher).

:func:`describe_model_folder` reads the card and hashes the weights file (no torch), and names
the model exactly as loading it would (``core.model.provenance``): only the pinned shipped
weights with the shipped card's decision part get the shipped name; anything else, a local
recalibration included, is a "local model ..." named by its hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scoliscreen.core.errors import ScoliScreenError


@dataclass(frozen=True)
class ModelChoice:
    folder: Path | None  # None: the shipped model folder
    model_version: str  # as the loaded model will name itself ("local model sha256:..." unless shipped)
    is_shipped: bool
    problem: str = ""  # why this folder cannot be used ("" when it can)

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def kind(self) -> str:
        """"shipped model" or "local model" (from the provenance, never from where it was listed)."""
        return "shipped model" if self.is_shipped else "local model"


def describe_model_folder(folder: str | Path | None = None) -> ModelChoice:
    """The model in ``folder`` (default: the shipped one), named as loading it would name it."""
    from scoliscreen.core.fileio import sha256_file
    from scoliscreen.core.model.card import WEIGHTS_FILE, read_card
    from scoliscreen.core.model.provenance import decision_digest, model_provenance
    from scoliscreen.core.paths import screening_model_dir

    path = Path(folder) if folder else screening_model_dir()
    given = Path(folder) if folder else None
    if not path.is_dir():
        return ModelChoice(given, "?", False, f"{path}: the folder does not exist")
    try:
        card = read_card(path)
    except ScoliScreenError as exc:
        return ModelChoice(given, "?", False, str(exc))
    weights = path / str((card.get("weights") or {}).get("file", WEIGHTS_FILE))
    if not weights.is_file():
        return ModelChoice(given, "?", False, f"{path}: the weights file {weights.name} is missing")
    try:
        actual = sha256_file(weights)
    except OSError as exc:
        return ModelChoice(given, "?", False, f"{weights}: cannot be read ({exc.strerror})")
    prov = model_provenance(actual, card.get("model_version"), decision_digest(card))
    problem = ""
    if (card.get("weights") or {}).get("sha256") != actual:
        problem = f"{weights}: sha256 does not match the model card (file corrupt or replaced)"
    return ModelChoice(given, str(prov["model_version"]), bool(prov["is_shipped"]), problem)


__all__ = ["ModelChoice", "describe_model_folder"]
