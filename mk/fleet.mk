# Fleets (issue 15): edge clients rolled out in serial batches.
#   integration-fleet  the client role's controller-side fetch over 3 batches of one host, no containers
#                    (tests/fleet/fetch_batches.sh): each batch gets its platform's verified binary; one run
#                    requests SHA256SUMS, its signature and each archive once, a second run no archive
#   molecule-fleet   tests/fleet/run.sh on 6 amd64 systemd containers (images from tests/images/build.sh, the
#                    stand-in Nomad mirror from tests/stand_in_nomad/with_mirror.sh, the Nomad API double):
#                    edgeops.nomad.edge_clients with its default serial (several batches, one download per run),
#                    a dead host (the others converge, the summary names it), the stop past
#                    nomad_clients_max_fail_percentage, upgrade_clients over 3 hosts with serial 1
#   benchmark-smoke  benchmarks/side_by_side.py --smoke: one amd64 host, this collection's role only; fails when the
#                    re-converge changes anything or a converged host takes more than 3 module runs (re-converge and
#                    --check --diff; the role needs 2: facts and edgeops.nomad.nomad_client_state). No timing asserted
#   benchmark        (not in make test) benchmarks/side_by_side.py: this collection against an unmodified checkout of
#                    ansible-community/ansible-nomad at the pinned commit (ANSIBLE_NOMAD_DIR=...), 3 hosts (2 amd64 +
#                    1 arm64), 6 and 12 amd64, 3 interleaved repetitions; BENCHMARK_ARGS to change (e.g. add
#                    --reps-for 6=1,12=2 for a shorter run); then benchmark-inventory
#   benchmark-inventory  the nomad_nodes inventory with details: true on 1,000 nodes (prints figures; not in make test)
INTEGRATION_STEPS += integration-fleet
MOLECULE_STEPS += molecule-fleet benchmark-smoke
BENCHMARK_ARGS ?= --hosts 3,6,12 --arm64 --reps 3

.PHONY: integration-fleet molecule-fleet fleet-image benchmark-smoke benchmark benchmark-inventory

integration-fleet:
	shellcheck tests/fleet/*.sh
	bash tests/stand_in_nomad/with_mirror.sh tests/fleet/fetch_batches.sh

fleet-image:
	@bash tests/images/build.sh amd64 >/dev/null

molecule-fleet: fleet-image
	bash tests/stand_in_nomad/with_mirror.sh tests/fleet/run.sh

benchmark-smoke: fleet-image
	bash tests/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py --smoke

benchmark: bootstrap fleet-image
	@bash tests/images/build.sh arm64 >/dev/null
	@[ -n "$${ANSIBLE_NOMAD_DIR:-}" ] || { echo "make benchmark: set ANSIBLE_NOMAD_DIR to a checkout of ansible-community/ansible-nomad (commit pinned in benchmarks/side_by_side.py)"; exit 2; }
	bash tests/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py $(BENCHMARK_ARGS)
	$(MAKE) --no-print-directory benchmark-inventory

benchmark-inventory:
	PYTHONPATH=$(ROOT)/.cache/collections python benchmarks/inventory_nomad_nodes.py --nodes 1000 --details
