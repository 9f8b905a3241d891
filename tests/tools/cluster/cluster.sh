#!/usr/bin/env bash
# The test cluster: a real, current Kubernetes control plane on 127.0.0.1 with simulated nodes.
#   etcd + kube-apiserver (PodSecurity and ValidatingAdmissionPolicy admission on)
#   + kube-controller-manager (StatefulSet, disruption, PV binder, hostPath provisioner, pod GC, ...)
#   + kube-scheduler + kwok (keeps fake nodes Ready, moves pods bound to them to Running/Ready)
#   + stand-ins for OpenShift's namespace UID allocation and the Vault Secrets Operator
#     (standin_controllers.py).
# Binaries are built from Go modules by tests/tools/cluster/build.sh (versions in versions.env).
#
#   tests/tools/cluster/cluster.sh up [LAYOUT]    start everything, install CRDs, StorageClass, the
#                                           restricted-v2 admission policy, nodes of LAYOUT
#   tests/tools/cluster/cluster.sh down           stop everything and delete the cluster's state
#   tests/tools/cluster/cluster.sh layout LAYOUT  replace the fake nodes: `zones` (4 nodes over 3 zones,
#                                           the default), `nozone` (4 nodes without a zone label) or
#                                           `zones5` (zones plus a fifth node)
#   tests/tools/cluster/cluster.sh status         exit 0 when the API server answers /readyz
#   tests/tools/cluster/cluster.sh restart NAME [SECONDS]
#                                           SIGKILL one component (e.g. kube-apiserver), start it again
#                                           with the same arguments after SECONDS (default 2); for the
#                                           interruption tests (tests/e2e/interrupt/)
#   tests/tools/cluster/cluster.sh env            print `export K8S_AUTH_KUBECONFIG=...` for eval
#
# Environment (optional): EDGEOPS_CLUSTER_DIR (state; default <repo>/.cache/cluster, kubeconfig in
# it), EDGEOPS_CLUSTER_PORT (API server port, default 6443; etcd, controller-manager and scheduler
# use the next ports so two clusters can run side by side with different values).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/tests/tools/cluster"
RUN="${EDGEOPS_CLUSTER_DIR:-$ROOT/.cache/cluster}"
PORT="${EDGEOPS_CLUSTER_PORT:-6443}"
ETCD_PORT=$((PORT + 10)) ETCD_PEER_PORT=$((PORT + 11)) KCM_PORT=$((PORT + 12))
SCHED_PORT=$((PORT + 13)) KWOK_PORT=$((PORT + 14))
PY="${PYTHON:-$ROOT/.venv/bin/python}"
COMPONENTS=(standin-controllers kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

log() { printf '== cluster: %s\n' "$*" >&2; }

api_ready() {
  [ -f "$RUN/token" ] || return 1
  curl -fsk --max-time 2 -H "Authorization: Bearer $(cat "$RUN/token")" \
    "https://127.0.0.1:$PORT/readyz" 2>/dev/null | grep -qx ok
}

wait_for() {  # wait_for SECONDS CMD...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

spawn() {  # spawn NAME CMD... : start detached, record the PID
  local name=$1; shift
  setsid "$@" >"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
}

kube() { K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" "$PY" "$HERE/kube.py" "$@"; }

write_credentials() {
  (umask 077
   head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$RUN/token"
   openssl genrsa -out "$RUN/sa.key" 2048 2>/dev/null
   openssl rsa -in "$RUN/sa.key" -pubout -out "$RUN/sa.pub" 2>/dev/null
   printf '%s,admin,admin-uid,system:masters\n' "$(cat "$RUN/token")" > "$RUN/tokens.csv"
   cat > "$RUN/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: edgeops-test
    cluster:
      server: https://127.0.0.1:$PORT
      certificate-authority: $RUN/certs/apiserver.crt
users:
  - name: admin
    user:
      tokenFile: $RUN/token
contexts:
  - name: edgeops-test
    context: {cluster: edgeops-test, user: admin}
current-context: edgeops-test
EOF
  )
}

up() {
  local layout="${1:-zones}"
  if api_ready && all_alive; then
    log "already running (kubeconfig $RUN/kubeconfig)"
    kube layout "$layout"
    return 0
  fi
  local start; start=$(date +%s)
  local dirs; mapfile -t dirs < <(bash "$HERE/build.sh" --print-dirs)
  local ETCD="${dirs[0]}/etcd" KWOK="${dirs[1]}/kwok" KUBE="${dirs[2]}"
  stop_procs
  rm -rf "$RUN"
  mkdir -p "$RUN/certs" "$RUN/etcd" "$RUN/hostpath"
  chmod 0700 "$RUN" "$RUN/etcd"
  write_credentials
  spawn etcd "$ETCD" --data-dir "$RUN/etcd" --name edgeops-test \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "edgeops-test=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --quota-backend-bytes $((2 * 1024 * 1024 * 1024))
  # The apiserver generates its own serving certificate for 127.0.0.1 in --cert-dir.
  spawn kube-apiserver "$KUBE/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT" --cert-dir="$RUN/certs" \
    --token-auth-file="$RUN/tokens.csv" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,DefaultStorageClass,ValidatingAdmissionPolicy,ResourceQuota \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$RUN/sa.pub" --service-account-signing-key-file="$RUN/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --service-node-port-range=30000-32767 \
    --allow-privileged=true --profiling=false
  if ! wait_for 120 api_ready; then
    log "kube-apiserver not ready after 120 s; last log lines:"; tail -n 30 "$RUN/kube-apiserver.log" >&2
    stop_procs; exit 1
  fi
  spawn kube-controller-manager "$KUBE/kube-controller-manager" --kubeconfig="$RUN/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --service-account-private-key-file="$RUN/sa.key" --root-ca-file="$RUN/certs/apiserver.crt" \
    --use-service-account-credentials=false --controllers='*' \
    --enable-hostpath-provisioner=true --pvclaimbinder-sync-period=2s \
    --cluster-cidr=10.244.0.0/16 --allocate-node-cidrs=false --profiling=false
  spawn kube-scheduler "$KUBE/kube-scheduler" --kubeconfig="$RUN/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --profiling=false
  # kwok manages only nodes annotated kwok.x-k8s.io/node=fake (the nodes kube.py creates) with its
  # default stages (node init and heartbeat, pod ready, complete, delete) and node Leases renewed
  # every 10 s, so the node lifecycle controller never sees a node go silent (NotReady would mark
  # the pods not Ready, and kwok sets Ready only once).
  spawn kwok "$KWOK" --kubeconfig="$RUN/kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 --cidr=10.244.0.1/16 --node-ip=127.0.0.1 \
    --server-address="127.0.0.1:$KWOK_PORT"
  kube setup --crds "${EDGEOPS_SHARED:-$ROOT/../shared}/schemas/crds" \
    --scc "${EDGEOPS_SHARED:-$ROOT/../shared}/schemas/scc-restricted-v2.yaml"
  # TEST DOUBLES of controllers a real cluster has: OpenShift's namespace UID allocation (plus the
  # Pod Security labels this test bed enforces) and the Vault Secrets Operator.
  K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" spawn standin-controllers "$PY" "$HERE/standin_controllers.py"
  kube layout "$layout"
  if ! all_alive; then
    log "a component exited:"; status_lines >&2; stop_procs; exit 1
  fi
  log "up in $(( $(date +%s) - start )) s: export K8S_AUTH_KUBECONFIG=$RUN/kubeconfig"
}

status_lines() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then echo "$c: running (pid $(cat "$RUN/$c.pid"))"
    else echo "$c: not running"; [ -f "$RUN/$c.log" ] && tail -n 5 "$RUN/$c.log"; fi
  done
}

stop_procs() {
  local name pid
  for name in "${COMPONENTS[@]}"; do
    [ -f "$RUN/$name.pid" ] || continue
    pid="$(cat "$RUN/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait_for 20 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
  done
}

restart() {  # restart NAME SECONDS: a crash and a restart with the same command line
  local name=$1 down=$2 pid argv
  if [ "$name" = standin-controllers ] && ! alive "$name"; then
    K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" spawn standin-controllers "$PY" "$HERE/standin_controllers.py"
    log "standin-controllers started again"; return 0
  fi
  alive "$name" || { log "$name is not running"; return 1; }
  pid="$(cat "$RUN/$name.pid")"
  mapfile -d '' -t argv < "/proc/$pid/cmdline"
  kill -9 "$pid"
  wait_for 20 bash -c "! kill -0 $pid 2>/dev/null"
  sleep "$down"
  setsid "${argv[@]}" >>"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  if [ "$name" = kube-apiserver ] && ! wait_for 120 api_ready; then
    log "kube-apiserver not ready after the restart"; return 1
  fi
  log "$name restarted (down ${down} s)"
  # The Go components retry; the Python stand-in controllers (a test double) exit once the API server
  # is gone for longer than their client's retries, as a crash-looping pod would: start them again.
  sleep 1
  if ! alive standin-controllers; then
    K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" spawn standin-controllers "$PY" "$HERE/standin_controllers.py"
    log "standin-controllers started again"
  fi
}

down() {
  stop_procs
  rm -rf "$RUN"
  log "down"
}

case "${1:-}" in
  up) up "${2:-zones}" ;;
  down) down ;;
  layout) api_ready || { log "not running"; exit 1; }; kube layout "${2:?layout: zones, nozone or zones5}" ;;
  status) api_ready && all_alive && status_lines ;;
  env) echo "export K8S_AUTH_KUBECONFIG=$RUN/kubeconfig" ;;
  restart) restart "${2:?restart: a component, e.g. kube-apiserver}" "${3:-2}" ;;
  *) sed -n '2,23p' "$0" >&2; exit 2 ;;
esac
