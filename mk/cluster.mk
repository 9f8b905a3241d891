# The test cluster (tests/tools/cluster/): kube-apiserver, controller-manager and scheduler from the
# k8s.io/kubernetes Go module, etcd from go.etcd.io/etcd/server/v3, simulated nodes from kwok;
# versions pinned in tests/tools/cluster/versions.env, binaries cached outside the checkout by version.
#   cluster-build  build the binaries (seconds when cached)
#   cluster-up     start it (kubeconfig: .cache/cluster/kubeconfig), nodes over 3 zones
#   cluster-down   stop it and delete its state
.PHONY: cluster-build cluster-up cluster-down

cluster-build:
	@bash tests/tools/cluster/build.sh

cluster-up: bootstrap
	@bash tests/tools/cluster/cluster.sh up

cluster-down:
	@bash tests/tools/cluster/cluster.sh down
