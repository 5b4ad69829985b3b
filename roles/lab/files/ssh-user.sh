#!/bin/sh
# Run in a lab node as root (docker exec): make the unprivileged user the lab's
# ssh connection logs in as, with the lab's public key and passwordless sudo
# (as an operator's automation user on a real host), then print the node's
# ed25519 host key for the lab's known_hosts. Prints "created" first when the
# user is new.   ssh-user.sh USER PUBLIC_KEY
set -eu
user="$1"
key="$2"
if ! id -u "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
  echo created
fi
home="$(getent passwd "$user" | cut -d: -f6)"
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$key" >"$home/.ssh/authorized_keys"
chown "$user:$user" "$home/.ssh/authorized_keys"
chmod 0600 "$home/.ssh/authorized_keys"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$user" >"/etc/sudoers.d/lab-$user"
chmod 0440 "/etc/sudoers.d/lab-$user"
systemctl is-active --quiet ssh || { echo "sshd does not run: $(systemctl status ssh --no-pager 2>&1 | tail -n 5)" >&2; exit 1; }
cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub
