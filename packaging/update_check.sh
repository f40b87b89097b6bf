#!/usr/bin/env bash
# An update keeps the records: two copies of the bundle ("v1" = dist/scoliscreen, "v2" = unpacked
# from the tar.gz deliverable) used one after the other with one user data folder; v1 is then
# deleted (as an update replaces it) and v2 still lists every visit. Also checks that running
# the bundle wrote nothing inside it, and that without SCOLISCREEN_DATA_DIR the records go to
# the user's data folder (~/.local/share/ScoliScreen; HOME is a temporary one here).
#
#   packaging/update_check.sh [WORKDIR]     (after packaging/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d /tmp/scoliscreen-update-XXXX)}"
mkdir -p "$work"
v1="$PWD/dist/scoliscreen"
archive="$(ls -t dist/scoliscreen-*-linux-*.tar.gz | head -1)"
echo "== v2: unpacking $archive into $work/v2"
mkdir -p "$work/v2" && tar -xzf "$archive" -C "$work/v2"
v2="$work/v2/scoliscreen"
cp -a "$v1" "$work/v1" && v1="$work/v1"   # v1 gets deleted below: use a copy
export HOME="$work/home" XDG_DATA_HOME= XDG_CONFIG_HOME=
unset SCOLISCREEN_DATA_DIR XDG_DATA_HOME XDG_CONFIG_HOME
touch "$work/marker"; sleep 1

echo "== v1: add a patient and record a visit (default data folder)"
"$v1/scoliscreen" patients add UPD-001 --birth-year 2014 --sex F
"$v1/scoliscreen" analyze --patient UPD-001 >/dev/null
db="$HOME/.local/share/ScoliScreen"
ls -l "$db"
written_in_bundle=$(find "$v1" -newer "$work/marker" | wc -l)
echo "files written inside the v1 bundle: $written_in_bundle"
[[ "$written_in_bundle" == 0 ]]

echo "== update: v1 deleted, v2 reads the same records and adds a visit"
rm -rf "$v1"
"$v2/scoliscreen" patients visits UPD-001
"$v2/scoliscreen" analyze --patient UPD-001 >/dev/null
out="$("$v2/scoliscreen" patients visits UPD-001)"
echo "$out"
n=$(grep -cE '^ *[0-9]+ ' <<<"$out" || true)
echo "visits of UPD-001 after the update: $n"
[[ "$n" -ge 2 ]]
echo "update check: PASS (records kept across the update; nothing written into the bundle)"
