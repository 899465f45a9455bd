#!/usr/bin/env bash
# The test command: sets up a Debian 12 machine as needed, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
export LEVEE_PYTHON="$PWD/.venv/bin/python"
swift build --build-tests
swift test --skip-build "$@"
# The systemd unit: verify and the security exposure figure.
./systemd/check.sh
# House style: the formatter's lint, as the style guide asks.
swift format lint --strict -r Sources Tests simulators
