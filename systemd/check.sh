#!/usr/bin/env bash
# Checks systemd/leveed.service: `systemd-analyze verify` on a copy whose binary paths point at the build, and the
# `systemd-analyze security` exposure, which must not rise above the figure recorded in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
max_exposure=1.6
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd/check.sh: systemd-analyze not found; skipping the unit checks"
    exit 0
fi
bin="$(swift build --show-bin-path)"
[ -x "$bin/leveed" ] || swift build --product leveed >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/sbin/leveed#$bin/leveed#g" systemd/leveed.service >"$tmp/leveed.service"
systemd-analyze verify "$tmp/leveed.service"
exposure="$(systemd-analyze security --offline=true "$tmp/leveed.service" 2>/dev/null | sed -n 's/.*Overall exposure level for leveed.service: \([0-9.]*\).*/\1/p')"
echo "systemd/check.sh: verify ok; exposure $exposure (limit $max_exposure)"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e != "" && e <= m) }' || {
    echo "systemd/check.sh: exposure $exposure is above $max_exposure" >&2
    exit 1
}
