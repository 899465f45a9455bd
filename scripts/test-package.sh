#!/usr/bin/env bash
# Installs the Debian packages in a clean Debian 12 root and checks them as a plant's admin would use them:
#   1. debootstrap bookworm (minbase, cached in /var/cache/levee-pkgtest), then `apt-get install ./levee_*.deb`
#      inside it (chroot), which pulls the runtime libraries from Debian and nothing else;
#   2. `leveed check-config /etc/levee/levee.toml` passes on the installed, unconfigured file;
#   3. leveed from the package runs the demo plant against levee-sim from the build tree: `leveectl status`
#      answers with devices answering, and the dashboard page and /openapi.json answer 200;
#   4. a trip latches; an upgrade to a newer package keeps the latch, the database and the edited config;
#   5. `dpkg --purge` leaves nothing behind but the levee user and group, which Debian policy keeps;
#   6. lintian finds no errors (the warnings kept are listed in packaging/lintian-kept.txt).
#
#   ./scripts/test-package.sh          build the packages (scripts/package.sh), then test them
#   DEBS=dist ./scripts/test-package.sh    test the packages already in dist/
#   ./scripts/test-package.sh --prepare     only make the clean root (cached in /var/cache/levee-pkgtest)
# Needs root (debootstrap, chroot, bind mounts) and the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
for tool in debootstrap lintian curl; do
    command -v "$tool" >/dev/null || { echo "test-package.sh: $tool is missing: run scripts/setup-debian.sh" >&2; exit 1; }
done
step() { echo "test-package.sh: $*"; }
fail() { echo "test-package.sh: FAILED: $*" >&2; exit 1; }

# The clean root: debootstrap once, kept as a tarball. `--prepare` makes only that (network-bound, so .ci/run
# starts it beside the test suite's build).
prepare_root() {
    cache=/var/cache/levee-pkgtest
    base="$cache/bookworm-minbase.tar"
    [ -f "$base" ] && return 0
    step "debootstrap bookworm into $cache (once; a few minutes)"
    mkdir -p "$cache"
    rm -rf "$cache/build"
    debootstrap --variant=minbase bookworm "$cache/build" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
        fail "debootstrap (see $cache/debootstrap.log)"
    tar -C "$cache/build" -cf "$base.part" . && mv "$base.part" "$base"
    rm -rf "$cache/build"
}
if [ "${1:-}" = --prepare ]; then
    prepare_root
    exit 0
fi

if [ -z "${DEBS:-}" ]; then
    OUT=dist ./scripts/package.sh
    DEBS=dist
fi
version=$(sed -n '1s/^levee (\([^)]*\)).*/\1/p' packaging/changelog)
arch=$(dpkg --print-architecture)
deb="$DEBS/levee_${version}_${arch}.deb"
simdeb="$DEBS/levee-sim_${version}_${arch}.deb"
[ -f "$deb" ] && [ -f "$simdeb" ] || fail "no $deb or $simdeb"

step "lintian"
lintian --fail-on error --suppress-tags-from-file packaging/lintian-kept.txt "$deb" "$simdeb" |
    sed 's/^/    /' || fail "lintian found errors (above)"

prepare_root

work=$(mktemp -d /var/tmp/levee-pkgtest.XXXXXX)
root="$work/root"
shared="$work/shared" # the same absolute path on the host and in the chroot (bind-mounted), for the plant's files
sim_pid=""
cleanup() { # an EXIT trap under set -e: no line here may fail, or the mounts below would stay
    for pid in "$sim_pid" "${leveed_pid:-}" "${web_pid:-}"; do
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    done
    pkill -f "$shared/" 2>/dev/null || true
    for m in "$root$shared" "$root/dev/pts" "$root/dev" "$root/proc"; do
        if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
    done
    # Never through a mount that is somehow still there (the host's /dev is bind-mounted in the root).
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf --one-file-system "$work" || true; fi
}
trap cleanup EXIT
mkdir -p "$root" "$shared"
tar -C "$root" -xf "$base"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mkdir -p "$root$shared"
mount --bind "$shared" "$root$shared"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

step "apt-get install ./$(basename "$deb") ./$(basename "$simdeb") in a clean Debian 12 root"
cp "$deb" "$simdeb" "$root/tmp/"
in_root apt-get update -q >"$work/apt.log" 2>&1 || fail "apt-get update in the root ($(tail -3 "$work/apt.log"))"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "/tmp/$(basename "$deb")" "/tmp/$(basename "$simdeb")" >>"$work/apt.log" 2>&1 ||
    { tail -30 "$work/apt.log"; fail "apt-get install"; }
grep -E "^levee: " "$work/apt.log" | sed 's/^/    /' || true
[ -z "$(find "$root/opt" -name 'libswiftCore*' 2>/dev/null)" ] || fail "a Swift runtime library was installed"
! grep -q swift <<<"$(in_root ldd /usr/sbin/leveed)" || fail "leveed links a shared Swift runtime"

step "installed files, user, unit"
if grep -q '"levee-web"' Package.swift && [ ! -x "$root/usr/sbin/levee-web" ]; then
    fail "levee-web is built but not installed"
fi
for f in /usr/sbin/leveed /usr/bin/leveectl /usr/bin/levee-sim /lib/systemd/system/leveed.service \
    /etc/levee/levee.toml /usr/share/man/man8/leveed.8.gz /usr/share/man/man1/leveectl.1.gz \
    /usr/share/man/man5/levee.toml.5.gz /usr/share/doc/levee/README.md.gz \
    /usr/share/doc/levee/examples/levee.example.toml /usr/share/levee/web/dashboard/index.html \
    /usr/share/levee/web/openapi.json; do
    [ -e "$root$f" ] || fail "$f is not installed"
done
grep -qw dialout <<<"$(in_root id -nG levee)" || fail "user levee is not in dialout"
[ "$(stat -c %U "$root/var/lib/levee")" = root ] && fail "/var/lib/levee is not owned by levee"
[ -L "$root/etc/systemd/system/multi-user.target.wants/leveed.service" ] || fail "leveed.service is not enabled"
dpkg -L levee >/dev/null 2>&1 || true

step "leveed check-config /etc/levee/levee.toml"
in_root leveed check-config /etc/levee/levee.toml | sed 's/^/    /' || fail "check-config refused the installed file"

# The demo plant: levee-sim from the build tree on the host, leveed from the package in the root. Same network
# namespace; the pty and the GPIO socket live under $shared, which both see at the same path.
step "leveed from the package against levee-sim from the build tree"
sim=${SIM:-$(swift build --show-bin-path)/levee-sim}
[ -x "$sim" ] || swift build --product levee-sim >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
offset=$((20000 + RANDOM % 20000))
mkdir -p "$shared/sim" "$shared/demo"
sed -e "s#/tmp/levee-sim#$shared/sim#g" simulators/scenarios/demo.toml >"$shared/scenario.toml"
sed -e "s#/tmp/levee-sim#$shared/sim#g" -e "s#/tmp/levee-demo/levee.db#/var/lib/levee/levee.db#" \
    -e "s#/tmp/levee-demo#$shared/demo#g" -e "s#^port = 15020#port = $((15020 + offset))#" \
    -e "s#^port = 15021#port = $((15021 + offset))#" -e "s#127.0.0.1:8080#127.0.0.1:$http_port#" \
    config/demo.toml >"$shared/levee.toml"
cp -r config/demo-keys "$shared/demo-keys"
uid=$(in_root id -u levee)
chown -R "$uid" "$shared/demo"
chmod -R a+rX "$shared"
"$sim" run "$shared/scenario.toml" --port-offset "$offset" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -e "$shared/sim/ttyRTU0" ] && break; sleep 0.2; done
chmod a+rw "$(readlink -f "$shared/sim/ttyRTU0")" "$shared/sim/gpio.sock" 2>/dev/null || true

leveed_pid=""
run_leveed() { # chroot and env exec, so $! is leveed itself
    chroot --userspec=levee:levee "$root" env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 \
        /usr/sbin/leveed run --config "$shared/levee.toml" >>"$work/leveed.log" 2>&1 &
    leveed_pid=$!
}
stop_leveed() { # SIGTERM, then reap it (a zombie still answers kill -0)
    kill -TERM "$leveed_pid" 2>/dev/null || true
    wait "$leveed_pid" || true
}
status() { in_root leveectl status --config "$shared/levee.toml" 2>&1; }
wait_for() { # <what> <command...>
    local what=$1
    shift
    for _ in $(seq 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.4; done
    tail -20 "$work/leveed.log"
    [ -f "$work/levee-web.log" ] && { echo "--- levee-web:"; tail -20 "$work/levee-web.log"; }
    fail "$what"
}
# The status is read whole before grep looks at it: with pipefail, `status | grep -q` fails when grep stops
# reading at the first match and leveectl gets SIGPIPE writing the rest.
answering() { grep -qE '(^|; )[1-9][0-9]*/[0-9]+ devices answering' <<<"$(status)"; }
run_leveed
wait_for "leveectl status shows devices answering" answering
# The HTTP API and dashboard are levee-web's, a process of its own, when the package has it.
if [ -x "$root/usr/sbin/levee-web" ]; then
    chroot --userspec=levee:levee "$root" env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 \
        /usr/sbin/levee-web --config "$shared/levee.toml" >>"$work/levee-web.log" 2>&1 &
    web_pid=$!
fi
status | sed -n 1,3p | sed 's/^/    /'
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port$1"; }
dashboard_ok() { [ "$(code /)" = 200 ]; } # evaluated at each try, not once when wait_for is called
wait_for "the dashboard answers 200" dashboard_ok
[ "$(code /openapi.json)" = 200 ] || fail "/openapi.json answered $(code /openapi.json)"
step "    / and /openapi.json answer 200"

step "a trip latches and survives an upgrade, with the database and the edited config"
in_root leveectl shutoff --config "$shared/levee.toml" --reason "package upgrade test" >/dev/null
latched() { grep -q "SHUTOFF LATCHED" <<<"$(status)"; }
wait_for "the shutoff latched" latched
stop_leveed
sed -i 's/^name = "未配置的工厂 Unconfigured plant"/name = "升级测试 upgrade test"/' "$root/etc/levee/levee.toml"
newer="${version}+test1"
dpkg-deb -R "$deb" "$work/newer"
sed -i "s/^Version: .*/Version: $newer/" "$work/newer/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/newer" "$root/tmp/levee_newer.deb" >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/levee_newer.deb >>"$work/apt.log" 2>&1 || fail "upgrade"
[ "$(in_root dpkg-query -W -f '${Version}' levee)" = "$newer" ] || fail "the upgrade did not install $newer"
grep -q 'upgrade test' "$root/etc/levee/levee.toml" || fail "the upgrade replaced the edited /etc/levee/levee.toml"
[ -s "$root/var/lib/levee/levee.db" ] || fail "the upgrade lost the database"
run_leveed
wait_for "leveectl status after the upgrade" answering
latched || { status | sed -n 1,4p; fail "the latch did not survive the upgrade"; }
trips=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM events WHERE message LIKE ? OR details LIKE ?", ("%package upgrade test%",)*2).fetchone()[0])' \
    "$root/var/lib/levee/levee.db")
[ "$trips" -gt 0 ] || fail "the trip's event is not in the database after the upgrade"
stop_leveed
step "    still latched after the upgrade; config edit and database kept"

step "dpkg --purge levee levee-sim"
in_root dpkg -L levee levee-sim | sort -u >"$work/files"
in_root env DEBIAN_FRONTEND=noninteractive dpkg --purge levee levee-sim >>"$work/apt.log" 2>&1 || fail "purge"
left=$(while read -r f; do if [ -e "$root$f" ] && [ ! -d "$root$f" ]; then echo "$f"; fi; done <"$work/files")
[ -z "$left" ] || fail "purge left files: $left"
for d in /etc/levee /var/lib/levee /usr/share/levee /usr/share/doc/levee /usr/share/levee-sim; do
    [ ! -e "$root$d" ] || fail "purge left $d"
done
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/leveed.service" ] || fail "purge left the unit enabled"
in_root getent passwd levee >/dev/null || fail "purge removed the levee user (policy keeps it)"
step "passed"
