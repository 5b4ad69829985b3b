#!/usr/bin/env bash
# Static checks: ansible-lint with the production profile (.ansible-lint), then
# ansible-test sanity and units on a copy of the checkout (scripts/sanity.sh).
# Needs the venv on PATH (make lint provides it); no Docker, no lab, no Galaxy.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG=$PWD/ansible.cfg
command -v shellcheck >/dev/null 2>&1 ||
  echo "lint: shellcheck is not installed, so the sanity test shellcheck is skipped (apt-get install shellcheck)" >&2
# Every check runs, so that one failure does not hide another; any failure fails.
rc=0
echo "== ansible-lint"
start=$SECONDS
if ansible-lint; then
  echo "== ansible-lint: passed in $((SECONDS - start))s"
else
  echo "== ansible-lint: FAILED after $((SECONDS - start))s" >&2
  rc=1
fi
scripts/sanity.sh "$@" || rc=1
exit $rc
