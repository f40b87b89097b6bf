"""From the model's output to a decision: positive, negative, re-record or inconclusive
(the words and which reason leads to which: ``core/outcome_words.py``).

The calibrated logit ``a * logit + b`` (Platt scaling on validation subjects) is a probability
at the *training* prevalence; :class:`Decision` shifts it to the stated setting's prevalence
(default: a school population, 3 %) before it is shown. The threshold is chosen on
validation subjects as a calibrated logit and shifted the same way, so the label does not
depend on the prevalence setting; only the words "estimated chance" do.

No verdict is given, with reasons (:meth:`Decision.reasons`), when filming again can fix the
recording (re-record: ``view``, ``subject_changed``, ``few_good_frames``) or when a good recording
cannot be called (inconclusive: ``out_of_distribution``, ``near_threshold``):

* ``view``: a view without validated performance (the simulator makes front and back views
  only, so a side view or an undetermined view is refused);
* ``subject_changed``: the quality gate saw the tracked body jump to another place or size
  (``identity_switches``: another person was followed for part of the clip);
* ``few_good_frames``: less than :data:`MIN_GOOD_FRACTION` of the model's frames (every 3rd of
  the 96-frame segment) with the torso seen;
* ``out_of_distribution``: the knowledge map's clip medians are far from the training clips
  (robust z-scores, RMS over features; threshold = the 99th percentile of training clips);
* ``near_threshold``: the calibrated logit is within :data:`NEAR_THRESHOLD_LOGIT` of the
  threshold (too close to call).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scoliscreen.core.model.outcome import SCHOOL_PREVALENCE, logit, prevalence_shift
from scoliscreen.core.outcome_words import INCONCLUSIVE, RE_RECORD, label_from

VALIDATED_VIEWS = ("front", "back")
MIN_GOOD_FRACTION = 0.5  # of the model's frames with the torso seen (1.6 s of 3.2 s)
NEAR_THRESHOLD_LOGIT = 0.25  # |calibrated logit - threshold logit| below this: too close to call
OOD_QUANTILE = 0.99
OOD_Z_CLIP = 20.0


def clip_medians(km) -> np.ndarray:
    """Per-feature median over the knowledge map's windows: [..., W, F] -> [..., F]."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(np.asarray(km, np.float64), axis=-2)


def ood_scores(med: np.ndarray, centre, scale) -> np.ndarray:
    """RMS robust z-score over the features present (NaN features skipped) of clip medians [N, F]."""
    z = (np.atleast_2d(med) - np.asarray(centre)) / np.asarray(scale)
    z = np.clip(z, -OOD_Z_CLIP, OOD_Z_CLIP)
    with np.errstate(all="ignore"):
        n = np.isfinite(z).sum(-1)
        return np.where(n > 0, np.sqrt(np.nansum(z ** 2, -1) / np.maximum(n, 1)), np.inf)


def fit_ood(km_train) -> dict:
    """Training distribution of the clip medians (median and 1.4826 MAD per feature) and the
    score threshold (the :data:`OOD_QUANTILE` quantile of the training clips' scores)."""
    med = clip_medians(km_train)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmedian(med, 0)
            scale = 1.4826 * np.nanmedian(np.abs(med - centre), 0)
    centre = np.where(np.isfinite(centre), centre, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, 1.0)
    s = ood_scores(med, centre, scale)
    thr = float(np.quantile(s[np.isfinite(s)], OOD_QUANTILE)) if np.isfinite(s).any() else float("inf")
    return {"method": "RMS robust z of the knowledge map's clip medians", "quantile": OOD_QUANTILE,
            "centre": [float(v) for v in centre], "scale": [float(v) for v in scale], "threshold": thr}


@dataclass
class Decision:
    a: float = 1.0
    b: float = 0.0
    train_prevalence: float | None = None  # the prevalence the calibration is fitted at
    prevalence: float | None = None  # the setting's prevalence the probability is shown at
    threshold_logit: float = 0.0  # calibrated logit (at the training prevalence)
    margin: float = NEAR_THRESHOLD_LOGIT
    min_good_fraction: float = MIN_GOOD_FRACTION
    validated_views: tuple = VALIDATED_VIEWS
    ood: dict = field(default_factory=dict)

    @classmethod
    def from_card(cls, card: dict, prevalence: float | None = None) -> "Decision":
        cal = card.get("calibration", {})
        op = card.get("operating_point", {})
        train_prev = cal.get("train_prevalence")
        target = prevalence if prevalence is not None else cal.get("target_prevalence")
        thr_logit = op.get("threshold_logit")
        if thr_logit is None:  # an older card: threshold on the training-prevalence probability
            thr_logit = logit(float(op.get("threshold", 0.5)))
        rr = card.get("re_record", {})
        return cls(a=float(cal.get("a", 1.0)), b=float(cal.get("b", 0.0)), train_prevalence=train_prev,
                   prevalence=target if train_prev is not None else None, threshold_logit=float(thr_logit),
                   margin=float(rr.get("near_threshold_logit", NEAR_THRESHOLD_LOGIT if rr else 0.0)),
                   min_good_fraction=float(rr.get("min_good_fraction", MIN_GOOD_FRACTION if rr else 0.0)),
                   validated_views=tuple(rr.get("validated_views", VALIDATED_VIEWS if rr else ())),
                   ood=card.get("ood", {}))

    @property
    def shift(self) -> float:
        if self.train_prevalence is None:
            return 0.0
        return prevalence_shift(self.train_prevalence, self.prevalence)

    def calibrated(self, raw_logit):
        return self.a * np.asarray(raw_logit, np.float64) + self.b

    @property
    def threshold(self) -> float:
        """The probability threshold at the shown prevalence (refer at or above it)."""
        return float(1.0 / (1.0 + np.exp(-(self.threshold_logit + self.shift))))

    def ood_score(self, km) -> float:
        if not self.ood:
            return float("nan")
        return float(ood_scores(clip_medians(km), self.ood["centre"], self.ood["scale"])[0])

    def reasons(self, raw_logit: float, view: str | None = None, frame_valid=None,
                ood_score: float | None = None, identity_switches=None) -> list[dict]:
        """Why this clip gets no verdict (empty: a verdict can be given; the codes decide between
        re-record and inconclusive, ``outcome_words.label_from``). ``frame_valid``: the
        model frames' torso-seen flags; ``identity_switches``: frames where the gate saw the
        tracked person change."""
        out = []
        if identity_switches:
            out.append({"code": "subject_changed", "message": "the tracked person changed during the clip "
                        f"(at frame {', '.join(str(f) for f in list(identity_switches)[:3])}): another person was "
                        "followed for part of it; film the child alone, or choose the child to follow"})
        if self.validated_views and view is not None and view not in self.validated_views:
            out.append({"code": "view", "message": f"{view} view: the model is validated on "
                        f"{' and '.join(self.validated_views)} views only; film the child walking "
                        "straight towards or away from the camera"})
        if self.min_good_fraction and frame_valid is not None and len(frame_valid):
            good = float(np.mean(np.asarray(frame_valid, bool)))
            if good < self.min_good_fraction:
                out.append({"code": "few_good_frames", "message": f"only {100 * good:.0f} % of the frames show "
                            f"the trunk clearly (at least {100 * self.min_good_fraction:.0f} % needed)"})
        thr = self.ood.get("threshold") if self.ood else None
        if thr is not None and ood_score is not None and np.isfinite(thr) and not ood_score <= thr:
            out.append({"code": "out_of_distribution", "message": f"the walk is outside what the model was "
                        f"validated on (score {ood_score:.2f} > {thr:.2f})"})
        if self.margin and abs(float(self.calibrated(raw_logit)) - self.threshold_logit) < self.margin:
            out.append({"code": "near_threshold", "message": "the estimated chance is too close to the "
                        "referral threshold to call"})
        return out

    def label(self, raw_logit: float, reasons: list) -> str:
        return label_from(reasons, float(self.calibrated(raw_logit)) >= self.threshold_logit)

    def card_entries(self) -> dict:
        return {"re_record": {"near_threshold_logit": self.margin, "min_good_fraction": self.min_good_fraction,
                              "validated_views": list(self.validated_views)}}


def referral_setting(card: dict, prevalence: float | None) -> dict:
    """What the operating point means for a screened population, in counts a clinician can weigh:
    of every 1,000 children screened at ``prevalence``, how many are referred and how many of
    those have a curve of 10° or more. From the card's test-subject sensitivity and specificity
    at the shipped threshold (validation figures for an older card); empty when the card has
    neither, or no prevalence is stated."""
    if prevalence is None:
        return {}
    boot = (card.get("operating_point_test") or {}).get("bootstrap") or {}
    op = card.get("operating_point") or {}
    sens = (boot.get("sensitivity") or {}).get("value", op.get("val_sensitivity"))
    spec = (boot.get("specificity") or {}).get("value", op.get("val_specificity"))
    if sens is None or spec is None:
        return {}
    p = float(prevalence)
    referred = 1000.0 * (p * float(sens) + (1.0 - p) * (1.0 - float(spec)))
    with_curve = 1000.0 * p * float(sens)
    return {"prevalence": round(p, 6), "referred_per_1000": round(referred, 1),
            "with_curve_per_1000": round(with_curve, 1)}


def plain_rule(decision: Decision) -> str:
    """The referral rule in plain words (for the app and the card)."""
    pct = 100.0 * decision.threshold
    setting = f"{100 * decision.prevalence:.0f} %" if decision.prevalence is not None else "the training data's"
    return (f"refer when the estimated chance of scoliosis (Cobb ≥ 10°) is {pct:.1f} % or more "
            f"(chance stated for a population where {setting} of children have scoliosis)")


__all__ = ["Decision", "INCONCLUSIVE", "RE_RECORD", "SCHOOL_PREVALENCE", "VALIDATED_VIEWS", "MIN_GOOD_FRACTION",
           "NEAR_THRESHOLD_LOGIT", "clip_medians", "fit_ood", "ood_scores", "plain_rule", "referral_setting"]
