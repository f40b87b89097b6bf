"""World B (a second simulated world for leave-one-world-out tests): valid, gate-passing,
deterministic clips whose scoliosis shows differently from world A."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sim import sample_subject
from scoliscreen.core.sim.generate import subject_plan
from scoliscreen.core.sim.world_b import GENERATOR_B, sample_subject_b, simulate_clip_b


def test_world_b_clips_pass_the_gate_and_are_deterministic():
    subject, plan = subject_plan(11, "simB1-00001", 2, world="B")
    seqs = [simulate_clip_b(subject, rng, view=v) for v, rng in plan]
    assert [s.meta["view"] for s in seqs] == [plan[0][0], plan[1][0]]
    assert all(s.meta["generator"] == GENERATOR_B and s.fps in (24.0, 30.0, 50.0) for s in seqs)
    assert all(assess_quality(s).usable for s in seqs)
    again, plan2 = subject_plan(11, "simB1-00001", 2, world="B")
    s2 = simulate_clip_b(again, plan2[0][1], view=plan2[0][0])
    assert np.array_equal(np.nan_to_num(s2.landmarks), np.nan_to_num(seqs[0].landmarks))


def test_scoliosis_shows_differently_in_world_b():
    """Same children (seed, Cobb): world B moves the signal from shoulder tilt to trunk shift."""
    a = [sample_subject(np.random.default_rng(i), cobb_angle=35.0) for i in range(300)]
    b = [sample_subject_b(np.random.default_rng(i), cobb_angle=35.0) for i in range(300)]
    tilt_a = np.mean([abs(s.asym["shoulder_tilt_deg"]) for s in a])
    tilt_b = np.mean([abs(s.asym["shoulder_tilt_deg"]) for s in b])
    shift_a = np.mean([abs(s.asym["trunk_shift_m"]) for s in a])
    shift_b = np.mean([abs(s.asym["trunk_shift_m"]) for s in b])
    assert tilt_b < 0.8 * tilt_a and shift_b > 1.3 * shift_a
    assert np.mean([s.shoulder_width for s in b]) > np.mean([s.shoulder_width for s in a]) + 0.01
