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
    s.add_argument("--size", default="1440x900", help="image size WxH in pixels (default 1440x900)")
    s.add_argument("--scale", type=float, default=None,
                   help="Qt scale factor, e.g. 1.5 (the window is SIZE / SCALE logical pixels)")
    s.add_argument("--view", default="result", choices=("result", "history", "compare", "report"),
                   help="what to show: the analysis (default), the patient history, a comparison of two "
                        "visits, or the first page of the visit's PDF report (demo records in a temporary folder)")
    s.set_defaults(func=run_screenshot)


def run(args: argparse.Namespace) -> int:
    from scoliscreen.gui.app import run_gui

    return run_gui(args.clip)


def run_screenshot(args: argparse.Namespace) -> int:
    import os

    from scoliscreen.core.errors import InputError
    from scoliscreen.gui.app import screenshot

    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 1440x900, got {args.size!r}") from None
    if w < 320 or h < 240 or w > 8000 or h > 8000:
        raise InputError(f"--size {args.size}: each side must be 320x240 to 8000x8000 pixels")
    if args.scale is not None:
        if not 0.5 <= args.scale <= 4.0:
            raise InputError(f"--scale must be between 0.5 and 4, got {args.scale}")
        os.environ["QT_SCALE_FACTOR"] = f"{args.scale:g}"  # before the QApplication exists
    out = screenshot(args.out, args.clip, size=(w, h), analyse=not args.no_analysis, model_dir=args.model,
                     view=args.view)
    print(out)
    return 0
