#!/usr/bin/env bash
# Install Debian's chromium when it is missing, as .ci/start-mariadb.sh installs mariadb-server:
# the run report's browser test (tests/unit/test_report_browser.py, Playwright with
# executable_path=/usr/bin/chromium) needs it, and skips saying so without it.
# Exit 0: chromium is there; 1: it is not (said why, on stderr).
set -uo pipefail
PACKAGE=chromium
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing $PACKAGE ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PACKAGE" >&2
fi
command -v chromium >/dev/null 2>&1 && exit 0
echo "chromium is not installed: the report's browser test will be skipped; it needs Debian's" \
     "'$PACKAGE' package, installed with apt-get as root (sudo apt-get install -y $PACKAGE)" >&2
exit 1
