#!/usr/bin/env bash
# The default scenario renders the monitoring stack's swarm console in headless
# Chromium: make sure Debian's chromium is here; as root on Debian or Ubuntu,
# install it when it is not (a test tool on the machine that runs the tests,
# never on the lab nodes).
set -euo pipefail
for browser in chromium chromium-browser; do
  if command -v "$browser" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing chromium" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "ensure-chromium: headless Chromium is missing: install it (Debian's chromium package)" >&2
exit 1
