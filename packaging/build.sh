#!/usr/bin/env bash
# One command from a clean checkout to the offline bundle (PyInstaller onedir, CPU):
#
#   packaging/build.sh            # -> dist/scoliscreen/ and dist/scoliscreen-<version>-linux-x86_64.tar.gz
#   packaging/build.sh --check    # ... then run the bundle's self-test
#
# Uses the project venv (.venv, or $SCOLISCREEN_VENV), creating it and installing the
# "package" extra (PyInstaller 6.x) when missing. See docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${SCOLISCREEN_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

t0=$(date +%s)
if [[ ! -x "$PY" ]]; then
    echo "== creating the venv $VENV"
    python3 -m venv "$VENV"
fi
if ! "$PY" -c "import PyInstaller, scoliscreen" 2>/dev/null \
   || [[ "$("$PY" -c 'import PyInstaller; print(PyInstaller.__version__.split(".")[0])')" != 6 ]]; then
    echo "== pip install -e .[package]"
    "$PY" -m pip install -q -e ".[package]"
fi
VERSION="$("$PY" -c 'import scoliscreen; print(scoliscreen.__version__)')"
tv=$(date +%s)
echo "== PyInstaller $("$PY" -c 'import PyInstaller; print(PyInstaller.__version__)') building ScoliScreen $VERSION"

rm -rf dist/scoliscreen
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/scoliscreen.spec

# Symbol tables and debug info out of the two big native parts that carry them (Linux): libmediapipe
# ships with debug info, torch/lib with symbols. Only these: strip breaks patchelf-repaired wheels' libs.
if [[ "$(uname -s)" == Linux ]] && command -v strip >/dev/null; then
    strip --strip-unneeded dist/scoliscreen/_internal/mediapipe/tasks/c/libmediapipe.* \
        dist/scoliscreen/_internal/torch/lib/*.so*
fi

# Desktop launcher next to the executable (outside _internal).
cp resources/scoliscreen.desktop resources/icons/scoliscreen.svg packaging/install-desktop-entry.sh dist/scoliscreen/
chmod +x dist/scoliscreen/install-desktop-entry.sh
t1=$(date +%s)

"$PY" packaging/report_size.py dist/scoliscreen

ARCHIVE="dist/scoliscreen-$VERSION-linux-$(uname -m).tar.gz"
echo "== $ARCHIVE"
tar -C dist -cf - scoliscreen | gzip -1 > "$ARCHIVE.partial"
mv "$ARCHIVE.partial" "$ARCHIVE"
t2=$(date +%s)
echo "archive: $(du -m "$ARCHIVE" | cut -f1) MB"
echo "build time: $((tv - t0)) s (venv + pip), $((t1 - tv)) s (PyInstaller), $((t2 - t1)) s (size report + tar.gz), $((t2 - t0)) s in all"

if [[ "${1:-}" == "--check" ]]; then
    echo "== bundle self-test"
    dist/scoliscreen/scoliscreen self-test
fi
