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

SHIPPED_WEIGHTS_SHA256 = "14050ae9f27f31e4e9c746a905ba4b7d8a3261263a5335c4a543856b921c74b8"
LOCAL_MODEL = "local model"


def local_model_version(sha256: str) -> str:
    return f"{LOCAL_MODEL} sha256:{sha256[:16]}"


def model_provenance(weights_sha256: str, card_version: str | None) -> dict:
    """``{"is_shipped", "weights_sha256", "model_version"}`` for these weights. The card's own
    version claim is not repeated for other weights: only the shipped file shows that name."""
    shipped = weights_sha256 == SHIPPED_WEIGHTS_SHA256
    version = card_version if shipped and card_version else local_model_version(weights_sha256)
    return {
        "is_shipped": shipped,
        "weights_sha256": weights_sha256,
        "model_version": version,
    }
