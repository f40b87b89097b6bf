"""``scoliscreen gui [CLIP]`` opens the desktop app; ``scoliscreen screenshot OUT.png [--clip FILE]``
renders the main window with an analysed clip (offscreen when there is no display).

Qt is imported inside ``run`` only, so ``scoliscreen --help`` stays instant.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("gui", help="open the desktop app", description="Open the ScoliScreen window.")
    p.add_argument("clip", nargs="?", help="video to open at start")
    p.set_defaults(func=run)
    s = subparsers.add_parser(
        "screenshot", help="render the main window with an analysed clip to a PNG",
        description="Render the main window (1440x900) with a clip analysed, offscreen if there is no display.",
    )
    s.add_argument("out", metavar="OUT.png", help="PNG file to write")
    s.add_argument("--clip", help="video to analyse (default: the bundled sample clip)")
    s.add_argument("--no-analysis", action="store_true", help="only load the clip (quicker)")
    s.add_argument("--model", metavar="DIR", help="screening-model folder (default: the shipped model)")
    s.add_argument("--size", default="1440x900", help="window size WxH (default 1440x900)")
    s.set_defaults(func=run_screenshot)


def run(args: argparse.Namespace) -> int:
    from scoliscreen.gui.app import run_gui

    return run_gui(args.clip)


def run_screenshot(args: argparse.Namespace) -> int:
    from scoliscreen.core.errors import InputError
    from scoliscreen.gui.app import screenshot

    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 1440x900, got {args.size!r}") from None
    out = screenshot(args.out, args.clip, size=(w, h), analyse=not args.no_analysis, model_dir=args.model)
    print(out)
    return 0
