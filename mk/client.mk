# edgeops.nomad.nomad_client (issue 4): edge clients on Linux and Windows.
#   integration-client  syntax check of the Windows task files, shellcheck of the test scripts (quick)
#   molecule-client     Molecule scenario molecule/nomad_client on 2 amd64 + 1 arm64 systemd containers
#                       (images cached by tests/images/build.sh, stand-in Nomad served by a local mirror)
#   benchmark-client    benchmarks/converge_clients (not part of make test)
INTEGRATION_STEPS += integration-client
MOLECULE_STEPS += molecule-client

.PHONY: integration-client molecule-client client-images benchmark-client

integration-client:
	shellcheck tests/images/build.sh tests/stand_in_nomad/*.sh benchmarks/converge_clients
	shellcheck -s sh tests/stand_in_nomad/nomad.sh.in
	ANSIBLE_HOST_PATTERN_MISMATCH=ignore ansible-playbook -i localhost, --syntax-check tests/unit/roles/nomad_client/windows_syntax.yml

client-images:
	@bash tests/images/build.sh amd64 >/dev/null
	@bash tests/images/build.sh arm64 >/dev/null

molecule-client: client-images
	cd molecule/.. && bash tests/stand_in_nomad/with_mirror.sh molecule test -s nomad_client

benchmark-client: client-images
	@bash tests/stand_in_nomad/with_mirror.sh benchmarks/converge_clients
