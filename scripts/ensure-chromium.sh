#!/bin/sh
# The browser test drives Debian's Chromium (playwright-core downloads no
# browser of its own). Installs it when it is missing; needs root for apt.
set -e

CHROMIUM="${FERRO_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing and installing it needs root." >&2
  echo "  Install it with:  sudo apt-get install chromium" >&2
  echo "  or point FERRO_CHROMIUM at another Chromium binary." >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium for the browser test"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium > /dev/null
