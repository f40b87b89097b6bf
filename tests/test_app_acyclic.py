"""Issue 25 point 3: the application layer's modules form no import circle (the old one was
``app/batch_engines.py`` <-> ``app/cluster.py``); the import-linter contract proves it and fails
when the circle comes back."""

from __future__ import annotations

import pytest

from tests.test_tooling import _copy, _lint_imports

CONTRACT = "application parts form no import cycle"


@pytest.mark.slow
def test_app_has_no_import_circle_and_the_old_one_breaks_the_contract(tmp_path):
    root = _copy(tmp_path)
    ok = _lint_imports(root)
    assert ok.returncode == 0 and f"{CONTRACT} KEPT" in ok.stdout, ok.stdout + ok.stderr
    cluster = root / "scoliscreen" / "app" / "cluster.py"
    text = cluster.read_text()
    old = "from scoliscreen.app.batch_engine_base import Handle, WorkerLost"
    assert old in text
    cluster.write_text(text.replace(old, "from scoliscreen.app.batch_engines import Handle, WorkerLost"))
    broken = _lint_imports(root)
    assert broken.returncode != 0 and f"{CONTRACT} BROKEN" in broken.stdout, broken.stdout
