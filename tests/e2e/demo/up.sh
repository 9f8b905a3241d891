#!/usr/bin/env bash
# Bring up what the demo runs against (each step is skipped when already up; images and binaries
# are cached and rebuilt only when missing):
#   - the test cluster on 127.0.0.1:16443 (tests/tools/cluster/cluster.sh: kube-apiserver, controller-manager,
#     scheduler 1.34, etcd, kwok nodes over 3 zones; OpenShift-like admission)
#   - three Debian 12 systemd containers on the podman network edgeops-demo: two amd64, one arm64
#   - TEST DOUBLES: the stand-in Nomad release mirror (tests/tools/stand_in_nomad/) served on the network's
#     gateway, and the Nomad API double (tests/tools/nomad_api_double/): its HTTP API on 127.0.0.1, its client RPC
#     routes on the gateway at the servers' NodePort (30647, where the clients' `servers` point), over mutual TLS;
#     it follows the servers' ConfigMap (tests/e2e/demo/server_config.py), so it enforces what the role configured
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$DEMO_ROOT"
mkdir -p "$DEMO_STATE"
log() { printf 'demo: %s\n' "$*" >&2; }
# alive PIDFILE WORD: the recorded process exists and is ours (after a restart the PID can belong to
# another process).
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && tr '\0' ' ' < "/proc/$(cat "$1")/cmdline" | grep -q -- "$2"; }
container_answers() { timeout 30 podman exec "$1" true >/dev/null 2>&1; }


log "test cluster (real Kubernetes control plane 1.34, simulated nodes)"
bash tests/tools/cluster/cluster.sh up zones

log "edge container images (cached)"
bash tests/tools/edge_images/build.sh amd64 >/dev/null
bash tests/tools/edge_images/build.sh arm64 >/dev/null

podman network exists "$DEMO_NETWORK" || podman network create "$DEMO_NETWORK" >/dev/null
for name in "${DEMO_CONTAINERS[@]}"; do
  arch="${name#edgeops-demo-}"; arch="${arch%-*}"
  # Reuse only a container that answers `podman exec`: after a machine restart podman can still
  # list a container as running (.State.Running) while its processes are gone.
  if ! container_answers "$name"; then
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    log "starting container $name ($arch)"
    podman run -d --name "$name" --hostname "$name" --network "$DEMO_NETWORK" \
      --arch "$arch" --label edgeops.demo=1 "localhost/edgeops-bookworm-systemd:$arch" >/dev/null
  fi
done
for name in "${DEMO_CONTAINERS[@]}"; do
  for _ in $(seq 120); do
    state="$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) break ;; esac
    sleep 0.5
  done
done

gateway="$(podman network inspect "$DEMO_NETWORK" --format '{{range .Subnets}}{{.Gateway}}{{end}}')"
[ -n "$gateway" ] || { log "no gateway address on network $DEMO_NETWORK"; exit 1; }

# TEST DOUBLE: the stand-in Nomad release mirror. Built once (stable throwaway key) and again when the stand-in's
# sources change (the controller's cache of the old artifacts goes with it); served on the podman network's
# gateway so the controller and the containers use the same URL.
stand_in_sum="$(cat tests/tools/stand_in_nomad/nomad.sh.in tests/tools/stand_in_nomad/agent.py tests/tools/stand_in_nomad/build_mirror.sh | sha256sum | cut -c1-16)"
if [ ! -f "$DEMO_STATE/mirror/fingerprint" ] || [ "$(cat "$DEMO_STATE/mirror.source" 2>/dev/null)" != "$stand_in_sum" ]; then
  log "building the stand-in Nomad mirror (test double)"
  bash tests/tools/stand_in_nomad/build_mirror.sh "$DEMO_STATE/mirror" >/dev/null
  rm -rf "$DEMO_STATE/controller-cache"
  echo "$stand_in_sum" > "$DEMO_STATE/mirror.source"
fi
if ! alive "$DEMO_STATE/mirror.pid" http.server || [ "$(cat "$DEMO_STATE/mirror.addr" 2>/dev/null)" != "$gateway" ]; then
  if [ -f "$DEMO_STATE/mirror.pid" ]; then kill "$(cat "$DEMO_STATE/mirror.pid")" 2>/dev/null || true; fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  setsid python3 -m http.server --bind "$gateway" --directory "$DEMO_STATE/mirror" "$port" \
    > "$DEMO_STATE/mirror.log" 2>&1 < /dev/null &
  echo $! > "$DEMO_STATE/mirror.pid"
  echo "$gateway" > "$DEMO_STATE/mirror.addr"
  echo "http://$gateway:$port" > "$DEMO_STATE/mirror.url"
  for _ in $(seq 50); do curl -fsS -o /dev/null "$(cat "$DEMO_STATE/mirror.url")/fingerprint" 2>/dev/null && break; sleep 0.1; done
fi

# TEST MATERIAL: a throwaway CA, server and client certificates (server.global.nomad / client.global.nomad, as Nomad's
# verify_server_hostname wants them); they live 2 days, so they are rewritten when older than one (or made before
# they carried those names), and the double restarted with them.
if [ -z "$(find "$DEMO_STATE/tls/client-key.pem" -mtime -1 2>/dev/null)" ] || [ ! -f "$DEMO_STATE/tls/nomad-names" ]; then
  mkdir -p "$DEMO_STATE/tls"
  "$DEMO_ROOT/.venv/bin/python" -m tests.tools.nomad_api_double.testca "$DEMO_STATE/tls" >/dev/null
  touch "$DEMO_STATE/tls/nomad-names"
  if [ -f "$DEMO_STATE/nomad-double.pid" ]; then kill "$(cat "$DEMO_STATE/nomad-double.pid")" 2>/dev/null || true; fi
fi

# TEST DOUBLE: the Nomad API double with ACLs on (state lives in its process): the HTTP API on 127.0.0.1 (NOMAD_ADDR),
# the client RPC routes on the gateway at the servers' RPC NodePort with the servers' certificate, requiring a
# client certificate of the demo CA (inventories/local: nomad_client_servers = <gateway>:30647).
rpc_listen="$gateway:30647"
if ! alive "$DEMO_STATE/nomad-double.pid" "rpc-listen $rpc_listen"; then
  log "starting the Nomad API double (test double)"
  if [ -f "$DEMO_STATE/nomad-double.pid" ]; then kill "$(cat "$DEMO_STATE/nomad-double.pid")" 2>/dev/null || true; fi
  rm -f "$DEMO_STATE/nomad-double.url"
  setsid "$DEMO_ROOT/.venv/bin/python" -m tests.tools.nomad_api_double --acl --url-file "$DEMO_STATE/nomad-double.url" \
    --rpc-listen "$rpc_listen" --rpc-tls-cert "$DEMO_STATE/tls/server.pem" --rpc-tls-key "$DEMO_STATE/tls/server-key.pem" \
    --rpc-tls-client-ca "$DEMO_STATE/tls/ca.pem" > "$DEMO_STATE/nomad-double.log" 2>&1 < /dev/null &
  echo $! > "$DEMO_STATE/nomad-double.pid"
  for _ in $(seq 50); do [ -s "$DEMO_STATE/nomad-double.url" ] && break; sleep 0.1; done
  # A new double is a new cluster: node identities it did not sign are refused. Hosts kept from an earlier demo
  # forget their client state (node ID, identity) and join it as new nodes at their next converge.
  for name in "${DEMO_CONTAINERS[@]}"; do
    podman exec "$name" sh -c 'systemctl stop nomad 2>/dev/null; rm -rf /opt/nomad/data/client' >/dev/null 2>&1 || true
  done
fi
# TEST HARNESS: the double follows the servers' ConfigMap the server role applies (enforcement, node_gc_threshold,
# heartbeats, advertise.rpc), as Nomad servers would start with it.
if ! alive "$DEMO_STATE/server-config.pid" "server_config.py --double $(cat "$DEMO_STATE/nomad-double.url")"; then
  if [ -f "$DEMO_STATE/server-config.pid" ]; then kill "$(cat "$DEMO_STATE/server-config.pid")" 2>/dev/null || true; fi
  setsid "$DEMO_ROOT/.venv/bin/python" tests/e2e/demo/server_config.py --double "$(cat "$DEMO_STATE/nomad-double.url")" \
    > "$DEMO_STATE/server-config.log" 2>&1 < /dev/null &
  echo $! > "$DEMO_STATE/server-config.pid"
fi

# The servers' TLS Secret, as a user's PKI would provide it (the server role's default TLS source).
K8S_AUTH_KUBECONFIG="$EDGEOPS_CLUSTER_DIR/kubeconfig" "$DEMO_ROOT/.venv/bin/python" tests/tools/cluster/kube.py tls-secret \
  edgeops-demo nomad-tls "$DEMO_STATE/tls/ca.pem" "$DEMO_STATE/tls/server.pem" "$DEMO_STATE/tls/server-key.pem" >/dev/null

# TEST DOUBLE: stand-in artifacts of the edge jobs, served by the mirror's server, with their SHA-256 (what
# deploy_jobs passes as the jobs' variables, inventories/local/group_vars/nomad_control_plane.yml).
if [ ! -f "$DEMO_STATE/mirror/artifacts/opcua-bridge.jar.sha256" ]; then
  bash tests/e2e/demo/job_artifacts.sh "$DEMO_STATE/mirror/artifacts" >/dev/null
fi

cat > "$DEMO_STATE/env" <<ENV
export EDGEOPS_DEMO_TLS_DIR=$DEMO_STATE/tls
export EDGEOPS_DEMO_EDGE_RPC_ADDRESS=$gateway
export EDGEOPS_NOMAD_MIRROR_URL=$(cat "$DEMO_STATE/mirror.url")
export EDGEOPS_NOMAD_MIRROR_DIR=$DEMO_STATE/mirror
export EDGEOPS_NOMAD_CACHE_DIR=$DEMO_STATE/controller-cache
export NOMAD_ADDR=$(cat "$DEMO_STATE/nomad-double.url")
ENV
log "up: test cluster https://127.0.0.1:$EDGEOPS_CLUSTER_PORT, containers ${DEMO_CONTAINERS[*]}, mirror $(cat "$DEMO_STATE/mirror.url"), Nomad API double $(cat "$DEMO_STATE/nomad-double.url")"
