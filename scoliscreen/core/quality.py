"""Recording quality gate: is this recording usable for a gait screening, and why (not)?

``assess_quality(seq) -> QualityReport``. Steps:

1. **False detections**: MediaPipe returns small, faint "poses" on an empty room (a table
   leg, a shadow). Frames whose pose is implausibly small, faint or degenerate become NaN
   rows in ``report.sequence`` (the raw input is left untouched) and are counted.
2. Per frame: person found; whole body (shoulders, hips, ankles) visible and inside the
   picture; walking (legs alternating or body moving, over a 1 s window).
3. **Walking segment**: the longest run of frames that are found + whole body + walking,
   tolerating short gaps. Its length is counted in 30 Hz samples (the paper's clip is 96
   frames at 30 Hz = 3.2 s), so other frame rates are judged by timestamp.
4. **Second person**: the tracked body jumping in position or size from one frame to the
   next means MediaPipe switched to someone else.
5. **View** (front / back / side) from shoulder width relative to torso length, the
   left/right order of the shoulders and whether the nose is nearer the camera than the
   shoulders. Stored in ``report.view`` and ``report.sequence.meta["view"]``.

The per-frame measures and every threshold live in :mod:`scoliscreen.core.quality_measures`.
Refusals: no person, person lost in most frames, body out of frame most of the time, less
than 3.2 s of usable walking. Warnings: side view, low frame rate, partial visibility,
second person (the tracked body jumped: the model's answer is then "re-record"), other people
in view (the pose stage followed the walker, :mod:`scoliscreen.core.tracking`), false
detections filtered. Every threshold is in :data:`THRESHOLDS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from scoliscreen.core.constants import TARGET_FPS
from scoliscreen.core.quality_measures import (  # noqa: F401 - re-exported: the gate's public measures
    THRESHOLDS,
    QualityThresholds,
    _longest_run,
    _other_people,
    filter_implausible,
    full_body_frames,
    guess_view,
    identity_switches,
    implausible_frames,
    lying_share,
    samples_at,
    walking_frames,
)
from scoliscreen.core.sequence import PoseSequence

REFUSE = "refuse"
WARN = "warn"

@dataclass
class Reason:
    code: str
    level: str  # "refuse" or "warn"
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class QualityReport:
    usable: bool
    verdict: str  # "usable", "usable with warnings", "not usable"
    reasons: list[Reason]
    segment: tuple[int, int] | None  # [start, stop) frame indices of the usable walking
    view: str
    stats: dict
    sequence: PoseSequence | None = field(default=None, repr=False)  # filtered copy

    @property
    def refusals(self) -> list[Reason]:
        return [r for r in self.reasons if r.level == REFUSE]

    @property
    def warnings(self) -> list[Reason]:
        return [r for r in self.reasons if r.level == WARN]

    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def to_dict(self) -> dict:
        return {
            "usable": self.usable,
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "segment": list(self.segment) if self.segment else None,
            "view": self.view,
            "stats": self.stats,
        }


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# ---- the gate ---------------------------------------------------------------------------

def assess_quality(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> QualityReport:
    """Judge one recording. ``report.sequence`` is ``seq`` with false detections blanked."""
    n = len(seq)
    raw_det = seq.detected
    filt, bad = filter_implausible(seq, th)
    det = filt.detected
    full = full_body_frames(filt, th) & det
    walking = walking_frames(filt, th)
    usable_frames = det & full & walking
    t = filt.timestamps_ms
    segment = _longest_run(usable_frames, t, th.segment_max_gap_s)
    walk_samples = samples_at(t, segment)
    switches = identity_switches(filt, th)
    view, ratio = guess_view(filt, usable_frames if usable_frames.any() else None, th)
    filt.meta["view"] = view
    filt.meta["identity_switches"] = switches  # the model's decision reads it: "re-record" (decision.py)

    n_det = int(det.sum())
    det_rate = n_det / n if n else 0.0
    full_rate = float(full.sum()) / n_det if n_det else 0.0
    reasons: list[Reason] = []
    lying = lying_share(seq) if raw_det.any() else 0.0
    if lying >= th.lying_share:
        reasons.append(Reason("lying_sideways", REFUSE,
                              f"The person lies sideways in the picture in {_pct(lying)} of the frames: the video is "
                              "probably turned by 90 degrees without a rotation tag. Rotate it upright (for "
                              "example: ffmpeg -i IN -vf transpose=1 OUT) and analyse it again."))
    if n_det == 0:
        extra = f" ({int(bad.sum())} implausibly small or faint detections were ignored)" if bad.any() else ""
        reasons.append(Reason("no_person", REFUSE,
                              "No person was found in the recording" + extra
                              + ". Film the child's whole body, walking, in good light."))
    else:
        if det_rate < th.min_detection_rate:
            reasons.append(Reason("person_lost", REFUSE,
                                  f"The child was found in only {_pct(det_rate)} of the frames. "
                                  "Keep the child in the picture for the whole recording."))
        if full_rate < th.min_full_body_rate:
            reasons.append(Reason("body_out_of_frame", REFUSE,
                                  f"The body (shoulders to ankles) was cut off or hidden in {_pct(1 - full_rate)} "
                                  "of the frames with the child. Move the camera back so the whole body is in view."))
        if walk_samples < th.min_walk_samples:
            have = walk_samples / TARGET_FPS
            need = th.min_walk_samples / TARGET_FPS
            reasons.append(Reason("too_short", REFUSE,
                                  f"Only {have:.1f} s of walking with the whole body in view was found; at least "
                                  f"{need:.1f} s is needed (about 4-5 steps). Record a longer walk."))
        if view == "side":
            reasons.append(Reason("side_view", WARN,
                                  "The child was filmed from the side: sideways tilts of the shoulders, trunk and "
                                  "pelvis are hard to see from the side, so the result is less reliable. Film from "
                                  "behind (or in front) if you can."))
        if seq.fps < th.low_fps:
            reasons.append(Reason("low_fps", WARN,
                                  f"The video has only {seq.fps:.0f} frames per second (30 recommended). It is "
                                  "resampled to 30 per second, and quick movements may be blurred out."))
        if th.min_full_body_rate <= full_rate < th.warn_full_body_rate:
            reasons.append(Reason("partial_visibility", WARN,
                                  f"Part of the body was cut off or hidden in {_pct(1 - full_rate)} of the frames; "
                                  "only the frames with the whole body are used."))
        if switches:
            reasons.append(Reason("second_person", WARN,
                                  f"Another person seems to be in the picture: the tracked body jumped to a "
                                  f"different place or size {len(switches)} time(s), so the screening cannot be "
                                  "trusted (re-record). Make sure only the child is filmed, or choose the child "
                                  "(click on them in the video, or --subject)."))
    others = _other_people(seq)
    if others and n_det:
        who = "the person who walks" if str(seq.meta["tracking"].get("subject", "auto")) == "auto" else \
            "the person you chose"
        reasons.append(Reason("other_people", WARN,
                              f"{others} other person(s) were in view; the skeleton follows {who}. If that is "
                              "not the child, choose the child (click on them in the video, or --subject)."))
    if bad.any() and n_det:
        reasons.append(Reason("false_detections", WARN,
                              f"{int(bad.sum())} frame(s) with an implausibly small or faint 'person' "
                              "(e.g. furniture or shadows) were ignored."))

    usable = not any(r.level == REFUSE for r in reasons)
    verdict = "not usable" if not usable else ("usable with warnings" if reasons else "usable")
    stats = {
        "frames": n,
        "fps": round(float(seq.fps), 3),
        "duration_s": round(seq.duration_s, 3),
        "frames_with_pose_raw": int(raw_det.sum()),
        "false_detections_filtered": int(bad.sum()),
        "frames_with_person": n_det,
        "detection_rate": round(det_rate, 4),
        "full_body_rate": round(full_rate, 4),
        "walking_frames": int(walking.sum()),
        "usable_walking_s": round(walk_samples / TARGET_FPS, 3),
        "usable_walking_samples_30hz": walk_samples,
        "identity_switch_frames": switches,
        "shoulder_to_torso_ratio": None if not np.isfinite(ratio) else round(ratio, 3),
        "lying_sideways_share": round(lying, 4),
    }
    return QualityReport(usable, verdict, reasons, segment, view, stats, filt)
