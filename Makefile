# edgeops.nomad: every check behind one command.
#   make demo   the main workflow on local containers and a local API server
#   make test   every check, in order, stopping at the first failure
# Finer targets: bootstrap yamllint lint sanity unit build-check integration molecule
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ROOT := $(CURDIR)

export PATH := $(ROOT)/.venv/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.cache/collections
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export ANSIBLE_HOME := $(ROOT)/.cache/ansible-home
export PIP_CONFIG_FILE := /dev/null
export NO_COLOR := 1
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
export ANSIBLE_NOCOLOR := 1
export EDGEOPS_ROOT := $(ROOT)
export EDGEOPS_SHARED ?= $(abspath $(ROOT)/../shared)

# Each area appends its targets in mk/<area>.mk:
#   CORE_RANGE_STEPS: the checks on the other ends of the supported ansible-core range (mk/core-range.mk);
#   INTEGRATION_STEPS: quick checks without containers; MOLECULE_STEPS: containers, API server.
CORE_RANGE_STEPS :=
INTEGRATION_STEPS :=
MOLECULE_STEPS :=
DEMO_STEPS :=
DEMO_CLEAN_STEPS :=
-include $(sort $(wildcard mk/*.mk))

# make test runs sanity and unit on the ends of the supported ansible-core range (CORE_RANGE_STEPS,
# mk/core-range.mk) instead of the everyday toolchain's `make sanity` / `make unit`.
BASE_STEPS := yamllint lint $(CORE_RANGE_STEPS) build-check
TEST_STEPS = $(BASE_STEPS) $(INTEGRATION_STEPS) $(MOLECULE_STEPS)

.PHONY: help bootstrap test yamllint lint sanity unit build-check integration molecule demo demo-clean
help:
	@echo "make demo    run the main workflow on local containers (see README)"
	@echo "make test    run every check: $(TEST_STEPS)"
	@echo "finer: make bootstrap | yamllint | lint | sanity | unit | build-check | integration | molecule"

bootstrap:
	@bash scripts/bootstrap.sh

# Runs each step in order; stops at the first failure and prints how long each took.
test: bootstrap
	@bash scripts/run-steps.sh $(TEST_STEPS)

integration: bootstrap
	@bash scripts/run-steps.sh $(INTEGRATION_STEPS)

molecule: bootstrap
	@bash scripts/run-steps.sh $(MOLECULE_STEPS)

yamllint:
	yamllint --strict .

lint:
	ansible-lint --offline

sanity:
	@bash scripts/sanity.sh

# The product's unit tests (tests/unit: the plugins) and the role tests (tests/roles: ansible-playbook runs of
# the roles' task files on localhost).
unit:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider tests/unit tests/roles

build-check:
	@bash scripts/build-check.sh

# The demo's steps come from mk/demo.mk (playbooks on the local API server and containers).
demo: bootstrap
	@bash scripts/run-steps.sh $(DEMO_STEPS)

demo-clean:
	@bash scripts/run-steps.sh $(DEMO_CLEAN_STEPS)
