#!/usr/bin/env bash
# Run every molecule scenario on one shared lab (created by the default
# scenario, reused by the others), then the trixie scenario on a Debian 13 lab
# of its own once the shared one is gone (one lab at a time), and remove both
# labs whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything molecule prints also goes to this log, so that a failed run can end
# with what failed (pytest's one-line summaries): CI shows only a run's tail.
log=$(mktemp "${TMPDIR:-/tmp}/swarmops-molecule.XXXXXX")
cleanup() {
  rm -f "$log"
  molecule destroy >/dev/null 2>&1 || true
  molecule destroy -s trixie >/dev/null 2>&1 || true
  # Belt and braces: the lab role removes everything labelled with the lab's name.
  for lab in swarmops-molecule swarmops-trixie; do
    ansible-playbook playbooks/lab_down.yml -e lab_name=$lab -e lab_inventory_file=/dev/null/none >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
# A run that was killed (a lost session, a CI timeout) leaves its lab behind and
# molecule's shared state saying the lab exists, so that the next run would skip
# creating it and fail on containers that are gone: start from neither.
cleanup
molecule reset --all >/dev/null 2>&1 || true
rc=0
# Scenarios with a lab of their own, run after the shared one.
own_labs=(trixie)
{ molecule test --all "${own_labs[@]/#/--exclude=}" "$@" && for scenario in "${own_labs[@]}"; do
    molecule test -s "$scenario" "$@" || exit; done; } 2>&1 | tee "$log" || rc=$?
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
