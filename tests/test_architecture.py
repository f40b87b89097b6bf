"""Layering rules: core is Qt-free; importing the CLI or GUI package pulls no heavy library."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "scoliscreen" / "core"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_core_sources_never_import_qt():
    files = list(CORE.rglob("*.py"))
    assert len(files) >= 5
    offenders = [
        f"{f.relative_to(CORE)}: {name}"
        for f in files
        for name in _imports(f)
        if name.split(".")[0] in QT_MODULES
    ]
    assert offenders == []


@pytest.mark.slow
def test_importing_all_of_core_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys\n"
        "import scoliscreen.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'scoliscreen.core.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from scoliscreen.cli import build_parser\n"
        "build_parser()\n"
        "heavy = [m for m in ('torch', 'mediapipe', 'cv2', 'PySide6', 'scipy', 'scoliscreen.core.sim') if m in sys.modules]\n"
        "print(heavy); sys.exit(1 if heavy else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
