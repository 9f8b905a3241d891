# The test tools (tests/tools/<tool>/) and their own tests (tests/tools/<tool>/tests), kept apart from the
# product's tests (tests/unit, tests/roles): each tool must refuse what it claims to refuse, or a product test
# that relies on it proves nothing.
#   integration-tools  pytest on every tests/tools/*/tests folder (the agent and job schema checker, the secret
#                      scanner, the offline Kubernetes and restricted-v2 checks of integration-server, ...) and
#                      scripts/tests (the command-to-package check of .ci/run); a new tool's tests/ folder is
#                      picked up without editing this file
# Two tools' tests run elsewhere: the Nomad API double's in integration-contract (mk/plugins.mk, with its Go
# contract test), the HCL1 reader's in integration-hcl1 (it needs the Go tool built first);
# tests/tools/mutations (make mutations) breaks each tool once and expects its tests to fail.
INTEGRATION_STEPS += integration-tools

.PHONY: integration-tools
TOOL_TESTS := $(filter-out tests/tools/nomad_api_double/tests tests/tools/hcl1/tests,$(sort $(wildcard tests/tools/*/tests)))

integration-tools:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider \
	  $(TOOL_TESTS) scripts/tests
