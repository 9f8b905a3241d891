# The supported ansible-core range (meta/runtime.yml requires_ansible) is tested, not claimed: the
# unit tests and the sanity test on the oldest and the newest supported release, each in its own
# cached venv (.cache/venv-core-<major.minor>); versions in requirements-dev.txt (core-oldest,
# core-newest). The development pin in .venv runs the same checks in `unit` and `sanity`.
#   core-range   both ends; core-oldest / core-newest one each
INTEGRATION_STEPS += core-range

.PHONY: core-range core-oldest core-newest

core-range: core-oldest core-newest

core-oldest:
	@bash scripts/core-range.sh oldest

core-newest:
	@bash scripts/core-range.sh newest
