"""Print a bundle folder's size and what takes the room: ``python packaging/report_size.py dist/scoliscreen``."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def kind(path: Path) -> str:
    name = path.name
    if ".so" in name or name.endswith((".dll", ".dylib", ".pyd")):
        return "native library"
    if name in ("base_library.zip",) or name.endswith((".pyz", ".pyc", ".py")):
        return "python code"
    if name.endswith((".safetensors", ".task", ".tflite", ".pt")):
        return "model weights"
    if name.endswith((".mp4", ".avi", ".mov")):
        return "sample video"
    return "other data"


def main(folder: str) -> None:
    root = Path(folder)
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    by_kind: Counter = Counter()
    by_top: Counter = Counter()
    for p in files:
        size = p.stat().st_size
        by_kind[kind(p)] += size
        rel = p.relative_to(root).parts
        top = "/".join(rel[:2]) if rel[0] == "_internal" and len(rel) > 2 else "/".join(rel[:2])
        by_top[top] += size
    mb = 1 << 20
    print(f"bundle: {root} {total / mb:.0f} MiB in {len(files)} files")
    print("by file type:")
    for k, v in by_kind.most_common():
        print(f"  {v / mb:8.1f} MiB  {100 * v / total:5.1f}%  {k}")
    print("largest parts:")
    for k, v in by_top.most_common(12):
        print(f"  {v / mb:8.1f} MiB  {k}")
    print("largest files:")
    for p in sorted(files, key=lambda p: -p.stat().st_size)[:10]:
        print(f"  {p.stat().st_size / mb:8.1f} MiB  {p.relative_to(root)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dist/scoliscreen")
