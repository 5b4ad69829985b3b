#!/usr/bin/env bash
# The lab's inventory reaches its nodes over SSH: make sure the OpenSSH client
# (ssh, ssh-keygen) is here; as root on Debian or Ubuntu, install it when it is not.
set -euo pipefail
if command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-ssh: installing openssh-client" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null
  exit 0
fi
echo "ensure-ssh: the OpenSSH client (ssh, ssh-keygen) is missing: install it (openssh-client), or make the lab with -e lab_connection=docker" >&2
exit 1
