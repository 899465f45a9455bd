#!/usr/bin/env bash
# The HTTP API under schemathesis, an independent fuzzer that reads the OpenAPI document and sends what it allows
# and what it does not: every answer must be a 2xx or a 4xx (never a 5xx), and leveed and levee-web must still be
# running and answering afterwards. Run by scripts/demo.sh --browser-test against the demo's levee-web (the API)
# and leveed (behind it, over the control socket), once with each role's token.
#
#   LEVEE_FUZZ_URL=http://127.0.0.1:8080 LEVEE_DAEMON_PID=1234 LEVEE_WEB_PID=1235 Tests/fuzz/api_fuzz.sh
#
# LEVEE_FUZZ_SECONDS (default 40) bounds each role's run; LEVEE_FUZZ_SEED (default fixed) makes a failure
# reproducible; set it to "random" to explore.
set -euo pipefail
cd "$(dirname "$0")/../.."
url=${LEVEE_FUZZ_URL:?LEVEE_FUZZ_URL is the API base URL}
pid=${LEVEE_DAEMON_PID:?LEVEE_DAEMON_PID is the leveed under test}
web_pid=${LEVEE_WEB_PID:-}
seconds=${LEVEE_FUZZ_SECONDS:-40}
seed=${LEVEE_FUZZ_SEED:-20261207}
seed_args=()
[ "$seed" = random ] || seed_args=(--seed "$seed")
failed=0
for entry in viewer:demo-bureau-token operator:demo-operator-token admin:demo-admin-token; do
    role=${entry%%:*}
    token=${entry#*:}
    echo "api_fuzz: $role for ${seconds}s"
    if ! .venv/bin/schemathesis run "$url/openapi.json" -H "Authorization: Bearer $token" \
        --checks not_a_server_error --phases examples,coverage,fuzzing --max-time "$seconds" -w 1 \
        "${seed_args[@]}" --no-color >"/tmp/levee-fuzz-$role.log" 2>&1; then
        echo "api_fuzz: $role FAILED; schemathesis said:" >&2
        tail -60 "/tmp/levee-fuzz-$role.log" >&2
        failed=$((failed + 1))
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "api_fuzz: leveed died during the $role run" >&2
        exit 1
    fi
    if [ -n "$web_pid" ] && ! kill -0 "$web_pid" 2>/dev/null; then
        echo "api_fuzz: levee-web died during the $role run" >&2
        exit 1
    fi
done
# Still serving after all that: the API answers, and so does the control socket (through leveectl when given).
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer demo-bureau-token" "$url/api/v1/status" || true)
if [ "$code" != 200 ]; then
    echo "api_fuzz: after fuzzing, GET /api/v1/status answered $code" >&2
    failed=$((failed + 1))
fi
if [ -n "${LEVEE_CTL:-}" ] && ! "$LEVEE_CTL" status --config "${LEVEE_CONFIG:?}" >/dev/null; then
    echo "api_fuzz: after fuzzing, leveectl status failed" >&2
    failed=$((failed + 1))
fi
if [ "$failed" -gt 0 ]; then
    echo "api_fuzz: 3 roles fuzzed, $failed failed" >&2
    exit 1
fi
echo "api_fuzz: 3 passed, 0 failed"
