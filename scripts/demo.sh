#!/usr/bin/env bash
# The demo: sets up a Debian 12 machine as needed, builds, starts the simulated plant (levee-sim) and leveed with
# the bundled demo config, and shows live readings until Ctrl-C, which stops both cleanly.
#
#   ./scripts/demo.sh              run until Ctrl-C
#   ./scripts/demo.sh --for 30     run for 30 seconds, printing the status once at the end (no terminal needed)
#   ./scripts/demo.sh --browser-test   drive the dashboard in headless Chromium against the demo, fuzz the API
#                                      (Tests/fuzz/api_fuzz.sh), then stop
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
swift build --product levee-web >/dev/null
bin="$(swift build --show-bin-path)"

work=/tmp/levee-demo
# Each demo starts from a fresh plant: no database, alarm states or logs from an earlier run.
rm -rf "$work"
mkdir -p "$work" /tmp/levee-sim
sim_pid=""
daemon_pid=""
web_pid=""
park_sim_pid=""
park_pid=""
park_web_pid=""
broker_pid=""
platform_pid=""
stop() {
    trap - INT TERM EXIT
    echo
    # Ctrl-C may already have reached them (all handle SIGINT like SIGTERM); either way, report how they ended.
    # The web servers first, then the daemons, the park's broker and the bureau's platform after them.
    for entry in "levee-web:$web_pid" "levee-web (park):$park_web_pid" "leveed:$daemon_pid" "leveed (park):$park_pid" "levee-sim:$sim_pid" "levee-sim (park):$park_sim_pid" \
        "mosquitto:$broker_pid" "hj212-receiver:$platform_pid"; do
        name="${entry%:*}"
        pid="${entry##*:}"
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        if wait "$pid"; then echo "demo: $name stopped cleanly (exit 0)"; else echo "demo: $name exited with $?"; fi
    done
    echo "demo: logs in $work (sim.log, leveed.log, web.log, park.log, park-web.log, broker.log, hj212.jsonl);" \
        "databases $work/*.db"
}
trap stop INT TERM EXIT

# The park's MQTT broker and the bureau's HJ 212 platform, on loopback.
printf 'listener 18830 127.0.0.1\nallow_anonymous true\nuser root\n' >"$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1 &
broker_pid=$!
.venv/bin/python simulators/hj212-receiver/receiver.py --port 9212 --mn DEMO0000000001 --pw 123456 \
    --log "$work/hj212.jsonl" --control "$work/hj212-requests" >"$work/hj212.out" 2>&1 &
platform_pid=$!
sleep 0.3
kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker.log"; echo "demo: mosquitto did not start (port 18830 taken?)" >&2; exit 1; }
kill -0 "$platform_pid" 2>/dev/null || { cat "$work/hj212.out"; echo "demo: hj212-receiver did not start (port 9212 taken?)" >&2; exit 1; }

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
# The HTTP API and dashboard: levee-web, a process of its own, talking to leveed over the control socket.
"$bin/levee-web" --config config/demo.toml >"$work/web.log" 2>&1 &
web_pid=$!

# The park: its gates (a second simulator) and a park instance of leveed watching the plant over MQTT.
"$bin/levee-sim" run simulators/scenarios/park-demo.toml >"$work/park-sim.log" 2>&1 &
park_sim_pid=$!
sleep 0.5
"$bin/leveed" run --config config/park-demo.toml >"$work/park.log" 2>&1 &
park_pid=$!
for _ in $(seq 1 100); do
    "$bin/leveectl" status --config config/park-demo.toml >/dev/null 2>&1 && break
    kill -0 "$park_pid" 2>/dev/null || { cat "$work/park.log"; echo "demo: the park's leveed did not start" >&2; exit 1; }
    sleep 0.2
done
"$bin/levee-web" --config config/park-demo.toml >"$work/park-web.log" 2>&1 &
park_web_pid=$!
for entry in "8080:$web_pid:web.log" "8081:$park_web_pid:park-web.log"; do
    port="${entry%%:*}"
    rest="${entry#*:}"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/openapi.json" && break
        kill -0 "${rest%%:*}" 2>/dev/null || { cat "$work/${rest#*:}"; echo "demo: levee-web did not start (port $port taken?)" >&2; exit 1; }
        sleep 0.2
    done
done
echo "demo: plant dashboard http://127.0.0.1:8080/, park dashboard http://127.0.0.1:8081/ (tokens in config/demo.toml)"

if [ -n "$browser_test" ]; then
    # The dashboard test: log in, see values, press one-key and confirm, see the valves reach "closed", take
    # screenshots (LEVEE_SCREENSHOTS, default docs/screenshots).
    LEVEE_URL=http://127.0.0.1:8080/ LEVEE_TOKEN=demo-operator-token LEVEE_VIEWER_TOKEN=demo-bureau-token \
        .venv/bin/python Tests/browser/dashboard_test.py
    # And the daemon's answers against its own OpenAPI document.
    LEVEE_URL=http://127.0.0.1:8080/ LEVEE_TOKEN=demo-operator-token LEVEE_VIEWER_TOKEN=demo-bureau-token \
        .venv/bin/python Tests/browser/api_schema_check.py
    # The park's view of the plant, in the park instance's dashboard.
    LEVEE_PARK_URL=http://127.0.0.1:8081/ LEVEE_TOKEN=demo-operator-token LEVEE_VIEWER_TOKEN=demo-bureau-token \
        .venv/bin/python Tests/browser/park_view_test.py
    # Last, as it trips and resets the plant at random: the API under an independent fuzzer (schemathesis), with
    # each role's token. No answer may be a 5xx, and leveed and levee-web must still be running and answering.
    LEVEE_FUZZ_URL=http://127.0.0.1:8080 LEVEE_DAEMON_PID="$daemon_pid" LEVEE_WEB_PID="$web_pid" LEVEE_CTL="$bin/leveectl" \
        LEVEE_CONFIG=config/demo.toml Tests/fuzz/api_fuzz.sh
elif [ -n "$seconds" ]; then
    sleep "$seconds"
    "$bin/leveectl" status --config config/demo.toml
else
    echo "demo: live view; press Ctrl-C to stop the plant and the daemon"
    sleep 1
    # Ctrl-C ends the view; the trap then stops levee-web, leveed and levee-sim with SIGTERM.
    "$bin/leveectl" status --config config/demo.toml --watch || true
fi
