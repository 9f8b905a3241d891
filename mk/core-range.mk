# The supported ansible-core range (meta/runtime.yml requires_ansible) is tested, not claimed: the
# unit tests and the sanity test on the oldest and the newest supported release, each in its own
# cached venv (.cache/venv-core-<major.minor>); versions in requirements-dev.txt (core-oldest,
# core-newest). The development pin in .venv runs the same checks in `unit` and `sanity`.
#   core-range        both ends, unit + sanity (not in make test: too slow, see below)
#   core-oldest / core-newest   one end each, unit + sanity
#   core-oldest-unit  the unit tests on the oldest core (2 pytest workers)
# core-oldest-unit is the telling run: the oldest end is where the collection breaks (2.19 changed
# templating; 2.17 templated the server role's {% raw %} VSO templates a second time and resolved the
# client role's SHA256SUMS read before its guard, both fixed) and the unit tests render every role case.
# It is not a make test step: about 10 CPU-minutes (15 min wall here under load), over the budget.
# The newest end's unit run and both ends' sanity runs cost more than the make test budget (the sanity
# venvs of a second core are built cold in CI): run `make core-range` before a release.

.PHONY: core-range core-oldest core-newest core-oldest-unit

core-range: core-oldest core-newest

core-oldest:
	@bash scripts/core-range.sh oldest

core-newest:
	@bash scripts/core-range.sh newest

core-oldest-unit:
	@bash scripts/core-range.sh oldest unit
