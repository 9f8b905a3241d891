# Contract area (issue 12, items 13 and 14). No containers.
#   integration-contract  1. the Nomad API double's own tests (tests/nomad_api_double/tests: it refuses
#                            what Nomad 2.0.5 refuses, with Nomad's codes and texts)
#                         2. the module tests (tests/unit/plugins/modules and the nomad_api integration
#                            target) run with the double recording every request (NOMAD_API_DOUBLE_RECORD)
#                         3. tests/contract (Go, its own module): drives the double with Nomad's client
#                            github.com/hashicorp/nomad/api for every route, and decodes every recorded
#                            body into the matching api type with unknown fields disallowed
# The Go module cache stays outside the checkout (go env GOMODCACHE); go.sum pins the api module.
INTEGRATION_STEPS += integration-contract

CONTRACT_DIR := $(ROOT)/.cache/contract

.PHONY: integration-contract contract-double contract-record contract-go

integration-contract: contract-double contract-record contract-go

contract-double:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider tests/nomad_api_double/tests

contract-record:
	rm -rf $(CONTRACT_DIR) && mkdir -p $(CONTRACT_DIR)
	NOMAD_API_DOUBLE_RECORD=$(CONTRACT_DIR)/unit.jsonl PYTHONPATH=$(ROOT)/.cache/collections \
	  python -m pytest -q -p no:cacheprovider tests/unit/plugins/modules
	@echo "recording the nomad_api integration target (log: $(CONTRACT_DIR)/integration.log)"
	@NOMAD_API_DOUBLE_RECORD=$(CONTRACT_DIR)/integration.jsonl \
	  bash tests/integration/targets/nomad_api/runme.sh >$(CONTRACT_DIR)/integration.log 2>&1 \
	  || { tail -n 40 $(CONTRACT_DIR)/integration.log; echo "the nomad_api target failed while recording"; exit 1; }

contract-go:
	cd tests/contract && GOFLAGS=-mod=mod \
	  CONTRACT_REQUESTS=$(CONTRACT_DIR)/unit.jsonl:$(CONTRACT_DIR)/integration.jsonl go test -count=1 ./...
