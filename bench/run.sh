#!/usr/bin/env bash
# Levee benchmarks (not tests): builds the release binaries and the C baselines, runs levee-bench, prints the table
# and writes it to bench/results/latest.md with the date and the machine. bench/README.md explains every figure.
#
#   bench/run.sh                      everything (about 4 minutes once built)
#   ONLY=throughput,latency bench/run.sh
#   SEED=42 bench/run.sh              replay the random command timing of an earlier run
#   SCRATCH=.build-bench bench/run.sh use another SwiftPM scratch path (the default is .build)
#
# A missed target prints MISS; it never fails the run. The exit status is non-zero only if something could not be
# built or run at all.
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

SCRATCH=${SCRATCH:-.build}
SEED=${SEED:-1}
ONLY=${ONLY:-throughput,latency,historian,footprint,trigger,dcs}

tmp=$(mktemp -d /tmp/levee-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

say() { printf '%s\n' "$*" >&2; }

# --- build -----------------------------------------------------------------------------------------------------
build_started=$(date +%s)
say "== building release products in $SCRATCH"
swift build -c release --scratch-path "$SCRATCH" --product levee-bench >&2
swift build -c release --scratch-path "$SCRATCH" --product levee-sim >&2
bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
leveed="$bin/leveed"
if ! swift build -c release --scratch-path "$SCRATCH" --product leveed >&2; then
    say "leveed does not build: the footprint and trigger parts will report it as not available"
    leveed="$tmp/no-leveed"
fi

leveeweb="$bin/levee-web"
if ! swift build -c release --scratch-path "$SCRATCH" --product levee-web >&2; then
    say "levee-web does not build: the footprint part will report its figures as not available"
    leveeweb=""
fi

# The C baselines: compiled here, into the temporary directory, every run.
gcc -O2 -Wall -o "$tmp/modbus_loop" bench/c/modbus_loop.c $(pkg-config --cflags --libs libmodbus)
gcc -O2 -Wall -o "$tmp/sqlite_raw" bench/c/sqlite_raw.c $(pkg-config --cflags --libs sqlite3)
build_seconds=$(($(date +%s) - build_started))

# --- run -------------------------------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
bench_started=$(date +%s)
say "== running levee-bench (seed $SEED)"
"$bin/levee-bench" \
    --levee-sim "$bin/levee-sim" \
    --leveed "$leveed" \
    --levee-web "$leveeweb" \
    --modbus-loop "$tmp/modbus_loop" \
    --sqlite-raw "$tmp/sqlite_raw" \
    --work "$tmp/work" \
    --seed "$SEED" \
    --only "$ONLY" >"$tmp/report.md"
bench_seconds=$(($(date +%s) - bench_started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- write bench/results/latest.md ------------------------------------------------------------------------------
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
mkdir -p bench/results
{
    echo "# Levee benchmarks: latest run"
    echo
    echo "Written by \`bench/run.sh\`; [bench/README.md](../README.md) says what each figure means."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- machine: $(nproc) CPUs ($cpu), $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- load average (1, 5, 15 min): $load_before before, $load_after after; anything else running moves the figures"
    echo "- toolchain: $(swift --version 2>&1 | grep -m1 -o 'Swift version [^ ]*'), $(gcc --version | head -1)," \
        "libmodbus $(pkg-config --modversion libmodbus), SQLite $(pkg-config --modversion sqlite3)"
    echo "- commit: $commit"
    echo "- build ${build_seconds} s, benchmarks ${bench_seconds} s"
    echo
    cat "$tmp/report.md"
} >bench/results/latest.md

cat bench/results/latest.md
say "== written to bench/results/latest.md"
