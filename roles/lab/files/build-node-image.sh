#!/usr/bin/env bash
# Build a lab node image (Debian, systemd as PID 1, python3, sshd and sudo, no
# Docker) without any container registry: debootstrap a root file system and
# `docker import` it (import takes no STOPSIGNAL: the lab sets it per container).
# The image is reused by tag; the root file system tarball is cached so that a
# rebuild does not download the packages again.
#
#   SWARMOPS_NODE_RELEASE   bookworm (Debian 12, docker.io 20.10) or trixie (Debian 13, docker.io 26)
#   SWARMOPS_NODE_IMAGE     the tag to build (default swarmops/lab-node:<recipe>)
#   SWARMOPS_DEBIAN_MIRROR  the Debian mirror; default: the one this machine's apt sources use
#   SWARMOPS_DEBIAN_SECURITY_MIRROR   its security archive (default: from the apt sources too)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

release="${SWARMOPS_NODE_RELEASE:-bookworm}"
case "$release" in
  bookworm|trixie) ;;
  *) echo "build-node-image: release '$release' is not one the lab builds (bookworm, trixie)" >&2; exit 2 ;;
esac
# Bump the recipe version (and the tags that name it) when the package list or the set-up changes.
recipe="$release-3"
image="${SWARMOPS_NODE_IMAGE:-swarmops/lab-node:$recipe}"
cache_dir="${SWARMOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmops}"
# No Docker here: the docker_engine role under test installs it. sshd and sudo
# make the node a host reached the way real ones are (an unprivileged user that
# becomes root); the lab role creates that user.
packages="systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-ping,ca-certificates,procps,curl,gnupg,kmod,iptables,less,openssh-server,sudo"
tarball="$cache_dir/lab-node-rootfs-$recipe.tar.gz"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "node image $image is present"
  exit 0
fi

mkdir -p "$cache_dir"
if [ ! -s "$tarball" ]; then
  if [ -z "${SWARMOPS_DEBIAN_MIRROR:-}" ]; then
    found="$(python3 "$here/debian_mirror.py")"
    SWARMOPS_DEBIAN_MIRROR="$(sed -n 1p <<<"$found")"
    SWARMOPS_DEBIAN_SECURITY_MIRROR="${SWARMOPS_DEBIAN_SECURITY_MIRROR:-$(sed -n 2p <<<"$found")}"
  fi
  mirror="${SWARMOPS_DEBIAN_MIRROR%/}"
  security="${SWARMOPS_DEBIAN_SECURITY_MIRROR:-$mirror-security}"
  command -v debootstrap >/dev/null 2>&1 || {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "build-node-image: debootstrap is missing; install it (apt-get install debootstrap)" >&2; exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  rootfs="$(mktemp -d /tmp/swarmops-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  echo "build-node-image: debootstrap $release from $mirror into $rootfs"
  debootstrap --variant=minbase --include="$packages" "$release" "$rootfs" "$mirror" \
    >"$cache_dir/debootstrap-$release.log" 2>&1 || { tail -n 20 "$cache_dir/debootstrap-$release.log" >&2; exit 1; }
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
  # Every node gets host keys of its own at its first boot (ssh-keygen -A makes
  # the missing ones), never keys baked into the image and shared by all nodes:
  # a recreated node has new keys, and the lab's known_hosts says so.
  rm -f "$rootfs"/etc/ssh/ssh_host_*
  mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
  cat >"$rootfs/etc/systemd/system/ssh.service.d/swarmops-host-keys.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOF
  # /proc/sys writable as on a host (what docker run --security-opt
  # systempaths=unconfined gives, which the Docker API modules can not ask
  # for): engine 26 sets sysctls in the overlay networks' namespaces and
  # rejects every task when it can not.
  cat >"$rootfs/etc/systemd/system/swarmops-lab-proc-sys.service" <<'EOF'
[Unit]
Description=Writable /proc/sys in a lab node, as on a host
DefaultDependencies=no
ConditionVirtualization=container
Before=sysinit.target systemd-sysctl.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mount -o remount,rw /proc/sys

[Install]
WantedBy=sysinit.target
EOF
  mkdir -p "$rootfs/etc/systemd/system/sysinit.target.wants"
  ln -sf ../swarmops-lab-proc-sys.service "$rootfs/etc/systemd/system/sysinit.target.wants/swarmops-lab-proc-sys.service"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # Empty package lists must look stale, or apt's cache_valid_time would trust them.
  touch -d '2000-01-01 00:00:00' "$rootfs/var/lib/apt/lists"
  {
    echo "deb $mirror $release main"
    echo "deb $mirror $release-updates main"
    echo "deb $security $release-security main"
  } >"$rootfs/etc/apt/sources.list"
  rm -f "$rootfs"/etc/apt/sources.list.d/*.sources
  tar -C "$rootfs" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi

echo "build-node-image: importing $tarball as $image"
docker import \
  -c 'ENV container=docker' \
  -c 'CMD ["/sbin/init"]' \
  -c "LABEL io.swarmops.recipe=$recipe" \
  "$tarball" "$image" >/dev/null
echo "node image $image built"
