"""``scoliscreen self-test``: a damaged model fails it (exit 1, FAIL row), a good install passes
every check, and neither touches the user's records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scoliscreen.cli import main

REPO = Path(__file__).resolve().parents[1]


def _root_with_damaged_pose_model(tmp_path: Path) -> Path:
    """An install root like the real one, except one flipped byte in the pose model."""
    root = tmp_path / "install"
    (root / "models").mkdir(parents=True)
    blob = bytearray((REPO / "models" / "pose_landmarker_full.task").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (root / "models" / "pose_landmarker_full.task").write_bytes(bytes(blob))
    (root / "models" / "screening").symlink_to(REPO / "models" / "screening")
    (root / "resources").symlink_to(REPO / "resources")
    return root


def test_damaged_pose_model_fails_the_self_test(tmp_path, monkeypatch, capsys):
    from scoliscreen.cli import selftest

    monkeypatch.setenv("SCOLISCREEN_ROOT", str(_root_with_damaged_pose_model(tmp_path)))
    # the quick checks only (the whole run is the slow test below); analysis and prediction
    # refuse the damaged model through the same verify_pose_model
    monkeypatch.setattr(selftest, "CHECKS", tuple(c for c in selftest.CHECKS if c[0] in (
        "install layout", "pose model sha256", "screening model sha256", "records database")))
    real_data = Path(os.environ["SCOLISCREEN_DATA_DIR"])
    assert main(["self-test", "--no-gui"]) == 1
    out = capsys.readouterr().out
    rows = {line.split(None, 1)[1].split("  ")[0]: line.split()[0] for line in out.splitlines()
            if line.startswith(("  PASS", "  FAIL"))}
    assert rows["pose model sha256"] == "FAIL"
    assert rows["screening model sha256"] == "PASS"
    assert rows["install layout"] == "PASS"
    assert rows["records database"] == "FAIL"  # no analysis ran, so no visit
    assert "not the expected file" in out
    assert out.rstrip().splitlines()[-1].startswith("self-test: FAIL")
    assert os.environ["SCOLISCREEN_DATA_DIR"] == str(real_data)  # restored
    assert not any(real_data.iterdir())  # the user's data folder was never written


@pytest.mark.slow
def test_self_test_passes_from_the_source_install(tmp_path):
    real_data = tmp_path / "real-user-data"
    real_data.mkdir()
    env = dict(os.environ, SCOLISCREEN_DATA_DIR=str(real_data), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "scoliscreen", "self-test"], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith(("  PASS", "  FAIL"))]
    assert len(rows) == 8 and all(r.startswith("  PASS") for r in rows), proc.stdout
    assert "visit 1 written and read back" in proc.stdout
    assert list(real_data.iterdir()) == []  # the real records were not touched
