#!/usr/bin/env bash
# The test command: sets up a Debian 12 machine as needed, builds everything and runs the whole test suite.
# Every tool a test runs comes from scripts/setup-debian.sh; a test that cannot find one fails, and so does this
# script if any test was skipped: a skip here would hide a feature the README promises.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
# The project's venv, never the python3 on PATH (which on a fresh machine has none of the pinned packages).
export LEVEE_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
log=$(mktemp /tmp/levee-test.XXXXXX)
trap 'rm -f "$log"' EXIT
# At most 32 tests at once. Swift Testing otherwise starts every test together, and each new task waits behind
# all of them on the cooperative pool (two threads on a 2-core machine): a stream test's task started 14 s
# after it was made and the test failed on its 30 s deadline. With 32, the whole suite took as long (156 s, with
# two builds beside it) and that task started at once.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-32}"
swift test --skip-build "$@" 2>&1 | tee "$log"
# Swift Testing prints "Test x() skipped: ..." or "Test x() was cancelled after 0.001 seconds: ..."; XCTest prints
# "Test Case '...' skipped (0.001 seconds).".
skips='(skipped|was cancelled)( after [0-9.]+ seconds|:| \()'
if grep -E "$skips" "$log" >/dev/null; then
    echo "test.sh: tests were skipped or cancelled; each needs a tool or a capability this machine lacks:" >&2
    grep -E "$skips" "$log" >&2
    exit 1
fi
# The HTTP API's OpenAPI document, checked by an independent validator.
.venv/bin/python -m openapi_spec_validator Sources/WebAPI/Resources/openapi.json
# The dashboard in a real browser (headless Chromium) against the demo plant and daemon.
LEVEE_SCREENSHOTS="${LEVEE_SCREENSHOTS:-$(mktemp -d /tmp/levee-screens.XXXXXX)}" ./scripts/demo.sh --browser-test
# The systemd unit: verify and the security exposure figure.
./systemd/check.sh
# House style: the formatter's lint, as the style guide asks.
swift format lint --strict -r Sources Tests simulators
