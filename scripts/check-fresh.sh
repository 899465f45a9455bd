#!/usr/bin/env bash
# Runs CI on this machine as a fresh one would: a fresh clone of the committed HEAD (nothing uncommitted, no .build,
# no .venv), ../shared beside it, and .ci/run's bare python3 on PATH. A green run here cannot lean on a package
# someone once installed by hand into the system Python.
#
#   scripts/check-fresh.sh            clone into a new folder under /tmp and run .ci/run there
#   KEEP=1 scripts/check-fresh.sh     keep the folder afterwards (its path is printed)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/levee-fresh.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/levee"
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"; fi
echo "check-fresh: $work/levee at $(git -C "$work/levee" rev-parse --short HEAD)"
started=$(date +%s)
(cd "$work/levee" && CI=true bash .ci/run)
echo "check-fresh: passed in $(($(date +%s) - started)) s"
