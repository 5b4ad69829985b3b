#!/usr/bin/env bash
# Build the lab node image (Debian 12, systemd as PID 1, python3, no Docker)
# without any container registry: debootstrap a root file system and
# `docker import` it (import takes no STOPSIGNAL: the lab sets it per container). The image is reused by tag; the root file system tarball
# is cached so a rebuild does not download the packages again.
set -euo pipefail

image="${SWARMOPS_NODE_IMAGE:-swarmops/lab-node:bookworm-2}"
cache_dir="${SWARMOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmops}"
mirror="${SWARMOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump the recipe version (and the tag above) when the package list changes.
recipe="bookworm-2"
packages="systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-ping,ca-certificates,procps,curl,gnupg,kmod,iptables,less"
tarball="$cache_dir/lab-node-rootfs-$recipe.tar.gz"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "node image $image is present"
  exit 0
fi

mkdir -p "$cache_dir"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "build-node-image: debootstrap is missing; install it (apt-get install debootstrap)" >&2; exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  rootfs="$(mktemp -d /tmp/swarmops-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  echo "build-node-image: debootstrap bookworm into $rootfs"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache_dir/debootstrap.log" >&2; exit 1; }
  # A container has no consoles and no kernel to tune: mask the units that
  # would only fail or wait, and let every boot get a fresh machine-id.
  for unit in getty.target console-getty.service systemd-udevd.service \
      systemd-udev-trigger.service systemd-modules-load.service \
      systemd-sysctl.service sys-kernel-config.mount sys-kernel-debug.mount \
      systemd-remount-fs.service systemd-timesyncd.service apt-daily.timer \
      apt-daily-upgrade.timer; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # Empty package lists must look stale, or apt's cache_valid_time would trust them.
  touch -d '2000-01-01 00:00:00' "$rootfs/var/lib/apt/lists"
  echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
  echo "deb $mirror bookworm-updates main" >>"$rootfs/etc/apt/sources.list"
  echo "deb http://deb.debian.org/debian-security bookworm-security main" >>"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi

echo "build-node-image: importing $tarball as $image"
docker import \
  -c 'ENV container=docker' \
  -c 'CMD ["/sbin/init"]' \
  -c "LABEL io.swarmops.recipe=$recipe" \
  "$tarball" "$image" >/dev/null
echo "node image $image built"
