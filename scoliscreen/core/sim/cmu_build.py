"""Rebuild ``data/cmu_walks.npz`` (+ ``cmu_walks.json``) from a folder of CMU BVH files.

    python -m scoliscreen.core.sim.cmu_build SRC_DIR OUT.npz

``SRC_DIR`` holds ``SS_TT.bvh`` files, each optionally with a ``SS_TT.json`` provenance sidecar
(repo, path, commit, description, decimation, lines_written, ...). Two kinds of BVH are accepted:

* full-rate originals (``Frame Time`` ~ 1/120 s, frame 0 the added T-pose): frames 1, 1+D,
  1+2D, ... are taken (D from the sidecar, default 4), at most ``lines_written`` of them (sidecar)
  or ``MAX_LINES``;
* decimated transcriptions (``Frame Time`` ~ D/120 s) whose lines already are those frames:
  taken as they are.

Both give the same 30 Hz frames, so the committed data can be rebuilt from the originals.
Each trial is checked (``check_walk``) and the table is printed; the subject's reserved flag
comes from ``cmu.RESERVED_SUBJECTS``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.sim.bvh import CMU_UNIT_M, Bvh, forward_kinematics, parse_bvh
from scoliscreen.core.sim.cmu import CMU_JOINTS, KEYPOINTS, is_reserved

SOURCE_FPS = 120.0  # what every cgspeed BVH file says (Frame Time .0083333)
MAX_LINES = 240  # 8 s at 30 Hz
MIN_WALK_S = 1.5  # a trial with less walking (after a standing start) is left out
# Trials captured at 60 fps although the file says 120 (READMEFIRST: amc2bvh writes no rate; the conversion
# set 120 fps everywhere). Evidence: read at 120 fps these "walks" take 3.1-3.6 steps/s at 1.7-2.3 m/s, a
# cadence no walk has (running is ~3); at 60 fps they are ordinary walks (1.6-1.8 steps/s, 0.9-1.2 m/s)
# with unchanged step lengths. Every 4th of their frames is 1/15 s apart.
CAPTURED_AT_60 = ("103_07", "143_32")


def trial_positions(bvh: Bvh, decimation: int = 4, max_lines: int = MAX_LINES,
                    capture_fps: float = SOURCE_FPS) -> np.ndarray:
    """[frames, len(CMU_JOINTS), 3] float32 metres at capture_fps / decimation, from the walk's start."""
    if bvh.frame_time < 0.75 * decimation / SOURCE_FPS:  # full-rate original: drop T-pose, decimate
        motion = bvh.motion[1::decimation][:max_lines]
    else:
        motion = bvh.motion[:max_lines]
    motion = motion[leading_glitch_frames(bvh, motion):]
    if motion.shape[0] < 2:
        raise InputError("BVH holds fewer than 2 usable frames.")
    pos = forward_kinematics(bvh, motion)[:, [bvh.index(KEYPOINTS[k]) for k in CMU_JOINTS]]
    pos = pos[leading_still_frames(pos * CMU_UNIT_M, capture_fps / decimation):]
    return (pos * CMU_UNIT_M).astype(np.float32)


def leading_still_frames(pos: np.ndarray, fps: float, v_start: float = 0.5, window_s: float = 1 / 3) -> int:
    """Frames before the walk starts: many CMU "walk" trials begin standing. The walk starts at
    the first frame whose pelvis speed, averaged over the next ``window_s``, reaches ``v_start`` m/s."""
    k = max(int(round(window_s * fps)), 1)
    step = np.linalg.norm(np.diff(pos[:, CMU_JOINTS.index("pelvis")][:, [0, 2]], axis=0), axis=1) * fps
    if len(step) < k:
        return 0
    avg = np.convolve(step, np.ones(k) / k, mode="valid")
    moving = np.flatnonzero(avg >= v_start)
    return int(moving[0]) if moving.size else 0


def leading_glitch_frames(bvh: Bvh, motion: np.ndarray) -> int:
    """Leading frames in which an upper arm's three rotations are all exactly 0: a CMU capture
    glitch (e.g. 16_15 starts with the left arm missing for two 120-fps frames), dropped."""
    cols = [bvh.joints[bvh.index(n)].first_channel for n in ("LeftArm", "RightArm")]
    bad = np.zeros(len(motion), bool)
    for c in cols:
        bad |= np.all(motion[:, c:c + 3] == 0.0, axis=1)
    return int(np.argmin(bad)) if not bad.all() else len(motion)


def check_walk(pos: np.ndarray, fps: float) -> dict:
    """Plausibility figures of one walk: speed, straightness, cadence, root-step regularity."""
    j = CMU_JOINTS.index
    root = pos[:, j("pelvis")].astype(float)
    step = np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=1)
    path = float(step.sum())
    net = float(np.linalg.norm(root[-1, [0, 2]] - root[0, [0, 2]]))
    heading = np.unwrap(np.arctan2(*np.diff(root[:, [0, 2]], axis=0).T[::-1]))
    # feet: signed ankle separation along the walking direction oscillates once per stride
    d = root[-1, [0, 2]] - root[0, [0, 2]]
    d = d / (np.linalg.norm(d) + 1e-9)
    sep = (pos[:, j("left_ankle")] - pos[:, j("right_ankle")])[:, [0, 2]] @ d
    sep = sep - sep.mean()
    cross = np.flatnonzero(np.diff(np.sign(sep)) != 0)  # one per step
    dur = pos.shape[0] / fps
    # steps per second between the first and the last step (a short clip's edges would bias a plain count)
    cadence = (len(cross) - 1) * fps / (cross[-1] - cross[0]) if len(cross) >= 3 else len(cross) / dur
    med = float(np.median(step)) if step.size else 0.0
    return {
        "frames": int(pos.shape[0]), "duration_s": round(dur, 2),
        "speed_m_s": round(path / dur, 3), "straightness": round(net / max(path, 1e-9), 3),
        "heading_change_deg": round(float(np.degrees(np.ptp(heading))) if heading.size else 0.0, 1),
        "steps_per_s": round(float(cadence), 2),
        "root_step_max_over_median": round(float(step.max() / med) if med > 0 else float("inf"), 2),
        "root_step_min_over_median": round(float(step.min() / med) if med > 0 else 0.0, 2),
        "head_top_m": round(float(pos[:, j("head_top"), 1].mean()), 3),
    }


NOTICE_HEAD = """\
CMU walks (cmu_walks.npz, cmu_walks.json): source, licence, acknowledgement, provenance
========================================================================================

Data: 3-D joint positions computed (forward kinematics, scoliscreen.core.sim.bvh) from plain
walking trials of the Carnegie Mellon University Graphics Lab Motion Capture Database
(http://mocap.cs.cmu.edu), in Bruce Hahne's MotionBuilder-friendly BVH conversion (cgspeed.com,
2010 release), as stored in the GitHub repository una-dinosauria/cmu-mocap. Every 4th 120-fps
frame (30 Hz) from the first frame after the conversion's added T-pose; at most a few seconds a
trial. Length unit converted to metres with the CMU FAQ's factor (1.0/0.45)*2.54/100 = 0.056444.

Usage rights, quoted verbatim from cmuconvert-mb2-40-45/READMEFIRST.txt (v1.1, June 26, 2010,
B. Hahne) in una-dinosauria/cmu-mocap:

  USAGE RIGHTS:

  CMU places no restrictions on the use of the original dataset, and I
  (Bruce) place no additional restrictions on the use of this particular
  BVH conversion.

  Here's the relevant paragraph from mocap.cs.cmu.edu:

    Use this data!  This data is free for use in research and commercial
    projects worldwide.  If you publish results obtained using this data,
    we would appreciate it if you would send the citation to your
    published paper to jkh+mocap@cs.cmu.edu, and also would add this text
    to your acknowledgments section: "The data used in this project was
    obtained from mocap.cs.cmu.edu.  The database was created with funding
    from NSF EIA-0196217."

No-resale note, from the home page of mocap.cs.cmu.edu:

  This data is free for use in research projects. You may include this data in
  commercially-sold products, but you may not resell this data directly, even in
  converted form.

Acknowledgement (as the source asks):

  The data used in this project was obtained from mocap.cs.cmu.edu.  The database was
  created with funding from NSF EIA-0196217.

Note from mocap.cs.cmu.edu: "In this database, the same person may appear under more than one
subject number." The reserved (held-out) subjects are therefore a held-out group of subject
numbers, not a guarantee of distinct people.

Provenance per trial (repo path, commit, source frames used):

"""


def write_notice(index: list[dict], path: Path) -> None:
    rows = [f"  {r['trial']:7s} subject {r['subject']:3d} {'RESERVED' if r['reserved'] else 'training':8s} "
            f"{r['repo']}:{r['path']} @ {r['commit'][:12]}  frames {r['first_source_frame']}.."
            f"{r['last_source_frame']} step {r['decimation']} ({r['frames']} at {r['fps']:g} Hz)  "
            f"\"{r['description']}\"" for r in index]
    path.write_text(NOTICE_HEAD + "\n".join(rows) + "\n")


def build(src_dir: Path, out: Path, min_walk_s: float = MIN_WALK_S) -> list[dict]:
    """Read every SS_TT.bvh in src_dir, write out (npz) and out.with_suffix('.json'); return the index."""
    files = sorted(Path(src_dir).glob("*.bvh"))
    if not files:
        raise InputError(f"No .bvh files in {src_dir}.")
    arrays: dict[str, np.ndarray] = {}
    index = []
    for f in files:
        trial = f.stem
        try:
            subject = int(trial.split("_")[0])
        except ValueError:
            raise InputError(f"{f.name}: name is not SS_TT.bvh.") from None
        side = f.with_suffix(".json")
        meta = json.loads(side.read_text()) if side.is_file() else {}
        dec = int(meta.get("decimation", 4))
        bvh = parse_bvh(f.read_text())
        capture = 60.0 if trial in CAPTURED_AT_60 else float(meta.get("capture_fps", SOURCE_FPS))
        pos = trial_positions(bvh, dec, int(meta.get("lines_written", MAX_LINES)), capture)
        n_lines = min(len(bvh.motion) if bvh.frame_time >= 0.75 * dec / SOURCE_FPS else len(bvh.motion[1::dec]),
                      int(meta.get("lines_written", MAX_LINES)))
        fps = capture / dec
        if pos.shape[0] < min_walk_s * fps:
            print(f"{trial}: left out, only {pos.shape[0] / fps:.1f} s of walking", file=sys.stderr)
            continue
        arrays[f"t{trial}"] = pos
        row = {"trial": trial, "subject": subject, "fps": fps, "frames": int(pos.shape[0]),
               "reserved": is_reserved(subject), "description": meta.get("description", ""), "capture_fps": capture,
               "repo": meta.get("repo", ""), "path": meta.get("path", ""), "commit": meta.get("commit", ""),
               "source_frames": meta.get("source_frames"), "decimation": dec,
               "first_source_frame": int(meta.get("first_source_frame", 1)) + dec * (n_lines - len(pos)),
               "last_source_frame": meta.get("last_source_frame"),
               "transcribed_by": meta.get("transcribed_by", ""), "check": check_walk(pos, fps)}
        index.append(row)
    if not index:
        raise InputError(f"No usable walk in {src_dir}.")
    arrays["joint_names"] = np.array(CMU_JOINTS)
    arrays["index"] = np.array(json.dumps(index))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    out.with_suffix(".json").write_text(json.dumps(index, indent=1) + "\n")
    write_notice(index, out.parent / "CMU_NOTICE.txt")
    return index


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m scoliscreen.core.sim.cmu_build SRC_DIR OUT.npz", file=sys.stderr)
        return 2
    try:
        index = build(Path(args[0]), Path(args[1]))
    except (ScoliScreenError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("trial   subj res frames  dur  speed straight dhead steps/s stepmax stepmin head_top")
    for r in index:
        c = r["check"]
        print(f"{r['trial']:7s} {r['subject']:4d} {'R' if r['reserved'] else '-':3s} {c['frames']:6d} "
              f"{c['duration_s']:5.2f} {c['speed_m_s']:5.2f} {c['straightness']:8.3f} "
              f"{c['heading_change_deg']:5.0f} {c['steps_per_s']:7.2f} {c['root_step_max_over_median']:7.2f} "
              f"{c['root_step_min_over_median']:7.2f} {c['head_top_m']:8.3f}")
    subj = {r["subject"] for r in index}
    res = {r["subject"] for r in index if r["reserved"]}
    print(f"{len(index)} trials, {len(subj)} subjects ({len(res)} reserved) -> {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
