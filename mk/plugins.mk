# The plugins: modules, the nomad_nodes inventory, the filters, and their contract with Nomad's API.
# No containers: the Nomad API double is a local Python process.
#   integration-api       ansible-doc for every plugin (tests/tools/plugin_docs/check_docs.sh), the 10,000-node
#                         inventory benchmark, and the integration targets (api-integration)
#   api-integration       tests/integration/run.sh: every target of tests/integration/targets (one per module or
#                         module family, each with a fresh Nomad API double from setup_nomad_api_double, over
#                         HTTP and mutual TLS: check mode, apply, re-apply, bad input, error paths) in one -vvv
#                         run, then the secret leak check; TARGETS="nomad_job nomad_node" runs only those
#   integration-contract  1. the Nomad API double's own tests (tests/tools/nomad_api_double/tests: it refuses
#                            what Nomad 2.0.5 refuses, with Nomad's codes and texts)
#                         2. the module tests (tests/unit/plugins/modules and the integration targets) run with
#                            the double recording every request (NOMAD_API_DOUBLE_RECORD)
#                         3. tests/tools/nomad_api_double/contract (Go, its own module): drives the double with Nomad's client
#                            github.com/hashicorp/nomad/api for every route, and decodes every recorded
#                            body into the matching api type with unknown fields disallowed
#                         The Go module cache stays outside the checkout (go env GOMODCACHE); go.sum pins
#                         the api module.
#   integration-hcl1      to_nomad_hcl output read back with HashiCorp's real HCL1 parser (the library
#                         Nomad's agent config loader uses), from Debian's golang-github-hashicorp-hcl-dev
#                         source; the tool is built once into .cache/hcl1/ and rebuilt when its source
#                         changes or it is gone
#   mutations             (not part of make test: takes many minutes) one hand-made break per pytest file
#                         (tests/tools/mutations/mutations.yml, each anchored on a function, task, key or Jinja
#                         statement), each applied in a copy of the checkout; fails when a test file still passes
#                         with its break. MUTATIONS_ARGS='--only nomad_raft --count'; '--check' only applies them
INTEGRATION_STEPS += integration-api integration-contract integration-hcl1

CONTRACT_DIR := $(ROOT)/.cache/contract
HCL1DUMP := $(ROOT)/.cache/hcl1/hcl1dump

.PHONY: integration-api api-docs api-benchmark api-integration
.PHONY: integration-contract contract-double contract-record contract-go integration-hcl1 mutations

integration-api: api-docs api-benchmark api-integration

api-docs:
	@bash tests/tools/plugin_docs/check_docs.sh

api-benchmark:
	python benchmarks/inventory_nomad_nodes.py --nodes 10000

TARGETS ?=

api-integration:
	bash tests/integration/run.sh $(TARGETS)

integration-contract: contract-double contract-record contract-go

contract-double:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider tests/tools/nomad_api_double/tests

contract-record:
	rm -rf $(CONTRACT_DIR) && mkdir -p $(CONTRACT_DIR)
	NOMAD_API_DOUBLE_RECORD=$(CONTRACT_DIR)/unit.jsonl PYTHONPATH=$(ROOT)/.cache/collections \
	  python -m pytest -q -p no:cacheprovider tests/unit/plugins/modules
	@echo "recording the integration targets (log: $(CONTRACT_DIR)/integration.log)"
	@NOMAD_API_DOUBLE_RECORD=$(CONTRACT_DIR)/integration.jsonl \
	  bash tests/integration/run.sh $(TARGETS) >$(CONTRACT_DIR)/integration.log 2>&1 \
	  || { tail -n 40 $(CONTRACT_DIR)/integration.log; echo "the integration targets failed while recording"; exit 1; }

contract-go:
	cd tests/tools/nomad_api_double/contract && GOFLAGS=-mod=mod \
	  CONTRACT_REQUESTS=$(CONTRACT_DIR)/unit.jsonl:$(CONTRACT_DIR)/integration.jsonl go test -count=1 ./...

$(HCL1DUMP): tests/tools/hcl1/hcl1dump.go
	mkdir -p $(dir $@)
	cd tests/tools/hcl1 && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(ROOT)/.cache/hcl1/gocache GOFLAGS= \
	  go build -o $@ hcl1dump.go

integration-hcl1: $(HCL1DUMP)
	HCL1DUMP=$(HCL1DUMP) PYTHONPATH=$(ROOT)/.cache/collections \
	  python -m pytest -q -p no:cacheprovider tests/tools/hcl1

mutations: $(HCL1DUMP)
	nice -n 19 python tests/tools/mutations/run.py $(MUTATIONS_ARGS)
