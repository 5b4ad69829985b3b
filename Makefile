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

.PHONY: help venv engine lab lab-up lab-down test unit lint molecule clean

help:
	@echo "make lab       start the local lab swarm and run site.yml on it"
	@echo "make lab-down  remove every container, volume and network of the lab"
	@echo "make test      unit tests, then the molecule scenarios on a lab of their own"
	@echo "make lint      ansible-lint, ansible-test sanity and units (no Docker needed)"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

engine:
	scripts/ensure-docker.sh

lab-up: venv engine
	ansible-playbook playbooks/lab_up.yml $(LAB_ARGS)

lab: lab-up
	ansible-playbook -i inventories/lab site.yml $(LAB_ARGS)

lab-down: venv engine
	ansible-playbook playbooks/lab_down.yml $(LAB_ARGS)

unit: venv
	pytest -q

lint: venv
	scripts/lint.sh

molecule: venv engine
	scripts/run-molecule.sh

test: venv engine
	scripts/test.sh

clean: lab-down
	rm -rf $(VENV) .pytest_cache
