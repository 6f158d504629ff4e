#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser test (browser downloads fail here).
# Idempotent; when it cannot install, the browser test reports that it did not run and why.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: not root or no apt-get: the browser test will report Chromium as missing" >&2
    exit 0
fi
echo "install_chromium: apt-get install chromium chromium-driver" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/tmp/install_chromium.log 2>&1 \
    || echo "install_chromium: apt-get failed (see /tmp/install_chromium.log): the browser test will report it" >&2
exit 0
