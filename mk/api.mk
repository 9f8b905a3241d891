# edgeops.nomad API plugins (issue 3): modules, nomad_nodes inventory, the Nomad API double.
#   integration-api  ansible-doc for every plugin, the 10,000-node inventory benchmark, and the
#                    nomad_api integration target (runme.sh: every module against the Nomad API
#                    double over HTTP and mutual TLS, error paths, -vvv secret leak check)
# No containers: the double is a local Python process.
INTEGRATION_STEPS += integration-api

.PHONY: integration-api api-docs api-benchmark api-integration

integration-api: api-docs api-benchmark api-integration

api-docs:
	@bash tests/integration/targets/nomad_api/check_docs.sh

api-benchmark:
	python benchmarks/inventory_nomad_nodes.py --nodes 10000

api-integration:
	bash tests/integration/targets/nomad_api/runme.sh
