#!/usr/bin/env bash
# promtool, for the alert rules' unit tests (promtool test rules) and the
# exporter's samples (promtool check metrics), without installing Prometheus on
# this machine (Debian's package would start a server): the binary is taken out
# of the distribution's package into a cache of ours, once.
#   scripts/ensure-promtool.sh    prints the path of promtool
set -euo pipefail
cache=${SWARMOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmops}/promtool
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
if [ -x "$cache/usr/bin/promtool" ]; then echo "$cache/usr/bin/promtool"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-promtool: no promtool and no apt-get to fetch Debian's prometheus package: install promtool" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download needs the package lists; a brand-new machine may have none.
if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
  apt-get update -qq
  (cd "$work" && apt-get download -qq prometheus >/dev/null)
fi
mkdir -p "$cache"
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
install -D -m 0755 "$work/root/usr/bin/promtool" "$cache/usr/bin/promtool"
echo "$cache/usr/bin/promtool"
