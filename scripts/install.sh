#!/usr/bin/env bash
# Installs Levee on this machine: release binaries in $PREFIX/bin, the systemd unit, the example configuration as
# /etc/levee/levee.toml (never overwriting an existing one), and a `levee` system user in the dialout group.
#
#   sudo ./scripts/install.sh                 build and install, then: edit /etc/levee/levee.toml,
#                                             systemctl enable --now leveed levee-web
#   DESTDIR=/tmp/stage ./scripts/install.sh   stage the files only (no user, no systemctl), e.g. for a package
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
DESTDIR="${DESTDIR:-}"

./scripts/setup-debian.sh
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product leveed
swift build -c release --product leveectl
swift build -c release --product levee-web
swift build -c release --product levee-sim
bin="$(swift build -c release --show-bin-path)"

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/systemd/system" "$DESTDIR/etc/levee" "$DESTDIR$PREFIX/share/doc/levee"
install -m 0755 "$bin/leveed" "$bin/leveectl" "$bin/levee-web" "$bin/levee-sim" "$DESTDIR$PREFIX/bin/"
for unit in leveed levee-web; do
    sed "s#/usr/local/#$PREFIX/#g" "systemd/$unit.service" >"$DESTDIR/etc/systemd/system/$unit.service"
    chmod 0644 "$DESTDIR/etc/systemd/system/$unit.service"
done
install -m 0644 README.md config/levee.example.toml config/demo.toml "$DESTDIR$PREFIX/share/doc/levee/"
if [ ! -e "$DESTDIR/etc/levee/levee.toml" ]; then
    install -m 0640 config/levee.example.toml "$DESTDIR/etc/levee/levee.toml"
    echo "install: wrote /etc/levee/levee.toml from the example: edit it for this plant"
fi

if [ -z "$DESTDIR" ]; then
    if ! id levee >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/levee --no-create-home --shell /usr/sbin/nologin \
            --groups dialout levee
        getent group gpio >/dev/null && usermod -aG gpio levee
    fi
    chgrp levee /etc/levee/levee.toml
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        echo "install: done. Check the file with 'leveed check-config /etc/levee/levee.toml', then"
        echo "         'systemctl enable --now leveed' (and 'levee-web' for the HTTP API and dashboard);"
        echo "         'leveectl status' shows the plant."
    else
        echo "install: done (systemd is not running here, so the unit was not loaded)"
    fi
fi
