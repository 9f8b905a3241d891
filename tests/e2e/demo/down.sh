#!/usr/bin/env bash
# Remove everything the demo created: containers, network, API server processes and data, the
# mirror and API double processes, demo state. Cached images and binaries stay.
set -uo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$DEMO_ROOT" || exit 1
for name in "${DEMO_CONTAINERS[@]}" "$DEMO_PULL_CONTAINER" "${DEMO_LIFECYCLE_CONTAINERS[@]}"; do
  if podman container exists "$name" 2>/dev/null; then
    podman rm -f -t 0 "$name" >/dev/null && echo "demo-clean: removed container $name"
  fi
done
podman network exists "$DEMO_NETWORK" 2>/dev/null && podman network rm "$DEMO_NETWORK" >/dev/null && echo "demo-clean: removed network $DEMO_NETWORK"
for svc in server-config mirror nomad-double; do
  if [ -f "$DEMO_STATE/$svc.pid" ]; then
    kill "$(cat "$DEMO_STATE/$svc.pid")" 2>/dev/null && echo "demo-clean: stopped $svc (test double)"
  fi
done
[ -d "$EDGEOPS_CLUSTER_DIR" ] && bash tests/tools/cluster/cluster.sh down && echo "demo-clean: stopped the test cluster and removed its data"
rm -rf "$DEMO_STATE" "$DEMO_ROOT/demo-output"
echo "demo-clean: done (cached images and binaries kept)"
