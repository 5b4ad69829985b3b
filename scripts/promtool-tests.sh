#!/usr/bin/env bash
# The monitoring rules and samples, checked with Prometheus' own promtool
# (scripts/ensure-promtool.sh): the alert rules parse (check rules), behave as
# their unit tests say (test rules, tests/promtool/), and the samples the
# exporter makes of the unit tests' swarm are valid exposition (check metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
promtool=$(scripts/ensure-promtool.sh)
python=${PYTHON:-.venv/bin/python}
"$promtool" check rules roles/monitoring/files/prometheus/*.rules.yml
for test in tests/promtool/*.test.yml; do "$promtool" test rules "$test"; done
echo "== the exporter's samples of the unit tests' swarm, through promtool check metrics"
PYTHONPATH=$PWD/.collections "$python" - <<'PY' | "$promtool" check metrics
import json, pathlib
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_status import exposition, metrics, swarm_status
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import parse_timestamp
data = json.loads(pathlib.Path("tests/unit/plugins/module_utils/fixtures/swarm_services.json").read_text())
report = swarm_status(data["services"], data["tasks"], data["nodes"], parse_timestamp("2026-11-27T04:12:01Z"))
print(exposition(metrics(report)), end="")
PY
echo "== promtool: passed"
