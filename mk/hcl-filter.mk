# HCL filter area: read to_nomad_hcl output back with HashiCorp's real HCL1 parser (the library
# Nomad's agent config loader uses), from Debian's golang-github-hashicorp-hcl-dev source.
# The test tool is built once into .cache/hcl1/ and rebuilt when its source changes or it is gone.
HCL1DUMP := $(ROOT)/.cache/hcl1/hcl1dump
INTEGRATION_STEPS += integration-hcl1
.PHONY: integration-hcl1

$(HCL1DUMP): tests/hcl1/hcl1dump.go
	mkdir -p $(dir $@)
	cd tests/hcl1 && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(ROOT)/.cache/hcl1/gocache GOFLAGS= \
	  go build -o $@ hcl1dump.go

integration-hcl1: $(HCL1DUMP)
	HCL1DUMP=$(HCL1DUMP) PYTHONPATH=$(ROOT)/.cache/collections \
	  python -m pytest -q -p no:cacheprovider tests/hcl1
