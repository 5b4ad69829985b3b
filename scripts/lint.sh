#!/usr/bin/env bash
# Static checks: ansible-lint with the production profile (.ansible-lint), the
# alert rules' unit tests with promtool (scripts/promtool-tests.sh), then
# in each Ansible world (scripts/worlds.sh: the project venv, and the newest
# Ansible where a Python >= 3.12 exists) ansible-test sanity and units on a copy
# of the checkout (scripts/sanity.sh) and ansible-doc of every plugin and role
# (scripts/docs.sh). Needs the venvs (make lint makes them); no Docker, no lab,
# no Galaxy.
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
echo "== promtool: the alert rules and the exporter's samples"
if ! scripts/promtool-tests.sh; then
  echo "== promtool: FAILED" >&2
  rc=1
fi
while read -r world venv; do
  if [ ! -x "$venv/bin/ansible-test" ]; then
    echo "== $world world: $venv is missing (make venv-newest)" >&2; rc=1; continue
  fi
  if SANITY_VENV=$venv scripts/sanity.sh; then scripts/worlds.sh mark "$world" sanity; else rc=1; fi
  if DOCS_VENV=$venv scripts/docs.sh; then scripts/worlds.sh mark "$world" docs; else rc=1; fi
done < <(scripts/worlds.sh list)
exit $rc
