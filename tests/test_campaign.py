"""Issue 14 acceptance: a campaign of malformed inputs across the commands that read files.

Every case must exit 2 or 3 (never 0, 1 or a signal), print exactly one line on stderr with no
traceback, and the process running them must stay under 1 GB of peak memory. The cases run
in one child interpreter (tests/campaign_runner.py), so torch and the model load once; the
child's peak RSS (``ru_maxrss``, which covers every case) is asserted. RLIMIT_AS is not used:
torch and MediaPipe reserve several GB of address space they never touch.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import malformed as m

REPO = Path(__file__).resolve().parents[1]
PEAK_LIMIT_MB = 1024


def _cases(t: Path) -> list[tuple[str, list[str]]]:
    good = m.GOOD_NPZ
    (t / "text.mp4").write_text("hello, this is not a video\n" * 20)
    (t / "empty.mp4").write_bytes(b"")
    (t / "garbage.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    (t / "image.mp4").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (t / "folder.mp4").mkdir()
    m.fifo(t / "fifo.mp4")
    m.fifo(t / "fifo.npz")
    lm = m.good_arrays()["landmarks"]
    n = len(lm)
    bad_ts = np.arange(n, dtype=np.float64) * 33.3
    npz = {
        "claim49g": m.npz_claiming(t / "claim49g.npz"),
        "bomb": m.zip_bomb(t / "bomb.npz"),
        "ts_nan": m.write_npz(t / "ts_nan.npz", timestamps_ms=np.where(np.arange(n) == 5, np.nan, bad_ts)),
        "ts_inf": m.write_npz(t / "ts_inf.npz", timestamps_ms=np.where(np.arange(n) == n - 1, np.inf, bad_ts)),
        "ts_1e13": m.write_npz(t / "ts_1e13.npz", timestamps_ms=np.arange(n, dtype=np.float64) * 1e13),
        "ts_decreasing": m.write_npz(t / "ts_decreasing.npz", timestamps_ms=bad_ts[::-1].copy()),
        "lm_strings": m.write_npz(t / "lm_strings.npz", landmarks=lm.astype(str)),
        "lm_complex": m.write_npz(t / "lm_complex.npz", landmarks=lm.astype(np.complex64) * 1j),
        "lm_inf": m.write_npz(t / "lm_inf.npz", landmarks=np.where(lm == lm, np.inf, lm)),
        "lm_shape": m.write_npz(t / "lm_shape.npz", landmarks=lm[:, :17]),
        "size_huge": m.write_npz(t / "size_huge.npz", image_size=np.array([2**62, 2**62], dtype=np.int64)),
        "size_negative": m.write_npz(t / "size_negative.npz", image_size=np.array([-640, 480])),
        "size_zero": m.write_npz(t / "size_zero.npz", image_size=np.array([0, 0])),
        "fps_nan": m.write_npz(t / "fps_nan.npz", fps=np.float64("nan")),
        "missing_keys": m.write_npz(t / "missing_keys.npz", landmarks=None),
    }
    np.save(t / "bare.npy", lm)
    (t / "bare.npz").write_bytes((t / "bare.npy").read_bytes())
    (t / "afile").write_text("x")
    tampered = m.tampered_model(t / "damaged_model", fix_card=False)

    ds = {
        "nul": m.labels(t / "ds_nul", "clips/a.npz,s1,12\x00\n"),
        "no_labels": (t / "ds_empty"),
        "bad_cobb": m.labels(t / "ds_bad_cobb", "clips/a.npz,s1,abc\n"),
        "escape": m.labels(t / "ds_escape", "../../etc/passwd.npz,s1,12\n"),
        "label_conflict": m.labels(t / "ds_conflict", "clips/a.npz,s1,30,0\n",
                                   header="file,subject_id,cobb_angle,label\n"),
    }
    ds["no_labels"].mkdir()
    # a subject of the shipped model's training set, upper-cased: the leakage check must still see it
    from scoliscreen.core.model.card import hash_subject

    card = json.loads((m.MODEL / "model_card.json").read_text())
    seen = set(card["train_subject_hashes"])
    seed = card["data"]["seed"]
    train_id = next(f"sim{seed}-{i:05d}" for i in range(1, 5000) if hash_subject(f"sim{seed}-{i:05d}",
                                                                               card["subject_hash_salt"]) in seen)
    leak = m.labels(t / "ds_leak", f"clips/a.npz, {train_id.upper()} ,12\n")
    s1k = {
        "pickle_2e40": m.s1k_tree(t / "s1k_2e40", b"\x80\x04\x8e" + (2**40).to_bytes(8, "little")),
        "pickle_strings": m.s1k_tree(t / "s1k_str", pickle.dumps(np.full((10, 17, 3), "x"))),
        "pickle_code": m.s1k_tree(t / "s1k_code", b"cos\nsystem\n(S'true'\ntR."),
    }
    out = lambda name: str(t / "out" / name)  # noqa: E731
    return [
        # analyze: videos
        ("analyze missing file", ["analyze", str(t / "nope.mp4"), "--no-record"]),
        ("analyze folder", ["analyze", str(t / "folder.mp4"), "--no-record"]),
        ("analyze empty", ["analyze", str(t / "empty.mp4"), "--no-record"]),
        ("analyze text", ["analyze", str(t / "text.mp4"), "--no-record"]),
        ("analyze garbage", ["analyze", str(t / "garbage.mp4"), "--no-record"]),
        ("analyze png", ["analyze", str(t / "image.mp4"), "--no-record"]),
        ("analyze fifo mp4", ["analyze", str(t / "fifo.mp4"), "--no-record"]),
        ("analyze fifo npz", ["analyze", str(t / "fifo.npz"), "--no-record"]),
        ("analyze camera -1", ["analyze", "--camera", "-1", "--no-record"]),
        ("analyze seconds nan", ["analyze", "--camera", "0", "--seconds", "nan", "--no-record"]),
        ("analyze seconds inf", ["analyze", "--camera", "0", "--seconds", "inf", "--no-record"]),
        ("analyze seconds 1e9", ["analyze", "--camera", "0", "--seconds", "1e9", "--no-record"]),
        ("analyze seconds 0", ["analyze", "--camera", "0", "--seconds", "0", "--no-record"]),
        ("analyze seconds text", ["analyze", "--seconds", "abc", "--no-record"]),
        ("analyze unknown patient", ["analyze", str(good), "--patient", "nobody-here"]),
        ("analyze damaged model", ["analyze", str(good), "--model", str(tampered), "--no-record"]),
        ("analyze unwritable save", ["analyze", str(good), "--no-record", "--save-sequence", str(t / "afile" / "x.npz")]),
        ("analyze bare npy", ["analyze", str(t / "bare.npz"), "--no-record"]),
        # analyze: pose sequences
        *[(f"analyze {k}", ["analyze", str(p), "--no-record"]) for k, p in npz.items()],
        # predict
        ("predict missing", ["predict", str(t / "nope.npz")]),
        ("predict bomb", ["predict", str(npz["bomb"])]),
        ("predict ts_1e13", ["predict", str(npz["ts_1e13"])]),
        ("predict damaged model", ["predict", str(good), "--model", str(tampered)]),
        # features
        ("features claim49g", ["features", str(npz["claim49g"])]),
        ("features lm_complex", ["features", str(npz["lm_complex"])]),
        ("features size_huge", ["features", str(npz["size_huge"])]),
        ("features text", ["features", str(t / "text.mp4")]),
        ("features unwritable csv", ["features", str(good), "--csv", str(t / "afile" / "x.csv")]),
        # dataset check
        ("dataset check nul", ["dataset", "check", str(ds["nul"])]),
        ("dataset check no labels", ["dataset", "check", str(ds["no_labels"])]),
        ("dataset check bad cobb", ["dataset", "check", str(ds["bad_cobb"])]),
        ("dataset check escape", ["dataset", "check", str(ds["escape"])]),
        ("dataset check label conflict", ["dataset", "check", str(ds["label_conflict"])]),
        ("dataset check split nan", ["dataset", "check", str(leak), "--split", "nan", "0.1", "0.1"]),
        # train / evaluate
        ("train no labels", ["train", str(ds["no_labels"]), "--out", out("m1")]),
        ("train nul", ["train", str(ds["nul"]), "--out", out("m2")]),
        ("train epochs 0", ["train", str(leak), "--out", out("m3"), "--epochs", "0"]),
        ("train lr nan", ["train", str(leak), "--out", out("m4"), "--lr", "nan"]),
        ("train val 2", ["train", str(leak), "--out", out("m5"), "--val", "2"]),
        ("evaluate leak upper-case", ["evaluate", str(leak)]),
        ("evaluate damaged model", ["evaluate", str(leak), "--model", str(tampered)]),
        ("evaluate nul", ["evaluate", str(ds["nul"])]),
        # import-scoliosis1k
        ("import 11-byte pickle", ["import-scoliosis1k", str(s1k["pickle_2e40"]), out("i1")]),
        ("import string pickle", ["import-scoliosis1k", str(s1k["pickle_strings"]), out("i2")]),
        ("import code pickle", ["import-scoliosis1k", str(s1k["pickle_code"]), out("i3")]),
        ("import not a folder", ["import-scoliosis1k", str(t / "afile"), out("i4")]),
        ("import image size 0", ["import-scoliosis1k", str(s1k["pickle_strings"]), out("i5"), "--image-size", "0", "0"]),
        ("import fps nan", ["import-scoliosis1k", str(s1k["pickle_strings"]), out("i6"), "--fps", "nan"]),
        # simulate
        ("simulate absurd clips", ["simulate", out("sim"), "--subjects", "2", "--clips-per-subject", "1000000"]),
        ("simulate into non-empty", ["simulate", str(ds["nul"]), "--subjects", "2", "--clips-per-subject", "1"]),
    ]


@pytest.mark.slow
def test_malformed_input_campaign(tmp_path):
    cases = _cases(tmp_path)
    assert len(cases) >= 40
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps([{"name": n, "argv": a} for n, a in cases]))
    results_path = tmp_path / "results.json"
    import os

    env = dict(os.environ, PYTHONWARNINGS="default")  # warnings would show up in stderr, and fail
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "campaign_runner.py"), str(spec), str(results_path)],
                          capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)
    results = json.loads(results_path.read_text()) if results_path.exists() else []
    assert proc.returncode == 0, f"runner died (signal/exit {proc.returncode}) after {len(results)} cases: {proc.stderr[-2000:]}"
    assert len(results) == len(cases)
    bad = []
    for r in results:
        lines = [ln for ln in r["stderr"].splitlines() if ln.strip()]
        if r["code"] not in (2, 3):
            bad.append(f"{r['name']}: exit {r['code']}: {r['stderr'][-300:]}")
        elif len(lines) != 1 or "Traceback" in r["stderr"] or "Warning" in r["stderr"]:
            bad.append(f"{r['name']}: stderr is not one line: {r['stderr'][-500:]!r}")
    assert not bad, "\n".join(bad)
    # the runner's own peak RSS (RUSAGE_SELF after its last case) covers every case; RUSAGE_CHILDREN
    # of this pytest process would also count earlier tests' children
    peak_mb = max(r["maxrss_mb"] for r in results)
    assert peak_mb < PEAK_LIMIT_MB, f"peak memory {peak_mb:.0f} MB"
    print(f"{len(results)} malformed inputs; runner peak RSS {peak_mb:.0f} MB; "
          f"per case: " + ", ".join(f"{r['name']} {r['maxrss_mb']:.0f}" for r in results[-3:]))
