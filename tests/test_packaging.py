"""`pip install .` (a wheel, not editable) carries the models and the sample; paths find them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scoliscreen.core import paths

REPO = Path(__file__).resolve().parents[1]
DATA = "scoliscreen-{v}.data/data/share/scoliscreen/"
NEEDED = ["models/pose_landmarker_full.task", "models/screening/model.safetensors",
          "models/screening/model_card.json", "models/screening/model_card.md",
          "resources/samples/sports2d_side_walk_single.mp4"]


@pytest.mark.slow
def test_the_wheel_carries_models_and_sample(tmp_path):
    from scoliscreen import __version__

    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("scoliscreen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = DATA.format(v=__version__)
    missing = [n for n in NEEDED if prefix + n not in names]
    assert not missing, missing
    assert "scoliscreen/py.typed" in names and "scoliscreen/app/analysis.py" in names
    # each data file is the repository's own, and the wheel stays small
    with zipfile.ZipFile(wheel) as z:
        for n in NEEDED:
            assert z.getinfo(prefix + n).file_size == (REPO / n).stat().st_size
    assert wheel.stat().st_size < 40 * 2**20


def test_paths_find_a_wheels_data_folder(tmp_path, monkeypatch):
    """Without models next to the package (a wheel install), the prefix's share/scoliscreen is used."""
    monkeypatch.delenv("SCOLISCREEN_ROOT", raising=False)
    share = tmp_path / "prefix" / "share" / "scoliscreen"
    (share / "models").mkdir(parents=True)
    monkeypatch.setattr(paths, "_source_root", lambda: tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert paths.install_root() == share
    assert paths.pose_model_path() == share / "models" / "pose_landmarker_full.task"
    assert paths.sample_clip_path().parent == share / "resources" / "samples"


def test_the_source_tree_comes_first(monkeypatch):
    monkeypatch.delenv("SCOLISCREEN_ROOT", raising=False)
    assert paths.install_root() == REPO
