#!/usr/bin/env bash
# Builds the Debian packages into dist/ (or $OUT):
#   levee_<version>_<arch>.deb      leveed, leveectl, the dashboard and HTTP API, the systemd unit, an unconfigured
#                                   /etc/levee/levee.toml (a conffile), man pages, the README and example configs
#   levee-sim_<version>_<arch>.deb  the simulated plant and the demo configs, for commissioning and training
#
#   ./scripts/package.sh            release build (Swift runtime linked statically), then both packages
#
# The binaries carry the Swift runtime (--static-swift-stdlib), so the box needs no toolchain; their Debian
# dependencies (libmodbus5, libgpiod2, libsqlite3-0, libmosquitto1, libc6, ...) come from dpkg-shlibdeps, so
# nothing used only by the tests is among them. The version is the top entry of packaging/changelog.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
for tool in dpkg-deb dpkg-shlibdeps python3; do
    command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing: run scripts/setup-debian.sh" >&2; exit 1; }
done

version=$(sed -n '1s/^levee (\([^)]*\)).*/\1/p' packaging/changelog)
arch=$(dpkg --print-architecture)
out=${OUT:-dist}
scratch=${SCRATCH:-.build/package}
date=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' packaging/changelog | head -1)
mandate=$(date -u -d "$date" +%Y-%m-%d)
export SOURCE_DATE_EPOCH=$(date -u -d "$date" +%s)

products=(leveed leveectl levee-sim)
grep -q '"levee-web"' Package.swift && products+=(levee-web)
grep -q '"levee-notify"' Package.swift && products+=(levee-notify)
for p in "${products[@]}"; do
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$p"
done
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# --- levee -------------------------------------------------------------------------------------------------
root="$work/levee"
install -d "$root/DEBIAN" "$root/usr/sbin" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/levee" \
    "$root/usr/share/levee/web" "$root/usr/share/doc/levee/examples" "$root/usr/share/man/man1" \
    "$root/usr/share/man/man5" "$root/usr/share/man/man8"
install -m 0755 -s "$bin/leveed" "$root/usr/sbin/leveed"
install -m 0755 -s "$bin/leveectl" "$root/usr/bin/leveectl"
[ -x "$bin/levee-web" ] && install -m 0755 -s "$bin/levee-web" "$root/usr/sbin/levee-web"
[ -x "$bin/levee-notify" ] && install -m 0755 -s "$bin/levee-notify" "$root/usr/sbin/levee-notify"
# The dashboard and the OpenAPI document: StaticFiles looks beside the binary (the build tree), then here.
cp -r "$bin/Levee_WebAPI.resources/Resources/." "$root/usr/share/levee/web/"
find "$root/usr/share/levee/web" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
for unit in systemd/*.service; do install -m 0644 "$unit" "$root/lib/systemd/system/"; done
install -m 0640 packaging/levee.toml "$root/etc/levee/levee.toml"
install -m 0644 config/levee.example.toml config/park.example.toml "$root/usr/share/doc/levee/examples/"
gzip -9n -c README.md >"$root/usr/share/doc/levee/README.md.gz"
gzip -9n -c packaging/changelog >"$root/usr/share/doc/levee/changelog.gz"
install -m 0644 packaging/copyright "$root/usr/share/doc/levee/copyright"
python3 packaging/manpage.py "$bin/leveed" 8 "$mandate" "$root/usr/share/man/man8/leveed.8"
python3 packaging/manpage.py "$bin/leveectl" 1 "$mandate" "$root/usr/share/man/man1/leveectl.1"
cp packaging/levee.toml.5 "$root/usr/share/man/man5/levee.toml.5"
[ -x "$bin/levee-web" ] && python3 packaging/manpage.py "$bin/levee-web" 8 "$mandate" "$root/usr/share/man/man8/levee-web.8"
[ -x "$bin/levee-notify" ] &&
    python3 packaging/manpage.py "$bin/levee-notify" 8 "$mandate" "$root/usr/share/man/man8/levee-notify.8"
install -m 0644 packaging/levee/conffiles "$root/DEBIAN/conffiles"
install -m 0755 packaging/levee/postinst packaging/levee/prerm packaging/levee/postrm "$root/DEBIAN/"

# --- levee-sim ---------------------------------------------------------------------------------------------
sim="$work/levee-sim"
install -d "$sim/DEBIAN" "$sim/usr/bin" "$sim/usr/share/levee-sim/scenarios" "$sim/usr/share/levee-sim/config/demo-keys" \
    "$sim/usr/share/doc/levee-sim" "$sim/usr/share/man/man1"
install -m 0755 -s "$bin/levee-sim" "$sim/usr/bin/levee-sim"
install -m 0644 simulators/scenarios/*.toml "$sim/usr/share/levee-sim/scenarios/"
install -m 0644 config/demo.toml config/park-demo.toml "$sim/usr/share/levee-sim/config/"
install -m 0644 config/demo-keys/* "$sim/usr/share/levee-sim/config/demo-keys/"
install -m 0644 simulators/hj212-receiver/receiver.py "$sim/usr/share/levee-sim/hj212-receiver.py"
gzip -9n -c simulators/README.md >"$sim/usr/share/doc/levee-sim/README.md.gz"
gzip -9n -c packaging/changelog >"$sim/usr/share/doc/levee-sim/changelog.gz"
install -m 0644 packaging/copyright "$sim/usr/share/doc/levee-sim/copyright"
python3 packaging/manpage.py "$bin/levee-sim" 1 "$mandate" "$sim/usr/share/man/man1/levee-sim.1"

# --- control files, then the packages ----------------------------------------------------------------------
control() { # <package> <root> <binaries...>
    local name=$1 dir=$2
    shift 2
    # dpkg-shlibdeps wants a source tree with debian/control; a throwaway one in the work folder will do.
    local src="$work/src-$name"
    mkdir -p "$src/debian"
    printf 'Source: levee\n\nPackage: %s\nArchitecture: any\n' "$name" >"$src/debian/control"
    find "$dir/usr/share/man" -type f -exec gzip -9n {} +
    local depends
    depends=$(cd "$src" && dpkg-shlibdeps -O "${@/#/$dir}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
    local size
    size=$(du -k -s --exclude=DEBIAN "$dir" | cut -f1)
    sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
        "packaging/$name/control" >"$dir/DEBIAN/control"
    (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
        xargs -0 md5sum >DEBIAN/md5sums)
    chmod 0644 "$dir/DEBIAN/control" "$dir/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zxz --build "$dir" "$out/${name}_${version}_${arch}.deb" >/dev/null
    echo "package.sh: $out/${name}_${version}_${arch}.deb (Depends: $depends)"
}
binaries=(/usr/sbin/leveed /usr/bin/leveectl)
[ -x "$root/usr/sbin/levee-web" ] && binaries+=(/usr/sbin/levee-web)
[ -x "$root/usr/sbin/levee-notify" ] && binaries+=(/usr/sbin/levee-notify)
control levee "$root" "${binaries[@]}"
control levee-sim "$sim" /usr/bin/levee-sim
