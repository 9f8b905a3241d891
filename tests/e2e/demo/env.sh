# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Names, ports and paths of the local demo (sourced by the other scripts in tests/e2e/demo/).
# Ports differ from the defaults so the demo can run next to the Molecule scenarios.
DEMO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
DEMO_STATE="$DEMO_ROOT/.cache/demo"
DEMO_NETWORK=edgeops-demo
DEMO_CONTAINERS=(edgeops-demo-amd64-1 edgeops-demo-amd64-2 edgeops-demo-arm64-1)
DEMO_PULL_CONTAINER=edgeops-demo-pull-amd64
# The lifecycle scenarios' extra hosts (tests/e2e/lifecycle/run.sh, "site A"; inventory tests/e2e/lifecycle/inventory.yml)
DEMO_LIFECYCLE_CONTAINERS=(edgeops-demo-lc-1 edgeops-demo-lc-2 edgeops-demo-lc-3)
DEMO_PULL_IMAGE=localhost/edgeops-demo-pull:amd64
# The demo's own test cluster (tests/tools/cluster/cluster.sh), beside the one Molecule uses on 6443.
export EDGEOPS_CLUSTER_DIR="$DEMO_STATE/cluster" EDGEOPS_CLUSTER_PORT=16443
export K8S_AUTH_KUBECONFIG="$EDGEOPS_CLUSTER_DIR/kubeconfig"
# Set by tests/e2e/demo/up.sh once the services run (read back by the other scripts):
demo_load_env() {
  [ -f "$DEMO_STATE/env" ] || return 0
  # shellcheck source=/dev/null
  . "$DEMO_STATE/env"
}
# The start of a test script run against the running demo: from the repository root, with the demo's
# service addresses loaded, PY the project's Python and out the (created) demo-output folder.
demo_test_init() {
  cd "$DEMO_ROOT" || return
  demo_load_env
  PY="$DEMO_ROOT/.venv/bin/python"
  out="$DEMO_ROOT/demo-output"; mkdir -p "$out"
}
