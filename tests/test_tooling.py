"""The checks CI runs (ruff, mypy, import-linter) pass, and breaking a contract makes them fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    exe = BIN / name
    if not exe.exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return str(exe)


def _copy(tmp_path: Path) -> Path:
    """The package and its configuration in a temporary folder."""
    shutil.copytree(REPO / "scoliscreen", tmp_path / "scoliscreen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # the copy, not the installed package, is what import-linter must analyse
    return subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": str(BIN)})


@pytest.mark.slow
def test_import_contracts_hold_and_a_qt_import_in_core_breaks_them(tmp_path):
    root = _copy(tmp_path)
    ok = _lint_imports(root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    target = root / "scoliscreen" / "core" / "quality.py"
    target.write_text(target.read_text() + "\nimport PySide6  # a contract break\n")
    broken = _lint_imports(root)
    assert broken.returncode != 0
    assert "core is Qt-free BROKEN" in broken.stdout and "scoliscreen.core.quality -> PySide6" in broken.stdout


@pytest.mark.slow
def test_an_upward_import_breaks_the_layers(tmp_path):
    root = _copy(tmp_path)
    target = root / "scoliscreen" / "core" / "model" / "predict.py"
    target.write_text(target.read_text() + "\nimport scoliscreen.app.analysis  # model -> app\n")
    broken = _lint_imports(root)
    assert broken.returncode != 0 and "the model never imports the application layer BROKEN" in broken.stdout


@pytest.mark.slow
def test_any_in_an_app_signature_fails_the_type_check(tmp_path):
    root = _copy(tmp_path)
    target = root / "scoliscreen" / "app" / "records.py"
    target.write_text(target.read_text() + "\n\ndef leaky(x: 'Any') -> 'Any':\n    return x\n"
                      "\n\nfrom typing import Any  # noqa: E402\n")
    proc = subprocess.run([_tool("mypy"), "--no-incremental", "--cache-dir", str(tmp_path / ".mypy")], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "records.py" in proc.stdout and "Explicit \"Any\"" in proc.stdout


def test_ruff_passes():
    proc = subprocess.run([_tool("ruff"), "check", "scoliscreen", "tests", "benchmarks"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
