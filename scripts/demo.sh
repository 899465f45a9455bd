#!/usr/bin/env bash
# The demo: sets up a Debian 12 machine as needed, builds, starts the simulated plant (levee-sim) and leveed with
# the bundled demo config, and shows live readings until Ctrl-C, which stops both cleanly.
#
#   ./scripts/demo.sh              run until Ctrl-C
#   ./scripts/demo.sh --for 30     run for 30 seconds, printing the status once at the end (no terminal needed)
#   ./scripts/demo.sh --browser-test   drive the dashboard in headless Chromium against the demo, then stop
#
# The dashboard is at http://127.0.0.1:8080/ (demo tokens in config/demo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=""
browser_test=""
if [ "${1:-}" = "--for" ]; then seconds="${2:?--for needs a number of seconds}"; fi
if [ "${1:-}" = "--browser-test" ]; then browser_test=1; fi

./scripts/setup-debian.sh
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
echo "demo: building (the first build takes a few minutes)"
swift build --product leveed >/dev/null
swift build --product levee-sim >/dev/null
swift build --product leveectl >/dev/null
bin="$(swift build --show-bin-path)"

work=/tmp/levee-demo
# Each demo starts from a fresh plant: no database, alarm states or logs from an earlier run.
rm -rf "$work"
mkdir -p "$work" /tmp/levee-sim
sim_pid=""
daemon_pid=""
stop() {
    trap - INT TERM EXIT
    echo
    # Ctrl-C may already have reached them (both handle SIGINT like SIGTERM); either way, report how they ended.
    for name in leveed levee-sim; do
        pid=$daemon_pid
        [ "$name" = levee-sim ] && pid=$sim_pid
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        if wait "$pid"; then echo "demo: $name stopped cleanly (exit 0)"; else echo "demo: $name exited with $?"; fi
    done
    echo "demo: logs in $work/sim.log and $work/leveed.log; database $work/levee.db"
}
trap stop INT TERM EXIT

"$bin/levee-sim" run simulators/scenarios/demo.toml >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do
    [ -e /tmp/levee-sim/ttyRTU0 ] && [ -e /tmp/levee-sim/gpio.sock ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log"; echo "demo: levee-sim did not start" >&2; exit 1; }
    sleep 0.1
done

"$bin/leveed" run --config config/demo.toml >"$work/leveed.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
    "$bin/leveectl" status --config config/demo.toml >/dev/null 2>&1 && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/leveed.log"; echo "demo: leveed did not start" >&2; exit 1; }
    sleep 0.2
done

if [ -n "$browser_test" ]; then
    # The dashboard test: log in, see values, press one-key and confirm, see the valves reach "closed", take
    # screenshots (LEVEE_SCREENSHOTS, default docs/screenshots).
    LEVEE_URL=http://127.0.0.1:8080/ LEVEE_TOKEN=demo-operator-token LEVEE_VIEWER_TOKEN=demo-bureau-token \
        .venv/bin/python Tests/browser/dashboard_test.py
    # And the daemon's answers against its own OpenAPI document.
    LEVEE_URL=http://127.0.0.1:8080/ LEVEE_TOKEN=demo-operator-token LEVEE_VIEWER_TOKEN=demo-bureau-token \
        .venv/bin/python Tests/browser/api_schema_check.py
elif [ -n "$seconds" ]; then
    sleep "$seconds"
    "$bin/leveectl" status --config config/demo.toml
else
    echo "demo: live view; press Ctrl-C to stop the plant and the daemon"
    sleep 1
    # Ctrl-C ends the view; the trap then stops leveed and levee-sim with SIGTERM.
    "$bin/leveectl" status --config config/demo.toml --watch || true
fi
