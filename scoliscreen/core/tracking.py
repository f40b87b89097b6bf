"""Several people in view: associate the poses of each frame into tracks, and pick the subject.

The pose stage (:meth:`~scoliscreen.core.pose.PoseEstimator.detect_people_rgb`) returns up
to K poses per frame in no stable order, sometimes one person twice. :func:`build_tracks` links them frame to frame (greedy, nearest hip centre in
torso lengths, similar size); :func:`choose_track` picks the subject:

* ``auto`` (default): the person who *walks* - the track with the most travel (robust range
  of the hip centre in torso lengths, plus the change of body size for walking towards or
  away from the camera) over frames where the legs alternate or the body moves
  (:func:`~scoliscreen.core.quality_measures.walking_frames`), present long enough. Someone jumping on
  the spot, doing a backflip or standing has legs that move but goes nowhere.
* ``X,Y`` (pixels, or fractions of the picture when both are <= 1), optionally ``@FRAME``: the
  track whose body box holds (or is nearest to) that point at that frame (default: the first
  frame where any track is present) - what a click on the person in the app gives;
* ``#N`` (or ``N``): the N-th track, numbered by first appearance (0-based).

Pieces of the chosen person that the linking split off (continuing where it was; where they
overlap it, on the same body) are merged back (:func:`merge_pieces`). Poses too small or too
faint to be a person (the quality gate's false-detection filter) are dropped before tracking,
so a tiny figure in the background is never the subject; where the subject is absent, such a
false pose is kept in the output so that the gate can count and filter it as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import MP, NUM_MP
from scoliscreen.core.sequence import PoseSequence

AUTO = "auto"
MAX_LINK_TORSOS = 1.5  # a pose joins a track if its hip centre is within this many torso lengths ...
MAX_LINK_SPEED = 10.0  # ... plus this many torso lengths per second since the track was last seen
MAX_LINK_SCALE = 1.5  # ... and its torso length is within this factor of the track's
MAX_GAP_S = 0.5  # a track not seen for longer than this is closed
MERGE_TORSOS = 2.0  # a track that never overlaps the subject's joins it if it starts/ends this near ...
MERGE_SPEED = 3.0  # ... plus this many torso lengths per second of the gap (a brisk walk: ~2.5) ...
MERGE_MAX_GAP_S = 1.5  # ... across a gap no longer than this
MIN_TRACK_S = 1.0  # shorter tracks are not picked by "auto"
SIZE_TRAVEL_TORSOS = 8.0  # one unit of log size change (towards/away from the camera) counts as this travel

_LH, _RH, _LS, _RS = MP["left_hip"], MP["right_hip"], MP["left_shoulder"], MP["right_shoulder"]


@dataclass
class Track:
    """One person over time: ``landmarks`` [T, 33, 4] (NaN rows where absent)."""

    index: int
    landmarks: np.ndarray
    score: float = 0.0
    travel_torsos: float = 0.0
    walking_s: float = 0.0

    @property
    def present(self) -> np.ndarray:
        return np.isfinite(self.landmarks[:, :, 0]).any(axis=1)

    @property
    def first(self) -> int:
        idx = np.nonzero(self.present)[0]
        return int(idx[0]) if len(idx) else -1

    def summary(self) -> dict:
        return {"index": self.index, "frames": int(self.present.sum()), "first_frame": self.first,
                "score": round(float(self.score), 3), "travel_torsos": round(float(self.travel_torsos), 2),
                "walking_s": round(float(self.walking_s), 2)}


def _hip_torso(pose: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Hip centre (pixels) and torso length (pixels) of one pose [33, 4]."""
    s = np.asarray(size, np.float64)
    hip = (pose[_LH, :2] + pose[_RH, :2]) / 2 * s
    sho = (pose[_LS, :2] + pose[_RS, :2]) / 2 * s
    return hip, float(np.linalg.norm(sho - hip))


def _plausible(cands: np.ndarray, t_ms: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """bool [T, K]: candidate poses that the quality gate would not call a false detection."""
    from scoliscreen.core.quality_measures import implausible_frames

    t, k = cands.shape[:2]
    flat = PoseSequence(cands.reshape(t * k, NUM_MP, 4), 30.0, size, np.arange(t * k, dtype=np.float64))
    ok = flat.detected & ~implausible_frames(flat)
    return ok.reshape(t, k)


def count_people(poses: np.ndarray, size: tuple[int, int] = (1, 1)) -> int:
    """How many different plausible people are in one frame's poses [K, 33, 4]: a pose that
    the false-detection filter rejects, or one whose hip centre lies within half a torso of
    a pose already counted (MediaPipe sometimes returns one person twice), is not counted."""
    poses = np.asarray(poses, np.float32)
    ok = _plausible(poses[None], np.zeros(1), size)[0]
    seen: list[tuple[np.ndarray, float]] = []
    for j in np.nonzero(ok)[0]:
        hip, torso = _hip_torso(poses[j], size)
        if not (np.isfinite(hip).all() and torso > 0):
            continue
        if all(np.linalg.norm(hip - h) > 0.5 * max(torso, t) for h, t in seen):
            seen.append((hip, torso))
    return len(seen)


def build_tracks(cands: np.ndarray, t_ms: np.ndarray, size: tuple[int, int]) -> list[Track]:
    """Link the candidate poses ``cands`` [T, K, 33, 4] (NaN where none) into tracks."""
    cands = np.asarray(cands, np.float32)
    if cands.ndim == 3:
        cands = cands[:, None]
    n = len(cands)
    ok = _plausible(cands, t_ms, size) if n else np.zeros((0, 0), bool)
    tracks: list[np.ndarray] = []
    state: list[tuple[int, np.ndarray, float]] = []  # per track: last frame, hip, torso
    for f in range(n):
        # one person returned twice (hips within half a torso): keep the more visible pose
        poses: list[tuple[int, np.ndarray, float]] = []
        order = sorted((int(j) for j in np.nonzero(ok[f])[0]), key=lambda j: -float(np.nanmean(cands[f, j, :, 3])))
        for j in order:
            hip, torso = _hip_torso(cands[f, j], size)
            if np.isfinite(hip).all() and torso > 0 and all(
                    np.linalg.norm(hip - h) > 0.5 * max(torso, t) for _, h, t in poses):
                poses.append((j, hip, torso))
        pairs = []
        for ti, (last, hip, torso) in enumerate(state):
            dt = (t_ms[f] - t_ms[last]) / 1000.0
            if dt > MAX_GAP_S:
                continue
            for pi, (_, h, tor) in enumerate(poses):
                ref = max(torso, tor)
                d = float(np.linalg.norm(h - hip)) / ref
                if d <= MAX_LINK_TORSOS + MAX_LINK_SPEED * dt and max(torso, tor) / min(torso, tor) <= MAX_LINK_SCALE:
                    pairs.append((d, ti, pi))
        used_t: set[int] = set()
        used_p: set[int] = set()
        for _, ti, pi in sorted(pairs):
            if ti in used_t or pi in used_p:
                continue
            used_t.add(ti)
            used_p.add(pi)
            j, h, tor = poses[pi]
            tracks[ti][f] = cands[f, j]
            state[ti] = (f, h, tor)
        for pi, (j, h, tor) in enumerate(poses):
            if pi in used_p:
                continue
            lm = np.full((n, NUM_MP, 4), np.nan, np.float32)
            lm[f] = cands[f, j]
            tracks.append(lm)
            state.append((f, h, tor))
    out = [Track(i, lm) for i, lm in enumerate(tracks)]
    for tr in out:
        _score(tr, t_ms, size)
    return out


def _score(track: Track, t_ms: np.ndarray, size: tuple[int, int]) -> None:
    """Fill ``track``'s walking seconds, travel and score (0 for a track too short to be a walk)."""
    from scoliscreen.core.quality_measures import walking_frames

    seq = PoseSequence(track.landmarks, 30.0, size, np.asarray(t_ms, np.float64))
    pres = track.present
    if pres.sum() < 3:
        return
    walk = walking_frames(seq) & pres
    dt = np.diff(t_ms, append=t_ms[-1] + (t_ms[-1] - t_ms[0]) / max(len(t_ms) - 1, 1)) / 1000.0
    track.walking_s = float(dt[walk].sum())
    hips, torsos = [], []
    for f in np.nonzero(walk)[0]:
        h, tor = _hip_torso(track.landmarks[f], size)
        if np.isfinite(h).all() and tor > 0:
            hips.append(h)
            torsos.append(tor)
    if len(torsos) < 3:
        return
    hips_a, tor_a = np.asarray(hips), np.asarray(torsos)
    span = np.percentile(hips_a, 95, axis=0) - np.percentile(hips_a, 5, axis=0)
    size_change = np.log(np.percentile(tor_a, 95) / np.percentile(tor_a, 5))
    track.travel_torsos = float(np.linalg.norm(span) / np.median(tor_a) + SIZE_TRAVEL_TORSOS * size_change)
    span_s = (t_ms[np.nonzero(pres)[0][-1]] - t_ms[np.nonzero(pres)[0][0]]) / 1000.0
    track.score = track.travel_torsos * min(1.0, track.walking_s) if span_s >= MIN_TRACK_S else 0.0


_POINT = re.compile(r"^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*(?:@\s*(\d+))?\s*$")
_INDEX = re.compile(r"^\s*#?\s*(\d+)\s*$")


def parse_subject(subject: str | None) -> tuple[str, object]:
    """``("auto", None)``, ``("index", n)`` or ``("point", (x, y, frame | None))``; InputError otherwise."""
    s = (subject or AUTO).strip().lower()
    if s == AUTO:
        return AUTO, None
    m = _INDEX.match(s)
    if m:
        return "index", int(m.group(1))
    m = _POINT.match(s)
    if m:
        try:
            x, y = float(m.group(1)), float(m.group(2))
        except ValueError:
            raise InputError(f"--subject {subject!r}: X,Y must be numbers") from None
        return "point", (x, y, int(m.group(3)) if m.group(3) else None)
    raise InputError(f"--subject {subject!r}: use 'auto', a track number like '#1', or a point 'X,Y' "
                     "(pixels, or fractions of the picture) optionally followed by '@FRAME'")


def _box_distance(pose: np.ndarray, x: float, y: float) -> float:
    """0 inside the pose's landmark box (x, y normalised), else the distance to it."""
    xs, ys = pose[:, 0], pose[:, 1]
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return float("inf")
    dx = max(float(xs[ok].min()) - x, 0.0, x - float(xs[ok].max()))
    dy = max(float(ys[ok].min()) - y, 0.0, y - float(ys[ok].max()))
    return float(np.hypot(dx, dy))


def choose_track(tracks: list[Track], subject: str | None, size: tuple[int, int]) -> Track | None:
    """The subject's track (see the module doc), or None when there is no track at all."""
    if not tracks:
        return None
    kind, arg = parse_subject(subject)
    if kind == "index":
        assert isinstance(arg, int)
        if arg >= len(tracks):
            raise InputError(f"--subject #{arg}: only {len(tracks)} person track(s) were found (#0-#{len(tracks) - 1})")
        return tracks[arg]
    if kind == "point":
        assert isinstance(arg, tuple)
        x, y, frame = arg
        if x > 1 or y > 1:
            x, y = x / max(size[0], 1), y / max(size[1], 1)
        present = np.stack([t.present for t in tracks])
        if frame is None:
            frame = int(np.nonzero(present.any(axis=0))[0][0]) if present.any() else 0
        frame = int(np.clip(frame, 0, present.shape[1] - 1))
        # the nearest frame (from ``frame`` on, then back) where some track is present
        order = sorted(range(present.shape[1]), key=lambda f: (abs(f - frame), f < frame))
        f = next((g for g in order if present[:, g].any()), frame)
        dist = [_box_distance(t.landmarks[f], x, y) if t.present[f] else float("inf") for t in tracks]
        return tracks[int(np.argmin(dist))]
    return max(tracks, key=lambda t: (t.score, t.walking_s, int(t.present.sum())))


def _linkable(a: Track, b: Track, t_ms: np.ndarray, size: tuple[int, int]) -> bool:
    """``b`` is ``a``'s person: where both are present they are the same body (a duplicate
    pose), and one of ``b``'s ends lies where ``a`` was just before/after."""
    pa, pb = a.present, b.present
    if not pa.any() or not pb.any():
        return False
    for f in np.nonzero(pa & pb)[0]:
        (h1, t1), (h2, t2) = _hip_torso(a.landmarks[f], size), _hip_torso(b.landmarks[f], size)
        if not np.linalg.norm(h2 - h1) <= MERGE_TORSOS * max(t1, t2):
            return False
    pb = pb & ~pa
    if not pb.any():
        return True
    fb = np.nonzero(pb)[0]
    fa = np.nonzero(pa)[0]
    ends = []
    before = fa[fa < fb[0]]
    if len(before):
        ends.append((int(before[-1]), int(fb[0])))
    after = fa[fa > fb[-1]]
    if len(after):
        ends.append((int(fb[-1]), int(after[0])))
    for i, j in ends:
        dt = (t_ms[j] - t_ms[i]) / 1000.0
        src = a.landmarks[i] if pa[i] else b.landmarks[i]
        dst = b.landmarks[j] if pb[j] else a.landmarks[j]
        (h1, t1), (h2, t2) = _hip_torso(src, size), _hip_torso(dst, size)
        ref = max(t1, t2)
        if dt <= MERGE_MAX_GAP_S and ref > 0 and np.linalg.norm(h2 - h1) / ref <= MERGE_TORSOS + MERGE_SPEED * dt:
            return True
    return False


def merge_pieces(chosen: Track, tracks: list[Track], t_ms: np.ndarray, size: tuple[int, int]) -> Track:
    """``chosen`` with the pieces of the same person that the tracker split off (a body half out
    of the picture, a short loss, a duplicate pose): tracks that continue where it was and,
    where they overlap it, lie on the same body."""
    merged = Track(chosen.index, chosen.landmarks.copy(), chosen.score, chosen.travel_torsos, chosen.walking_s)
    rest = sorted((t for t in tracks if t is not chosen), key=lambda t: -int(t.present.sum()))
    changed = True
    while changed:
        changed = False
        for tr in list(rest):
            if _linkable(merged, tr, t_ms, size):
                new = tr.present & ~merged.present
                merged.landmarks[new] = tr.landmarks[new]
                rest.remove(tr)
                changed = True
    return merged


def select_subject(cands: np.ndarray, t_ms: np.ndarray, size: tuple[int, int],
                   subject: str | None = None) -> tuple[np.ndarray, dict]:
    """Landmarks [T, 33, 4] of the chosen subject and a JSON-able summary of the tracking."""
    tracks = build_tracks(cands, t_ms, size)
    chosen = choose_track(tracks, subject, size)
    n = len(cands)
    if chosen is not None:
        chosen = merge_pieces(chosen, tracks, np.asarray(t_ms, np.float64), size)
    lm = chosen.landmarks.copy() if chosen is not None else np.full((n, NUM_MP, 4), np.nan, np.float32)
    # where the subject is absent, the first pose if it is a false detection (a table leg, a
    # shadow): kept, so that the raw sequence shows what the model returned and the quality
    # gate can count (and filter) it as before
    c = np.asarray(cands, np.float32)
    c = c[:, None] if c.ndim == 3 else c
    if n:
        first = c[:, 0]
        false = np.isfinite(first[:, :, 0]).any(axis=1) & ~_plausible(c[:, :1], t_ms, size)[:, 0]
        fill = false & ~np.isfinite(lm[:, :, 0]).any(axis=1)
        lm[fill] = first[fill]
    info = {"subject": (subject or AUTO), "chosen": None if chosen is None else chosen.index,
            "frames": 0 if chosen is None else int(chosen.present.sum()), "tracks": [t.summary() for t in tracks]}
    return lm, info


__all__ = ["AUTO", "Track", "build_tracks", "choose_track", "parse_subject", "select_subject"]
