#!/usr/bin/env bash
# System packages some tests need, installed only when missing (Debian package names):
#   postgresql               tests/postgres runs a real server as Meltano's system DB
#   chromium chromium-driver tests/console drives the web console in headless Chromium
# `make test` runs this. As root (or with sudo) on a Debian/Ubuntu machine it installs what is
# missing; elsewhere it says what to install, and those tests skip (CI=true makes them fail).
set -euo pipefail
PACKAGES="postgresql chromium chromium-driver"
command -v dpkg >/dev/null 2>&1 || { echo "system-packages: no dpkg here; install $PACKAGES yourself for tests/postgres and tests/console"; exit 0; }
missing=$(for package in $PACKAGES; do dpkg -s "$package" >/dev/null 2>&1 || echo "$package"; done | xargs)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "system-packages: missing $missing (apt-get install -y $missing); the tests that need them skip"
  exit 0
fi
echo "system-packages: installing $missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
