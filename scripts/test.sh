#!/usr/bin/env bash
# The README's test command (make test): the unit tests in each Ansible world
# (scripts/worlds.sh), then the molecule scenarios on lab nodes (the interop
# scenario runs the real playbooks with the newest world too). Expects the
# venvs and a Docker engine (the Makefile's venv, venv-newest and engine
# targets provide them).
#
#   scripts/test.sh          unit tests, then molecule
#   scripts/test.sh units    unit tests only
# SWARMOPS_MOLECULE_SCOPE: all (default), shared or own (scripts/run-molecule.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
while read -r world venv; do
  echo "== unit tests, $world world ($venv)"
  if [ ! -x "$venv/bin/python" ]; then
    echo "$venv is missing (make venv-newest)" >&2; rc=1; continue
  fi
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider; then scripts/worlds.sh mark "$world" units; else rc=1; fi
done < <(scripts/worlds.sh list)
[ $rc = 0 ] || exit $rc
[ "${1:-}" = units ] && exit 0
echo "== molecule scenarios (${SWARMOPS_MOLECULE_SCOPE:-all})"
scripts/run-molecule.sh "${SWARMOPS_MOLECULE_SCOPE:-all}"
scripts/worlds.sh mark current lab
