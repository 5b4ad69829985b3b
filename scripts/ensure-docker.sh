#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#  1. An engine that already answers is used as it is.
#  2. Otherwise, as root on Debian or Ubuntu: install Debian's/Ubuntu's docker.io
#     when dockerd is missing, start it (systemd when it is PID 1, by hand
#     otherwise) and wait until `docker info` answers.
#  3. Otherwise fail with a message that says what to install.
# Prints "started" on stdout's last line when this script started dockerd itself,
# so callers may decide to stop it again; "running" when one already answered.
set -euo pipefail

timeout_s="${SWARMOPS_DOCKER_TIMEOUT:-90}"
log_file="${SWARMOPS_DOCKERD_LOG:-/var/log/swarmops-dockerd.log}"

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  echo running
  exit 0
fi

fail() { echo "ensure-docker: $*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
  fail "no Docker engine answers and this is not root: install Docker Engine (https://docs.docker.com/engine/install/) and start it, or rerun as root on Debian/Ubuntu"
fi
. /etc/os-release 2>/dev/null || true
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "*|*" ubuntu "*) ;;
  *) fail "no Docker engine answers and ${PRETTY_NAME:-this OS} is not Debian/Ubuntu: install Docker Engine and start it, then rerun" ;;
esac

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io from the distribution" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
command -v docker >/dev/null 2>&1 || fail "the docker CLI is missing after installing docker.io"

if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
  systemctl start docker
else
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    nohup dockerd >"$log_file" 2>&1 &
  fi
fi

for _ in $(seq 1 "$timeout_s"); do
  if engine_answers; then
    echo started
    exit 0
  fi
  sleep 1
done
fail "dockerd did not answer within ${timeout_s}s; see $log_file"
