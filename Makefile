# The two commands of the README, and their helpers. Each sets up what it needs
# on a fresh machine: a virtualenv with the Python tools, a Docker engine, the
# lab node image.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Extra arguments for ansible-playbook, e.g. make lab LAB_ARGS="-e lab_workers=3"
LAB_ARGS ?=
# Extra arguments for a benchmark, e.g. make bench-converge BENCH_ARGS="--sizes 5"
BENCH_ARGS ?=
# On demand: the older ansible-core releases sanity is run on (make sanity-cores).
SANITY_CORES ?= 2.17 2.18 2.20
UNPINNED_VENV ?= $(HOME)/.cache/swarmops/venvs/newest-unpinned

.PHONY: help venv venv-newest engine ssh-client browser lab lab-up lab-down test unit lint molecule worlds \
	sanity-cores newest-unpinned clean

help:
	@echo "make lab              start the local lab swarm and run site.yml on it"
	@echo "make lab-down         remove every container, volume and network of the lab"
	@echo "make test             unit tests in both Ansible worlds, then the molecule scenarios on a lab of their own"
	@echo "make lint             ansible-lint, then ansible-test sanity and units and ansible-doc in both worlds (no Docker)"
	@echo "make worlds           the versions of the two Ansible worlds (scripts/worlds.sh)"
	@echo "on demand:"
	@echo "make sanity-cores     sanity and ansible-doc on ansible-core $(SANITY_CORES)"
	@echo "make newest-unpinned  lint and unit tests on the newest ansible release, not the pinned one"
	@echo "make bench-NAME       the benchmark bench/NAME.py (converge, images, deploy, failover, alerts: each on a lab of its own; planners: no lab)"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# The newest Ansible (constraints-newest.txt) on Python >= 3.12, when the machine has one.
venv-newest:
	scripts/worlds.sh venv

worlds: venv venv-newest
	scripts/worlds.sh report

engine:
	scripts/ensure-docker.sh

# The lab's inventory reaches the nodes over SSH.
ssh-client:
	scripts/ensure-ssh.sh

# The default scenario renders the swarm console in headless Chromium.
browser:
	scripts/ensure-chromium.sh

lab-up: venv engine ssh-client
	ansible-playbook playbooks/lab_up.yml $(LAB_ARGS)

lab: lab-up
	ansible-playbook -i inventories/lab site.yml $(LAB_ARGS)

lab-down: venv engine
	ansible-playbook playbooks/lab_down.yml $(LAB_ARGS)

unit: venv venv-newest
	scripts/test.sh units

lint: venv venv-newest
	scripts/lint.sh

# MOLECULE_SCOPE: all, shared (the shared lab's scenarios) or own (trixie).
MOLECULE_SCOPE ?= all
molecule: venv venv-newest engine ssh-client browser
	scripts/run-molecule.sh $(MOLECULE_SCOPE)

test: venv venv-newest engine ssh-client browser
	scripts/test.sh

sanity-cores: venv
	@set -e; for core in $(SANITY_CORES); do \
	  dir=$$(scripts/worlds.sh core $$core); \
	  SANITY_VENV=$$dir scripts/sanity.sh sanity; \
	  DOCS_VENV=$$dir scripts/docs.sh; \
	done

newest-unpinned: venv
	UNPINNED=1 scripts/worlds.sh venv $(UNPINNED_VENV)
	CURRENT_VENV=$(UNPINNED_VENV) scripts/worlds.sh report | head -n 1
	SANITY_VENV=$(UNPINNED_VENV) scripts/sanity.sh
	DOCS_VENV=$(UNPINNED_VENV) scripts/docs.sh
	$(UNPINNED_VENV)/bin/python -m pytest -q -p no:cacheprovider

# On demand: a benchmark of bench/ (each makes and removes a lab of its own).
# bench-planners times the pure planners on generated swarm data: no lab.
bench-planners: venv
	$(BIN)/python bench/planners.py $(BENCH_ARGS)

bench-%: venv engine ssh-client
	$(BIN)/python bench/$*.py $(BENCH_ARGS)

clean: lab-down
	rm -rf $(VENV) .venv-newest .pytest_cache
