#!/usr/bin/env bash
# Checks systemd/leveed.service, levee-web.service and levee-notify.service: `systemd-analyze verify` on copies whose binary paths
# point at the build, and each unit's `systemd-analyze security` exposure, which must not rise above the figure
# recorded in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
max_exposure=1.6
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd/check.sh: systemd-analyze not found; skipping the unit checks"
    exit 0
fi
bin="$(swift build --show-bin-path)"
[ -x "$bin/leveed" ] || swift build --product leveed >/dev/null
[ -x "$bin/levee-web" ] || swift build --product levee-web >/dev/null
[ -x "$bin/levee-notify" ] || swift build --product levee-notify >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for unit in leveed levee-web levee-notify; do
    sed -e "s#/usr/local/bin/#$bin/#g" -e "s#/usr/sbin/#$bin/#g" "systemd/$unit.service" >"$tmp/$unit.service"
done
systemd-analyze verify --man=no "$tmp/leveed.service" "$tmp/levee-web.service" "$tmp/levee-notify.service"
failed=0
for unit in leveed levee-web levee-notify; do
    exposure="$(systemd-analyze security --offline=true "$tmp/$unit.service" 2>/dev/null | sed -n "s/.*Overall exposure level for $unit.service: \([0-9.]*\).*/\1/p")"
    echo "systemd/check.sh: $unit verify ok; exposure $exposure (limit $max_exposure)"
    awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e != "" && e <= m) }' || {
        echo "systemd/check.sh: $unit exposure $exposure is above $max_exposure" >&2
        failed=1
    }
done
exit "$failed"
