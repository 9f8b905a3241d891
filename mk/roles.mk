# The roles: edgeops.nomad.nomad_server (Nomad servers on OpenShift/Kubernetes) and
# edgeops.nomad.nomad_client (edge clients on Linux and Windows), alone and at fleet scale.
# The role unit tests (tests/roles) run in `make unit`.
#   integration-client  syntax check of the Windows task files, shellcheck of the test scripts, and
#                       docs/role_*.md exactly as aar-doc generates them from the argument specs (quick)
#   integration-fleet   the client role's controller-side fetch over 3 batches of one host, no containers
#                       (tests/e2e/fleet/fetch_batches.sh): each batch gets its platform's verified binary; one
#                       run requests SHA256SUMS, its signature and each archive once, a second run no archive
#   integration-server  offline: render every input set of tests/tools/k8s_validate/inputs through the role's
#                       GitOps path; kubernetes-validate --strict 1.27 + 1.33, CRs against the CRDs,
#                       restricted-v2 SCC rules, server.hcl against Nomad's schema
#   molecule-client     Molecule scenario molecule/nomad_client on 2 amd64 + 1 arm64 systemd containers
#                       (images from mk/images.mk, stand-in Nomad served by a local mirror)
#   molecule-client-package  Molecule scenario molecule/nomad_client_package on one amd64 systemd container: the
#                       package install method against a signed stand-in of HashiCorp's APT repository
#                       (tests/tools/stand_in_nomad/with_apt_repo.sh, served on the scenario's podman network): one
#                       agent, client only, the role's unit; the package upgraded by the role and outside it
#   molecule-fleet      tests/e2e/fleet/run.sh on 6 amd64 systemd containers (the stand-in Nomad mirror from
#                       tests/tools/stand_in_nomad/with_mirror.sh, the Nomad API double): edgeops.nomad.edge_clients
#                       with its default serial (several batches, one download per run), a dead host (the
#                       others converge, the summary names it), the stop past nomad_clients_max_fail_percentage,
#                       upgrade_clients over 3 hosts with serial 1
#   benchmark-smoke     benchmarks/side_by_side.py --smoke: one amd64 host, this collection's role only; fails
#                       when the re-converge changes anything or a converged host takes more than 1 module run
#                       (re-converge and --check --diff: edgeops.nomad.nomad_client_state, which also brings the
#                       facts). No timing asserted
#   molecule-server     molecule/nomad_server on the test cluster of mk/cluster.mk (real apiserver,
#                       controller-manager, scheduler 1.34, kwok nodes, OpenShift-like admission);
#                       also `molecule syntax` of molecule/kind (needs Docker + internet to run)
#   molecule-federation molecule/nomad_server_federation on the same test cluster: two federated regions in two
#                       namespaces (east authoritative, west with the replication token made in east), each
#                       region's Nomad API a double; the three faults the role must refuse
# Not in make test:
#   benchmark-client    benchmarks/converge_clients
#   benchmark           benchmarks/side_by_side.py: this collection against an unmodified checkout of
#                       ansible-community/ansible-nomad at the pinned commit (ANSIBLE_NOMAD_DIR=...), 3 hosts
#                       (2 amd64 + 1 arm64), 6 and 12 amd64, 3 interleaved repetitions; BENCHMARK_ARGS to
#                       change (e.g. add --reps-for 6=1,12=2 for a shorter run); then benchmark-inventory
#   benchmark-inventory the nomad_nodes inventory with details: true on 1,000 nodes (prints figures)
#   benchmark-scale     benchmarks/side_by_side.py --scale: this collection only, on 3, 6, 12, 25 and 50 fresh amd64
#                       containers (first converge, re-converge, --check --diff; forks 12), 3 repetitions,
#                       repetition-major: wall time, controller CPU and peak RSS, module runs per host, the cost per
#                       added host between the host counts, re-converge 12 vs 3 hosts and the flatness of the CPU per
#                       added host from 12 to 50 (medians). 50 systemd containers need
#                       fs.inotify.max_user_instances >= 256 + what else runs (the script checks; 128 stops the 26th);
#                       BENCHMARK_SCALE_ARGS to change (e.g. add --reps-for 3=3,50=1 --json scale.json). A 25-host
#                       point against the anchor: make benchmark BENCHMARK_ARGS="--hosts 25 --reps 1"
#   benchmark-cost      benchmarks/per_host_cost.py: where one more host's cost goes on this bed (podman exec,
#                       a task on a host, a module run, forks below the host count), on 12 fresh containers with
#                       role-less plays, 3 repetitions; BENCHMARK_COST_ARGS to change (e.g. --hosts 25)
INTEGRATION_STEPS += integration-client integration-fleet integration-server
MOLECULE_STEPS += molecule-client molecule-client-package molecule-fleet benchmark-smoke molecule-server molecule-federation
BENCHMARK_ARGS ?= --hosts 3,6,12 --arm64 --reps 3
BENCHMARK_SCALE_ARGS ?= --hosts 3,6,12,25,50 --reps 3

.PHONY: integration-client integration-fleet integration-server molecule-client molecule-client-package molecule-fleet molecule-server molecule-federation
.PHONY: benchmark-smoke benchmark-client benchmark benchmark-inventory benchmark-scale benchmark-cost

integration-client:
	shellcheck tests/tools/edge_images/build.sh tests/tools/stand_in_nomad/*.sh benchmarks/converge_clients
	shellcheck -s sh tests/tools/stand_in_nomad/nomad.sh.in tests/tools/stand_in_nomad/package/DEBIAN/preinst \
	  tests/tools/stand_in_nomad/package/DEBIAN/postinst tests/tools/stand_in_nomad/package/DEBIAN/postrm
	ANSIBLE_HOST_PATTERN_MISMATCH=ignore ansible-playbook -i localhost, --syntax-check tests/roles/nomad_client/windows_syntax.yml
	shellcheck scripts/role-docs.sh
	bash scripts/role-docs.sh --check

integration-fleet:
	shellcheck tests/e2e/fleet/*.sh
	bash tests/tools/stand_in_nomad/with_mirror.sh tests/e2e/fleet/fetch_batches.sh

integration-server:
	shellcheck tests/tools/cluster/*.sh
	python -m tests.tools.k8s_validate.run

molecule-client: images-amd64 images-arm64
	cd molecule/.. && bash tests/tools/stand_in_nomad/with_mirror.sh molecule test -s nomad_client

# The harness creates the scenario's network (so the repository is served on its gateway before the containers
# exist); the scenario's sequence starts with create, and its destroy removes the network.
molecule-client-package: images-amd64
	molecule destroy -s nomad_client_package >/dev/null 2>&1 || true
	bash tests/tools/stand_in_nomad/with_apt_repo.sh edgeops-nomad-client-package molecule test -s nomad_client_package

molecule-fleet: images-amd64
	bash tests/tools/stand_in_nomad/with_mirror.sh tests/e2e/fleet/run.sh

benchmark-smoke: images-amd64
	bash tests/tools/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py --smoke

molecule-server: cluster-build
	molecule syntax -s kind
	molecule test -s nomad_server

molecule-federation: cluster-build
	molecule test -s nomad_server_federation

benchmark-client: images-amd64 images-arm64
	@bash tests/tools/stand_in_nomad/with_mirror.sh benchmarks/converge_clients

benchmark: bootstrap images-amd64 images-arm64
	@[ -n "$${ANSIBLE_NOMAD_DIR:-}" ] || { echo "make benchmark: set ANSIBLE_NOMAD_DIR to a checkout of ansible-community/ansible-nomad (commit pinned in benchmarks/side_by_side.py)"; exit 2; }
	bash tests/tools/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py $(BENCHMARK_ARGS)
	$(MAKE) --no-print-directory benchmark-inventory

benchmark-scale: bootstrap images-amd64
	bash tests/tools/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py --scale $(BENCHMARK_SCALE_ARGS)

benchmark-cost: bootstrap images-amd64
	python benchmarks/per_host_cost.py $(BENCHMARK_COST_ARGS)

benchmark-inventory:
	PYTHONPATH=$(ROOT)/.cache/collections python benchmarks/inventory_nomad_nodes.py --nodes 1000 --details
