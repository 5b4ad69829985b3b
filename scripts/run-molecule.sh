#!/usr/bin/env bash
# Run every molecule scenario on one shared lab (created by the default
# scenario, reused by the others), and remove that lab whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
cleanup() {
  molecule destroy >/dev/null 2>&1 || true
  # Belt and braces: the lab role removes everything labelled with the lab's name.
  ansible-playbook playbooks/lab_down.yml -e lab_name=swarmops-molecule \
    -e lab_inventory_file=/dev/null/none >/dev/null 2>&1 || true
}
trap cleanup EXIT
# A run that was killed (a lost session, a CI timeout) leaves its lab behind and
# molecule's shared state saying the lab exists, so that the next run would skip
# creating it and fail on containers that are gone: start from neither.
cleanup
molecule reset --all >/dev/null 2>&1 || true
molecule test --all "$@"
