#!/usr/bin/env bash
# Installs Levee on this machine the way a plant's box gets it: builds the Debian package (scripts/package.sh)
# and installs it with apt. Then: edit /etc/levee/levee.toml, leveed check-config, systemctl enable --now leveed.
#
#   sudo ./scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=dist ./scripts/package.sh
version=$(sed -n '1s/^levee (\([^)]*\)).*/\1/p' packaging/changelog)
apt-get install -y "./dist/levee_${version}_$(dpkg --print-architecture).deb"
