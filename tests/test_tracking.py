"""Several people in view: follow the walker, or the subject the user chose; a change of the
tracked person gives "re-record".

Real data: ``sports2d_demo_multiperson_people.npz`` holds what MediaPipe (``num_poses=2``,
VIDEO mode) returns on every frame of the real multi-person clip: the walker (crossing the
picture right to left, frames ~60-191) and the man jumping on the box (frames ~3-169).
``sports2d_side_walk_single.npz`` is the walker alone (source frames 44-190, cropped to rows
466-993): the ground truth for her trajectory.
"""

from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sequence import PoseSequence, load_sequence
from scoliscreen.core.tracking import build_tracks, choose_track, count_people, parse_subject, select_subject

POSES = Path(__file__).parent / "data" / "poses"
PEOPLE_DIR = Path(__file__).parent / "data" / "people"
CROP_TOP, CROP_H, FIRST = 466, 528, 44  # how the single clip was cut from the multi-person one
_LH, _RH, _LA, _RA = MP["left_hip"], MP["right_hip"], MP["left_ankle"], MP["right_ankle"]


@pytest.fixture(scope="module")
def people():
    d = np.load(PEOPLE_DIR / "sports2d_demo_multiperson_people.npz")
    return d["people"], d["timestamps_ms"], tuple(int(v) for v in d["image_size"])


@pytest.fixture(scope="module")
def walker_truth():
    """The walker's hip centre and left ankle (pixels of the multi-person clip) per source frame."""
    single = load_sequence(POSES / "sports2d_side_walk_single.npz")
    lm = single.landmarks.astype(np.float64)
    w = single.image_size[0]

    def to_multi(p):
        return np.stack([p[:, 0] * w, p[:, 1] * CROP_H + CROP_TOP], axis=1)

    hip = to_multi((lm[:, _LH] + lm[:, _RH]) / 2)
    ankles = to_multi((lm[:, _LA] + lm[:, _RA]) / 2)
    return {FIRST + i: (hip[i], ankles[i]) for i in range(len(lm))}


def _hip_px(lm, size):
    return (lm[:, _LH, :2] + lm[:, _RH, :2]) / 2 * np.array(size)


def test_auto_follows_the_walker_not_the_man_on_the_box(people, walker_truth):
    cands, t, size = people
    lm, info = select_subject(cands, t, size)
    hip = _hip_px(lm, size)
    ank = (lm[:, _LA, :2] + lm[:, _RA, :2]) / 2 * np.array(size)
    frames = [f for f in range(10, 166) if f in walker_truth and np.isfinite(hip[f]).all()]
    assert len(frames) >= 100  # the walker enters at ~44 and is found from ~60 on
    hip_err = [np.linalg.norm(hip[f] - walker_truth[f][0]) for f in frames]
    ank_err = [np.linalg.norm(ank[f] - walker_truth[f][1]) for f in frames]
    # MediaPipe's own error on the walker differs between the full and the cropped picture
    # (up to ~1 torso length in a few frames); the man on the box is > 400 px away
    assert np.median(hip_err) < 15 and np.percentile(hip_err, 90) < 60 and np.max(hip_err) < 200, hip_err
    assert np.median(ank_err) < 25
    # never the man on the box (image x ~600-800, hips above y ~500) in frames 10-165
    tracked = np.isfinite(hip[10:166]).all(axis=1)
    assert (hip[10:166][tracked, 1] > 550).all()
    # the chosen track walks: it crosses most of the picture, right to left
    chosen = info["tracks"][info["chosen"]]
    assert chosen["travel_torsos"] > 6 and chosen["walking_s"] > 3.2
    others = [tr for tr in info["tracks"] if tr["index"] != info["chosen"]]
    assert all(tr["score"] < chosen["score"] / 2 for tr in others)


def test_the_old_single_pose_output_followed_the_wrong_person(people):
    """What num_poses=1 gave (the fixture kept on purpose): the man on the box in 10-165."""
    _, _, size = people
    old = load_sequence(POSES / "sports2d_demo_multiperson.npz")
    hip = _hip_px(old.landmarks, size)
    assert np.nanmedian(hip[20:150, 1]) < 500  # the box is in the upper half of the picture


def test_a_point_or_a_track_number_chooses_the_other_person(people):
    cands, t, size = people
    tracks = build_tracks(cands, t, size)
    walker = choose_track(tracks, "auto", size)
    box = choose_track(tracks, "689,455@10", size)  # a click on the man on the box (pixels)
    assert box is not walker and box.present[10:150].mean() > 0.8
    assert np.nanmedian(_hip_px(box.landmarks, size)[:, 1]) < 500
    assert choose_track(tracks, "0.39,0.46@10", size) is box  # the same point as fractions
    assert choose_track(tracks, "1400,740@60", size) is walker  # a click on the walker
    assert choose_track(tracks, f"#{walker.index}", size) is walker
    with pytest.raises(InputError, match="only"):
        choose_track(tracks, "#99", size)


@pytest.mark.parametrize("bad", ["someone", "1,2,3", "x,y", "#-1"])
def test_a_bad_subject_is_one_clear_error(bad):
    with pytest.raises(InputError, match="--subject"):
        parse_subject(bad)


def test_people_are_counted_once_and_tiny_figures_not_at_all(people):
    cands, _, size = people
    both = next(f for f in range(len(cands)) if f > 100 and np.isfinite(cands[f, :2, 0, 0]).all())
    assert count_people(cands[both], size) == 2
    twice = np.stack([cands[both, 0], cands[both, 0] + np.float32(0.002)])  # one person returned twice
    twice[..., 2:] = cands[both, 0, :, 2:]
    assert count_people(twice, size) == 1
    tiny = cands[both, :2].copy()
    tiny[1, :, :2] = 0.5 + (tiny[1, :, :2] - 0.5) * 0.1
    assert count_people(tiny, size) == 1


def test_one_person_gives_the_same_sequence_as_before():
    """A single walker: tracking keeps every frame MediaPipe gave."""
    single = load_sequence(POSES / "sports2d_side_walk_single.npz")
    lm, info = select_subject(single.landmarks[:, None], single.timestamps_ms, single.image_size)
    assert len(info["tracks"]) >= 1 and info["frames"] == single.detected.sum()  # pieces merged back
    assert np.array_equal(np.isfinite(lm[:, 0, 0]), single.detected)
    assert np.allclose(lm[single.detected], single.landmarks[single.detected])


def test_the_chosen_walker_passes_the_gate_without_a_switch(people):
    cands, t, size = people
    lm, _ = select_subject(cands, t, size)
    seq = PoseSequence(lm, 30.0, size, t)
    r = assess_quality(seq)
    assert r.usable and r.stats["identity_switch_frames"] == []
    assert r.segment[0] >= 55 and r.stats["usable_walking_s"] >= 4.0


# ---- the tracked person changes: "re-record" ------------------------------------------------

@pytest.fixture(scope="module")
def screener():
    from scoliscreen.core.model.predict import Screener

    return Screener.load()


def _screen(seq, screener):
    r = assess_quality(seq)
    assert r.usable, r.codes()
    return r, screener.predict(r.sequence, segment=r.segment)


def test_the_decision_rule_turns_a_switch_into_re_record():
    from scoliscreen.core.model.decision import Decision

    d = Decision(margin=0.0)
    assert d.reasons(3.0, "front") == [] and d.label(3.0, []) == "positive"
    reasons = d.reasons(3.0, "front", identity_switches=[75])
    assert [x["code"] for x in reasons] == ["subject_changed"] and "frame 75" in reasons[0]["message"]
    assert d.label(3.0, reasons) == "re-record"


@pytest.mark.slow
def test_the_wrong_person_followed_by_num_poses_1_gives_re_record(screener):
    """The real clip as num_poses=1 tracked it: the man on the box, then the walker."""
    r, res = _screen(load_sequence(POSES / "sports2d_demo_multiperson.npz"), screener)
    assert any(160 <= f <= 175 for f in r.stats["identity_switch_frames"])
    assert res.label == "re-record"
    reason = next(x for x in res.reasons if x["code"] == "subject_changed")
    assert "another person" in reason["message"]


def _front_walk(seed):
    from scoliscreen.core.sim.generate import simulate_clip
    from scoliscreen.core.sim.params import sample_subject

    rng = np.random.default_rng(seed)
    return simulate_clip(sample_subject(rng), rng, view="front", fps=30.0, resolution=(1920, 1080), duration_s=5.0)


@pytest.mark.slow
def test_a_clip_spliced_from_two_people_gives_re_record_and_each_alone_does_not(screener):
    a, b = _front_walk(11), _front_walk(12)
    assert "subject_changed" not in [x["code"] for x in _screen(a, screener)[1].reasons]
    assert "subject_changed" not in [x["code"] for x in _screen(b, screener)[1].reasons]
    lm = a.landmarks.copy()
    other = b.landmarks[75:].copy()
    other[..., 0] = np.clip(other[..., 0] + 0.25, 0.0, 1.0)  # the other child walks on another line
    lm[75:] = other
    r, res = _screen(PoseSequence(lm, a.fps, a.image_size, a.timestamps_ms), screener)
    assert r.stats["identity_switch_frames"] == [75]
    assert res.label == "re-record" and "subject_changed" in [x["code"] for x in res.reasons]


@pytest.mark.parametrize("command", ["analyze", "predict"])
def test_cli_refuses_a_bad_subject_in_one_line(command, capsys):
    from scoliscreen.cli import main

    rc = main([command, str(POSES / "sports2d_side_walk_single.npz"), "--subject", "the tall one", "--no-record"]
              if command == "analyze" else [command, str(POSES / "sports2d_side_walk_single.npz"),
                                            "--subject", "the tall one"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--subject" in err[0] and "Traceback" not in err[0]


@pytest.mark.slow
def test_forcing_the_man_on_the_box_gives_no_verdict(people, screener):
    """The user picks the wrong person (jumping jacks, then a backflip): never refer / no referral."""
    cands, t, size = people
    lm, _ = select_subject(cands, t, size, "689,455@10")
    r = assess_quality(PoseSequence(lm, 30.0, size, t))
    if r.usable:
        res = screener.predict(r.sequence, segment=r.segment)
        assert res.label == "re-record", res.reasons
    else:
        assert r.refusals
