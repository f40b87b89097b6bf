"""Which screening weights are the shipped ones: the one pinned hash.

Only the weights file whose sha256 is :data:`SHIPPED_WEIGHTS_SHA256` may show the shipped
version name. Any other weights (retrained, edited, or a card edited to match) load as a
"local model" named by its own hash, in the CLI, the JSON, the stored visit and the app.
The model card beside the weights is checked too, but a card can be edited; this constant
cannot without a code change.

A retrain that replaces ``models/screening`` updates this one constant (the test
``tests/test_provenance.py::test_shipped_weights_match_the_pin`` fails until it does).
"""

from __future__ import annotations

import hashlib
import json

DECISION_KEYS = ("calibration", "operating_point", "re_record", "ood", "config")
"""The parts of a card that decide an answer besides the weights: a card whose calibration or
threshold was changed (a local recalibration, or an edit) is not the shipped model either."""

SHIPPED_WEIGHTS_SHA256 = "17def5f326ce0c0f602aa3ff8bb2b0553d65f8c60b9452accab4a90636df2e10"
SHIPPED_DECISION_SHA256 = "62487d8f10dd04264e9a1d89d3f689ef7b242ae5a82168f93deff0cc5d1bbf56"
"""decision_digest of the shipped card (a retrain updates it with the weights' pin)."""
# card_check.config_sha256 of the shipped card's "config" (a retrain updates both pins)
SHIPPED_CONFIG_SHA256 = "3d99be6e6243e161a9cd39cad4ac401359fe2c7a20e12da171e28338fd892466"
LOCAL_MODEL = "local model"


def decision_digest(card: dict) -> str:
    """sha256 of the card's :data:`DECISION_KEYS` (canonical JSON)."""
    part = {k: card.get(k) for k in DECISION_KEYS}
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()


def local_model_version(sha256: str, decision_sha256: str | None = None) -> str:
    base = f"{LOCAL_MODEL} sha256:{sha256[:16]}"
    return base if decision_sha256 is None else f"{base} card:{decision_sha256[:8]}"


def model_provenance(weights_sha256: str, card_version: str | None, decision_sha256: str | None = None,
                     config_sha256: str | None = None) -> dict:
    """``{"is_shipped", "weights_sha256", "model_version"}`` for these weights (and, when given,
    the card's decision digest and ``card_check.config_sha256`` of its network configuration).
    The card's own version claim is not repeated for other weights, another calibration /
    threshold or an edited configuration: only the shipped set shows that name."""
    weights_ok = weights_sha256 == SHIPPED_WEIGHTS_SHA256
    card_ok = (decision_sha256 is None or decision_sha256 == SHIPPED_DECISION_SHA256) and \
        config_sha256 in (None, SHIPPED_CONFIG_SHA256)
    shipped = weights_ok and card_ok
    if shipped and card_version:
        version = card_version
    else:
        # the shipped weights under another card (a recalibration) are told apart by the card's digest
        card_tag = (decision_sha256 or config_sha256) if weights_ok and not card_ok else None
        version = local_model_version(weights_sha256, card_tag)
    return {
        "is_shipped": shipped,
        "weights_sha256": weights_sha256,
        "model_version": version,
    }
