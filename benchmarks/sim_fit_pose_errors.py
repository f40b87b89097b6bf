"""Refit the pose-estimator error model on the real MediaPipe outputs and print its figures.

    python benchmarks/sim_fit_pose_errors.py [--poses tests/data/poses] [--write]

Fits ``scoliscreen.core.sim.pose_errors`` on the walker's frames of the four real clips
(``REAL_SEGMENTS``) and prints, per segment, the jitter residuals, swap runs, dropped
frames and visibility, then the model the simulator uses. ``--write`` stores the fit in
``scoliscreen/core/sim/data/pose_errors.json`` (the one source the worlds read) and the real
walking frames world R uses in ``data/real_walks.npz``;
``tests/test_sim_pose_errors.py`` checks that the stored figures are what this refit gives.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from scoliscreen.core.sim.pose_errors import PARAMS_PATH, fit_pose_errors, save_params
from scoliscreen.core.sim.real_walks import extract_real_walks, gait_loop_summary

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=Path, default=ROOT / "tests" / "data" / "poses")
    ap.add_argument("--write", action="store_true", help=f"store the fit in {PARAMS_PATH.name}")
    args = ap.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames (no person) in nan-reductions
        fit = fit_pose_errors(args.poses)
    for name, seg in fit["segments"].items():
        print(f"{name}: {seg['seconds']} s at {seg['fps']:g} fps, residual lag-1 {seg['lag1']}, "
              f"common share {seg['common_share']}")
        print("   residual SD / body height (x, y):",
              ", ".join(f"{g} {j['residual_sd']:.4f}" for g, j in seg["jitter"].items()))
        sw = seg["swaps"]
        print(f"   swaps: whole-body runs {sw['whole_body_runs']}, limb runs {sw['limb_runs']}; "
              f"dropped-frame runs {seg['drop_runs']}")
    m = fit["model"]
    print("\nmodel (what the worlds use):")
    print(json.dumps({k: v for k, v in m.items() if k != "visibility_logit"}, indent=1))
    for view, groups in m["visibility_logit"].items():
        print(f"visibility logit mean, SD ({view}):",
              "; ".join(f"{g} {v}" if g == "face" else f"{g} near {v['near']} far {v['far']}" for g, v in groups.items()))
    if args.write:
        save_params(fit)
        print(f"\nwrote {PARAMS_PATH}")
        print(f"wrote {extract_real_walks(args.poses)}")
    print("\nworld R gait loops:", gait_loop_summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
