#!/usr/bin/env bash
# The README's test command (make test): unit tests, then the molecule
# scenarios on lab nodes. Expects the venv on PATH and a Docker engine (the
# Makefile's venv and engine targets provide both).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== unit tests"
pytest -q
echo "== molecule scenarios"
scripts/run-molecule.sh
