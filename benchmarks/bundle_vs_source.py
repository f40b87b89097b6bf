"""The bundle gives the same result as the source install: ``analyze --json --no-record`` on the
bundled sample clip from both, with wall times.

    python benchmarks/bundle_vs_source.py [--bundle dist/scoliscreen] [--clip VIDEO]

Prints both results (label, probability, Cobb estimate, frames, quality) and the seconds each
took (a fresh process: imports, model loading, pose estimation, screening). Exit 1 if they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run(command: list[str]) -> tuple[dict, float]:
    env = dict(os.environ, SCOLISCREEN_DATA_DIR=tempfile.mkdtemp(prefix="scoliscreen-bench-"))
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout), seconds


def summary(result: dict) -> dict:
    import hashlib

    s = result.get("screening") or {}
    return {"frames": result["frames"], "quality": result["quality"]["verdict"], "label": s.get("label"),
            "probability": round(s.get("probability", float("nan")), 6),
            "cobb_estimate": round(s.get("cobb_estimate", float("nan")), 4),
            "model_version": s.get("model_version"),
            # everything else too: region/window weights, severity, knowledge map, clinical text, quality
            "sha256(screening, knowledge map, text, quality)": hashlib.sha256(json.dumps(
                [s, result.get("knowledge_map"), result.get("clinical_text"), result["quality"]],
                sort_keys=True).encode()).hexdigest()[:16]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="dist/scoliscreen")
    ap.add_argument("--clip", help="video (default: the bundled sample clip)")
    args = ap.parse_args()
    tail = ["analyze", *([args.clip] if args.clip else []), "--json", "--no-record"]
    exe = os.path.join(args.bundle, "scoliscreen.exe" if os.name == "nt" else "scoliscreen")
    bundle, tb = run([exe, *tail])
    source, ts = run([sys.executable, "-m", "scoliscreen", *tail])
    sb, ss = summary(bundle), summary(source)
    print(f"bundle: {tb:6.1f} s  {sb}")
    print(f"source: {ts:6.1f} s  {ss}")
    print(f"pose estimation alone: bundle {bundle['source']['seconds_elapsed']:.1f} s, "
          f"source {source['source']['seconds_elapsed']:.1f} s")
    same = sb == ss
    print("same result" if same else "RESULTS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
