# The supported ansible-core range (meta/runtime.yml requires_ansible: >= 2.16) is tested, not claimed, at both
# ends, each in its own cached venv (.cache/venv-core-<major.minor>, scripts/core-range.sh); the versions are
# requirements-dev.txt's core-oldest and core-newest lines. `make sanity` and `make unit` run on the everyday
# toolchain (.venv, ansible-core 2.19); make test runs these instead (CORE_RANGE_STEPS, in BASE_STEPS):
#   core-newest         the sanity test and the unit tests (2 workers) on the newest release (2.21, Python 3.12)
#   core-oldest-sanity  the sanity test on the oldest release (2.16: what AAP 2.5's and 2.6's supported
#                       execution environments carry)
# so the range costs make test one sanity run more than the everyday toolchain did. 2.19 itself is what every
# lint, integration, Molecule and demo step runs.
# Not in make test (the time budget):
#   core-oldest-unit    the unit tests on the oldest release (~8 min here)
#   core-range          both ends, unit + sanity (before a release)
CORE_RANGE_STEPS += core-newest core-oldest-sanity

.PHONY: core-range core-oldest core-newest core-oldest-unit core-oldest-sanity

core-range: core-oldest core-newest

core-oldest:
	@bash scripts/core-range.sh oldest

core-newest:
	@bash scripts/core-range.sh newest

core-oldest-unit:
	@bash scripts/core-range.sh oldest unit

core-oldest-sanity:
	@bash scripts/core-range.sh oldest sanity
