# edgeops.nomad.nomad_server (issue 5): Nomad servers on OpenShift/Kubernetes.
#   integration-server  offline: render every input set of tests/k8s_validate/inputs through the role's
#                       GitOps path; kubernetes-validate --strict 1.27 + 1.33, CRs against the CRDs,
#                       restricted-v2 SCC rules, server.hcl against Nomad's schema
#   molecule-server     molecule/nomad_server on a real kube-apiserver + controller-manager 1.20 built
#                       from Debian sources (cached in .cache/kube/ by tests/kube/apiserver.sh);
#                       also `molecule syntax` of molecule/kind (needs Docker + internet to run)
#   kube-apiserver      build/cache the API server binaries only
INTEGRATION_STEPS += integration-server
MOLECULE_STEPS += molecule-server

.PHONY: integration-server molecule-server kube-apiserver

integration-server:
	shellcheck tests/kube/apiserver.sh
	python -m tests.k8s_validate.run

kube-apiserver:
	@bash tests/kube/apiserver.sh build

molecule-server: kube-apiserver
	molecule syntax -s kind
	molecule test -s nomad_server
