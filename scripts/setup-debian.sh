#!/usr/bin/env bash
# Installs what Levee needs to build, test and run its demo on Debian 12: the C libraries it links, the
# independent Modbus peers its tests talk to, and a Python venv with pymodbus. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: no Swift toolchain found (looked on PATH and in /opt/swift); install Swift 6 first" >&2
        exit 1
    fi
fi

packages=(
    pkg-config
    libmodbus-dev   # Modbus TCP/RTU client
    libgpiod-dev    # GPIO (v1 API, libgpiod 1.6)
    libsqlite3-dev  # historian (through GRDB)
    libsystemd-dev  # sd_notify
    libmosquitto-dev   # MQTT client (park and bureau links)
    mosquitto          # the MQTT broker the tests and the park demo start
    mosquitto-clients  # mosquitto_sub/pub: an independent MQTT peer for the tests
    mbpoll          # independent Modbus client used by the tests
    socat
    curl            # the API fuzz script checks the daemon still answers
    python3 python3-venv
    openssl         # the MQTT TLS test makes its certificates with it
    e2fsprogs       # mkfs.ext4 and chattr: the historian's full-disk and unwritable-file tests
    systemd         # systemd-analyze: systemd/check.sh verifies the unit and its security exposure
    libjs-chart.js  # the dashboard's charts, served locally at /vendor/chart.js
    chromium        # the dashboard's browser test (headless)
    fonts-noto-cjk  # Chinese text in the dashboard's screenshots
    libcurl4-openssl-dev  # leveectl's HTTP client (FoundationNetworking) linked with the static Swift runtime
    dpkg-dev        # dpkg-shlibdeps: scripts/package.sh derives the packages' library dependencies
    debootstrap     # scripts/test-package.sh installs the packages in a clean Debian 12 root
    lintian         # ... and checks them against Debian policy
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# pymodbus is the independent Modbus implementation the tests check word order and addressing against. Pinned:
# its datastore API was rewritten in 3.9.
# openapi-spec-validator checks the API's OpenAPI document; websocket-client drives Chromium for the dashboard test;
# schemathesis fuzzes the API from that document.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pymodbus, openapi_spec_validator, websocket, schemathesis, sys; sys.exit(pymodbus.__version__ != "3.8.6")' 2>/dev/null; then
    # Debian's interpreter by path: whatever python3 is first on PATH (someone's venv) is not what we build on.
    /usr/bin/python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check "pymodbus==3.8.6" "openapi-spec-validator==0.9.0" \
        "websocket-client==1.9.2" "schemathesis==4.32.5"
fi
echo "setup: ready"
