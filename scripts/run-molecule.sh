#!/usr/bin/env bash
# Run the molecule scenarios and remove their labs whatever happens.
#
#   scripts/run-molecule.sh [all|shared|own] [MOLECULE ARGS]
#
#   shared  every scenario of the shared lab (created by the default scenario,
#           reused by the others)
#   own     the scenarios with a lab of their own (trixie: Debian 13 nodes)
#   all     (default) shared, then own once the shared lab is gone: one lab
#           at a time
#
# Each scope cleans up only its own labs and molecule state, so that .ci/run
# may run "own" beside the static checks and "shared" afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scope=all
case "${1:-}" in all|shared|own) scope=$1; shift ;; esac
own_labs=(trixie)
# Everything molecule prints also goes to this log, so that a failed run can end
# with what failed (pytest's one-line summaries): CI shows only a run's tail.
log=$(mktemp "${TMPDIR:-/tmp}/swarmops-molecule.XXXXXX")
lab_down() {  # belt and braces: the lab role removes everything labelled with the lab's name
  ansible-playbook playbooks/lab_down.yml -e "lab_name=$1" -e lab_inventory_file=/dev/null/none >/dev/null 2>&1 || true
}
cleanup() {
  rm -f "$log"
  if [ "$scope" != own ]; then
    molecule destroy >/dev/null 2>&1 || true
    lab_down swarmops-molecule
  fi
  if [ "$scope" != shared ]; then
    for scenario in "${own_labs[@]}"; do molecule destroy -s "$scenario" >/dev/null 2>&1 || true; done
    lab_down swarmops-trixie
  fi
}
trap cleanup EXIT
# A run that was killed (a lost session, a CI timeout) leaves its lab behind and
# molecule's state saying the lab exists, so that the next run would skip
# creating it and fail on containers that are gone: start from neither.
cleanup
if [ "$scope" != own ]; then
  molecule reset --all "${own_labs[@]/#/--exclude=}" >/dev/null 2>&1 || true
fi
if [ "$scope" != shared ]; then
  for scenario in "${own_labs[@]}"; do molecule reset -s "$scenario" >/dev/null 2>&1 || true; done
fi
rc=0
{
  if [ "$scope" != own ]; then molecule test --all "${own_labs[@]/#/--exclude=}" "$@" || exit; fi
  if [ "$scope" != shared ]; then
    for scenario in "${own_labs[@]}"; do molecule test -s "$scenario" "$@" || exit; done
  fi
} 2>&1 | tee "$log" || rc=$?
if [ "$rc" != 0 ]; then
  echo "== what failed (pytest's summaries, from $log)"
  # Colours and the verifier's frame off: each failed test's assertion, then pytest's short summaries.
  sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^ *│ *//' "$log" > "$log.plain" || true
  grep -a -A2 -E '^E +[A-Za-z]*(Error|Exception)' "$log.plain" | head -n 40 || true
  awk '/short test summary info/ {p = 1} p {print} / [0-9]+ (passed|failed|errors?) in / {p = 0}' "$log.plain" \
    | head -n 40 || true
  rm -f "$log.plain"
fi
exit "$rc"
