#!/usr/bin/env bash
# The test command: sets up a Debian 12 machine as needed, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
export LEVEE_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
swift test --skip-build "$@"
# The HTTP API's OpenAPI document, checked by an independent validator.
.venv/bin/python -m openapi_spec_validator Sources/WebAPI/Resources/openapi.json
# The dashboard in a real browser (headless Chromium) against the demo plant and daemon.
LEVEE_SCREENSHOTS="${LEVEE_SCREENSHOTS:-$(mktemp -d /tmp/levee-screens.XXXXXX)}" ./scripts/demo.sh --browser-test
# The systemd unit: verify and the security exposure figure.
./systemd/check.sh
# House style: the formatter's lint, as the style guide asks.
swift format lint --strict -r Sources Tests simulators
