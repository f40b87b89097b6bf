"""The one command-line entry point: ``scoliscreen <command> ...``.

Each command lives in its own module under ``scoliscreen.cli`` exposing
``register(subparsers)``; it adds its parser and ``set_defaults(func=run)`` where
``run(args) -> int``. Command modules import heavy libraries (torch, mediapipe, cv2, Qt)
inside ``run``, never at module level, so ``scoliscreen --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from scoliscreen import DISCLAIMER, __version__
from scoliscreen.core.errors import ScoliScreenError

# module name -> registers one or more commands
COMMAND_MODULES = ("analyze", "features", "data", "model", "gui", "records", "db", "report", "batch", "selftest",
                   "outcomes", "export", "federated")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scoliscreen",
        description=f"Gait-video scoliosis screening. {DISCLAIMER}.",
    )
    parser.add_argument("--version", action="version", version=f"scoliscreen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"scoliscreen.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scoliscreen.cli.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (``scoliscreen: error: ...``), exit 2, like every other bad input."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    import warnings

    if not os.environ.get("SCOLISCREEN_DEBUG"):  # no Python warning (with its source line) reaches the user
        warnings.simplefilter("ignore")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from scoliscreen.core.textsafe import terminal_safe

    saved_out, sys.stdout = sys.stdout, _TerminalSafe(sys.stdout)  # IDs, notes, file names: no escape codes
    try:
        return int(args.func(args) or 0)
    except ScoliScreenError as exc:
        print(f"scoliscreen: error: {terminal_safe(str(exc), keep_newlines=False)}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a read or write the commands did not foresee: still one line, exit 2
        if os.environ.get("SCOLISCREEN_DEBUG"):
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(terminal_safe(f"scoliscreen: error: {where}{exc.strerror or exc}", keep_newlines=False),
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scoliscreen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: no traceback for the user
        if os.environ.get("SCOLISCREEN_DEBUG"):
            raise
        print(
            terminal_safe(f"scoliscreen: internal error: {type(exc).__name__}: {exc} "
                          "(set SCOLISCREEN_DEBUG=1 for details)", keep_newlines=False),
            file=sys.stderr,
        )
        return 1
    finally:
        if isinstance(sys.stdout, _TerminalSafe):
            sys.stdout = saved_out


class _TerminalSafe:
    """stdout as the commands see it: every write passes through ``textsafe.terminal_safe``, so
    a patient ID, a note or a file name holding ESC sequences prints as text (``\\x1b[2J``)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from scoliscreen.core.textsafe import terminal_safe

        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


if __name__ == "__main__":
    raise SystemExit(main())
