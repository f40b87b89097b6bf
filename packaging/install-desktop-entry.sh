#!/usr/bin/env sh
# Adds ScoliScreen to the desktop menu of the current user (no root needed).
# Run it from the unpacked bundle folder: ./install-desktop-entry.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"
cp "$here/scoliscreen.svg" "$icons/scoliscreen.svg"
sed "s|^Exec=scoliscreen|Exec=\"$here/scoliscreen\"|" "$here/scoliscreen.desktop" > "$apps/scoliscreen.desktop"
echo "installed $apps/scoliscreen.desktop (runs $here/scoliscreen)"
