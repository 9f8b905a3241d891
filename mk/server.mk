# edgeops.nomad.nomad_server (issue 5): Nomad servers on OpenShift/Kubernetes.
#   integration-server  offline: render every input set of tests/k8s_validate/inputs through the role's
#                       GitOps path; kubernetes-validate --strict 1.27 + 1.33, CRs against the CRDs,
#                       restricted-v2 SCC rules, server.hcl against Nomad's schema
#   molecule-server     molecule/nomad_server on the test cluster of mk/cluster.mk (real apiserver,
#                       controller-manager, scheduler 1.34, kwok nodes, OpenShift-like admission);
#                       also `molecule syntax` of molecule/kind (needs Docker + internet to run)
INTEGRATION_STEPS += integration-server
MOLECULE_STEPS += molecule-server

.PHONY: integration-server molecule-server

integration-server:
	shellcheck tests/cluster/*.sh
	python -m tests.k8s_validate.run

molecule-server: cluster-build
	molecule syntax -s kind
	molecule test -s nomad_server
