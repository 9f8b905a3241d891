# shellcheck shell=bash
# Source this file to use the project's toolchain: `source scripts/env.sh`.
# It only sets variables; `make bootstrap` creates what they point at.
EDGEOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EDGEOPS_ROOT
export PATH="${EDGEOPS_ROOT}/.venv/bin:${PATH}"
export ANSIBLE_COLLECTIONS_PATH="${EDGEOPS_ROOT}/.cache/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export PIP_CONFIG_FILE=/dev/null
export NO_COLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
export ANSIBLE_HOME="${EDGEOPS_ROOT}/.cache/ansible-home"
