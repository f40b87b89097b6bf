"""The one source of the outcome words: the model's labels, the verdict words every place shows
(window, report, history, trend, compare, batch table and CSV, ``predict``, ``--json``, exports),
which reason codes lead to which outcome, and what the clinician is told to do.

Two kinds of "no answer", kept apart because the clinician's next step differs:

* **re-record** -- a recording problem that filming again can fix (wrong view, too short, body out
  of frame, the tracked person changed, too few good frames; or the quality gate refused the
  recording). Each reason comes with the instruction.
* **inconclusive** -- a good recording that the model cannot call: too close to the threshold, or
  outside what the model was validated on. No automated result is given; check by hand.

Output contract: ``label`` is one of :data:`LABELS`; ``reasons`` is a list of ``{"code",
"message"}``; a label is ``re-record`` when any reason code is in :data:`RE_RECORD_CODES`,
else ``inconclusive`` when any reason is in :data:`INCONCLUSIVE_CODES`, else positive/negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

POSITIVE = "positive"
NEGATIVE = "negative"
RE_RECORD = "re-record"
INCONCLUSIVE = "inconclusive"
LABELS: tuple[str, ...] = (POSITIVE, NEGATIVE, RE_RECORD, INCONCLUSIVE)
"""Every label a screening answer can carry (``ScreeningResult.label``, ``--json``, CSV ``label``)."""

REFER = "refer"
NO_REFERRAL = "no referral"
NOT_SCREENED = "not screened"
VERDICTS: tuple[str, ...] = (REFER, NO_REFERRAL, INCONCLUSIVE, RE_RECORD, NOT_SCREENED)
"""The verdict words a person reads, in this order wherever they are counted."""
VERDICT_OF_LABEL: dict[str, str] = {POSITIVE: REFER, NEGATIVE: NO_REFERRAL, RE_RECORD: RE_RECORD,
                                    INCONCLUSIVE: INCONCLUSIVE}

# The model's own reasons (core/model/decision.py). A recording problem wins over "cannot call":
# filming again is the first thing to do.
RE_RECORD_CODES: frozenset[str] = frozenset({"view", "subject_changed", "few_good_frames"})
INCONCLUSIVE_CODES: frozenset[str] = frozenset({"near_threshold", "out_of_distribution"})

INCONCLUSIVE_ADVICE = ("No automated result is given for this child. Check by hand, for example with an "
                       "Adams forward-bend test and a scoliometer.")
RE_RECORD_ADVICE = "Film the walk again, changing what the reason says."

HEADLINES: dict[str, tuple[str, str]] = {
    REFER: ("REFER", "The gait pattern suggests a spinal curve worth a clinical examination "
                     "(Adams forward-bend test, scoliometer; an X-ray only if a doctor decides so)."),
    NO_REFERRAL: ("NO REFERRAL", "Nothing in this walk suggests a spinal curve of 10° or more. "
                                 "Screen again at the next routine check."),
    INCONCLUSIVE: ("INCONCLUSIVE", "The recording is good, but the model cannot call this child. "
                   + INCONCLUSIVE_ADVICE),
    RE_RECORD: ("RE-RECORD", "The recording could not be used for screening, so no result was computed. "
                + RE_RECORD_ADVICE),
    NOT_SCREENED: ("NOT SCREENED", "The recording was usable but the screening model could not be run."),
}
"""(headline, one-sentence meaning) of each verdict: the PDF report, the session summary, the CLI."""

WINDOW_WORDS: dict[str, str] = {
    REFER: "Refer — screen POSITIVE; a clinical examination is advised",
    NO_REFERRAL: "No referral — screen negative",
    INCONCLUSIVE: "Inconclusive — no automated result; check by hand",
    RE_RECORD: "Re-record — recording unusable; film the walk again",
    NOT_SCREENED: "Not screened — model unavailable",
}
"""The verdict line of the window (and the history tooltip)."""


def _codes(reasons: Iterable[object]) -> set[str]:
    out: set[str] = set()
    for r in reasons:
        code = r.get("code") if isinstance(r, Mapping) else None
        out.add(str(code) if code is not None else "")
    return out


def label_from(reasons: Iterable[object], positive: bool) -> str:
    """The label of a screening answer from its reasons and which side of the threshold it is on.
    A reason without a known code counts as a recording problem (re-record)."""
    codes = _codes(reasons)
    if not codes:
        return POSITIVE if positive else NEGATIVE
    if codes - INCONCLUSIVE_CODES:
        return RE_RECORD
    return INCONCLUSIVE


def is_verdict(label: object) -> bool:
    """True for an answer that states a result (positive or negative)."""
    return label in (POSITIVE, NEGATIVE)


def verdict_of_label(label: object) -> str:
    """The verdict word of a label; ``not screened`` for none (no model ran)."""
    return VERDICT_OF_LABEL.get(str(label), NOT_SCREENED) if label else NOT_SCREENED


def verdict_of(analysis: Mapping[str, object]) -> str:
    """The verdict word of a stored analysis dict (``Analysis.to_dict()``): re-record when the
    quality gate refused the recording, else the screening label's word, else not screened."""
    quality = analysis.get("quality")
    if isinstance(quality, Mapping) and quality.get("usable") is False:
        return RE_RECORD
    screening = analysis.get("screening")
    label = screening.get("label") if isinstance(screening, Mapping) else None
    return verdict_of_label(label)


def split_reasons(reasons: Iterable[object]) -> tuple[list[str], list[str]]:
    """(re-record messages, inconclusive messages) of a list of reasons, for display."""
    rerec: list[str] = []
    inconc: list[str] = []
    for r in reasons:
        if isinstance(r, Mapping):
            msg, code = str(r.get("message", "")), str(r.get("code", ""))
        else:
            msg, code = str(r), ""
        (inconc if code in INCONCLUSIVE_CODES else rerec).append(msg)
    return rerec, inconc


COBB_INFORMATIVE_WIDTH = 20.0
"""Degrees: a Cobb estimate is shown only when its 80 % interval is at most this wide."""
COBB_NOT_ESTIMATED = "Cobb angle: not estimated"


def _finite(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) != float("inf") else None


def cobb_shown(label: object, estimate: object, interval: object, band: object = None) -> bool:
    """Whether the Cobb estimate (and its band) may be shown with this answer: only with a
    verdict, only when the 80 % interval is informative (finite, at most
    :data:`COBB_INFORMATIVE_WIDTH` wide), and only when it agrees with the verdict: a refer never
    comes with an estimate or band below 10°, a no-referral never with one at or above 10°."""
    est = _finite(estimate)
    if not is_verdict(label) or est is None:
        return False
    iv = list(interval) if isinstance(interval, (list, tuple)) else []
    lo, hi = (_finite(iv[0]), _finite(iv[1])) if len(iv) == 2 else (None, None)
    if lo is None or hi is None or hi < lo or hi - lo > COBB_INFORMATIVE_WIDTH:
        return False
    below = str(band or "").strip().startswith("<")
    if label == POSITIVE:
        return est >= 10.0 and not below
    return est < 10.0 and (band is None or below)


def cobb_words(label: object, estimate: object, interval: object, band: object = None, *,
               ascii_only: bool = False) -> str:
    """The Cobb line every place prints: "Cobb angle: about 18° (80 % interval 12–26°), band
    10–25°", or :data:`COBB_NOT_ESTIMATED` when :func:`cobb_shown` says no."""
    if not cobb_shown(label, estimate, interval, band):
        return COBB_NOT_ESTIMATED
    assert isinstance(interval, (list, tuple))
    deg, dash = (" deg", "-") if ascii_only else ("°", "–")
    lo, hi = float(interval[0]), float(interval[1])
    text = f"Cobb angle: about {float(estimate):.0f}{deg} (80 % interval {lo:.0f}{dash}{hi:.0f}{deg})"  # type: ignore[arg-type]
    if band:
        text += f", band {str(band).replace('-', dash)}{deg}"
    return text


def setting_words(setting: Mapping[str, object] | None) -> str:
    """The operating point in counts: "At this setting about N of every 1,000 children screened
    are referred; about K of them have a curve of 10° or more." Empty without figures."""
    if not setting:
        return ""
    n, k = _finite(setting.get("referred_per_1000")), _finite(setting.get("with_curve_per_1000"))
    p = _finite(setting.get("prevalence"))
    if n is None or k is None:
        return ""
    where = f" (a population where {100 * p:.0f} % of children have such a curve)" if p is not None else ""
    return (f"At this setting about {n:.0f} of every 1,000 children screened are referred; about {k:.0f} "
            f"of them have a curve of 10° or more{where}.")


__all__ = ["COBB_INFORMATIVE_WIDTH", "COBB_NOT_ESTIMATED", "HEADLINES", "INCONCLUSIVE", "INCONCLUSIVE_ADVICE", "INCONCLUSIVE_CODES", "LABELS", "NEGATIVE",
           "NOT_SCREENED", "NO_REFERRAL", "POSITIVE", "REFER", "RE_RECORD", "RE_RECORD_ADVICE", "RE_RECORD_CODES",
           "VERDICTS", "VERDICT_OF_LABEL", "WINDOW_WORDS", "is_verdict", "label_from", "split_reasons",
           "verdict_of", "verdict_of_label", "cobb_shown", "cobb_words", "setting_words"]
