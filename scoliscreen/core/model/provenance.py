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

SHIPPED_WEIGHTS_SHA256 = "17def5f326ce0c0f602aa3ff8bb2b0553d65f8c60b9452accab4a90636df2e10"
# card_check.config_sha256 of the shipped card's "config" (a retrain updates both pins)
SHIPPED_CONFIG_SHA256 = "3d99be6e6243e161a9cd39cad4ac401359fe2c7a20e12da171e28338fd892466"
LOCAL_MODEL = "local model"


def local_model_version(sha256: str) -> str:
    return f"{LOCAL_MODEL} sha256:{sha256[:16]}"


def model_provenance(weights_sha256: str, card_version: str | None, config_sha256: str | None = None) -> dict:
    """``{"is_shipped", "weights_sha256", "model_version"}`` for these weights. The card's own
    version claim is not repeated for other weights: only the shipped file shows that name.
    ``config_sha256`` (``card_check.config_sha256`` of the card's network configuration) must
    be the shipped one too when given: an edited configuration is not the shipped model."""
    shipped = weights_sha256 == SHIPPED_WEIGHTS_SHA256 and config_sha256 in (None, SHIPPED_CONFIG_SHA256)
    version = card_version if shipped and card_version else local_model_version(weights_sha256)
    return {
        "is_shipped": shipped,
        "weights_sha256": weights_sha256,
        "model_version": version,
    }
