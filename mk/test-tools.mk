# The test tools' own tests, kept apart from the product's tests (tests/unit): each tool must refuse what it
# claims to refuse, or a product test that relies on it proves nothing.
#   integration-tools  pytest on tests/nomad_schema/tests (the agent and job schema checker),
#                      tests/secrets/tests (the secret scanner), tests/k8s_validate/tests (the offline
#                      Kubernetes and restricted-v2 checks of integration-server) and scripts/tests (the
#                      command-to-package check of .ci/run)
# The Nomad API double's tests run in integration-contract (mk/plugins.mk), the HCL1 reader's in
# integration-hcl1; tests/mutations (make mutations) breaks each tool once and expects its tests to fail.
INTEGRATION_STEPS += integration-tools

.PHONY: integration-tools

integration-tools:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider \
	  tests/nomad_schema/tests tests/secrets/tests tests/k8s_validate/tests scripts/tests
