#!/usr/bin/env bash
# A real (test-only) Kubernetes API server on 127.0.0.1: etcd + kube-apiserver +
# kube-controller-manager 1.20, built from Debian bookworm's `kubernetes` source package.
#
#   tests/kube/apiserver.sh build    build and cache the binaries (skipped when cached)
#   tests/kube/apiserver.sh start    start etcd, apiserver, controller-manager; write a kubeconfig
#   tests/kube/apiserver.sh stop     stop the three processes by their recorded PIDs
#   tests/kube/apiserver.sh status   exit 0 when the apiserver answers /readyz
#   tests/kube/apiserver.sh env      print `export K8S_AUTH_KUBECONFIG=...` for eval
#   tests/kube/apiserver.sh crds     install the CRDs (test-only 1.20 downgrade, see crds.py)
#
# Environment (all optional):
#   KUBE_CACHE_DIR  build cache (default <repo>/.cache/kube); binaries in $KUBE_CACHE_DIR/bin
#   KUBE_RUN_DIR    state of a running server (default $KUBE_CACHE_DIR/run): etcd data,
#                   certs, token, kubeconfig, logs, pids. `stop` deletes it.
#   KUBE_PORT       apiserver secure port (default 6443); etcd uses KUBE_ETCD_PORT (2379)
#                   and KUBE_ETCD_PEER_PORT (2380); controller-manager KUBE_KCM_PORT (10257).
#
# There is no scheduler and no kubelet: Pods stay Pending, LoadBalancers stay pending.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${KUBE_CACHE_DIR:-$ROOT/.cache/kube}"
RUN="${KUBE_RUN_DIR:-$CACHE/run}"
BIN="$CACHE/bin"
W="$CACHE/build"
PORT="${KUBE_PORT:-6443}"
ETCD_PORT="${KUBE_ETCD_PORT:-2379}"
ETCD_PEER_PORT="${KUBE_ETCD_PEER_PORT:-2380}"
KCM_PORT="${KUBE_KCM_PORT:-10257}"
K8S_SRC_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
BINARIES=(kube-apiserver kube-controller-manager etcd)

log() { printf '== kube: %s\n' "$*" >&2; }

cached() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

build() {
  if cached; then log "binaries cached in $BIN"; return 0; fi
  "$ROOT/scripts/apt-install.sh" apt dpkg-dev make rsync openssl curl ca-certificates
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.build.lock"
  flock 9
  if cached; then log "binaries cached in $BIN (built by another run)"; return 0; fi
  local start; start=$(date +%s)
  rm -rf "$W"
  mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial" "$W/root" "$W/debs" "$W/src" "$W/gocache"
  printf 'deb http://deb.debian.org/debian bookworm main\ndeb-src http://deb.debian.org/debian bookworm main\n' > "$W/apt/sources.list"
  local o=(-o "Dir::Etc::SourceList=$W/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$W/apt/lists" -o "Dir::Cache=$W/apt/cache" -q)
  log "private apt index (system sources untouched)"
  apt-get "${o[@]}" update >/dev/null
  log "downloading Go 1.19, etcd, reflect2 (packages are extracted, not installed)"
  (cd "$W/debs" && apt-get "${o[@]}" download golang-1.19-go golang-1.19-src etcd-server \
     golang-github-modern-go-reflect2-dev >/dev/null)
  local f
  for f in "$W"/debs/*.deb; do dpkg -x "$f" "$W/root"; done
  log "kubernetes source $K8S_SRC_VERSION"
  (cd "$W/src" && apt-get "${o[@]}" source "kubernetes=$K8S_SRC_VERSION" >/dev/null 2>&1)
  local src; src="$(find "$W/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)"
  [ -n "$src" ] || { log "kubernetes source not unpacked"; exit 1; }
  # Go 1.19 + the vendored reflect2 v1.0.1 crash the apiserver on the first custom resource.
  rm -rf "$src/vendor/github.com/modern-go/reflect2"
  cp -a "$W/root/usr/share/gocode/src/github.com/modern-go/reflect2" "$src/vendor/github.com/modern-go/reflect2"
  log "make WHAT=cmd/kube-apiserver cmd/kube-controller-manager (a few minutes)"
  (
    cd "$src"
    export GOROOT="$W/root/usr/lib/go-1.19"
    export PATH="$GOROOT/bin:$W/root/usr/bin:$PATH"
    export LD_LIBRARY_PATH="$W/root/usr/lib/x86_64-linux-gnu"
    export GOPROXY=off CGO_ENABLED=0 GOCACHE="$W/gocache" GOFLAGS=
    export KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" > "$W/make.log" 2>&1 \
      || { tail -n 40 "$W/make.log" >&2; exit 1; }
  )
  mkdir -p "$BIN.tmp"
  for f in kube-apiserver kube-controller-manager; do
    cp "$(find "$src/_output" -type f -name "$f" -perm -u+x | head -n1)" "$BIN.tmp/$f"
  done
  cp "$W/root/usr/bin/etcd" "$BIN.tmp/etcd"
  rm -rf "$BIN"; mv "$BIN.tmp" "$BIN"
  # Keep only the binaries: the source tree and Go cache are ~3 GB.
  rm -rf "$W"
  log "built in $(( $(date +%s) - start ))s into $BIN"
}

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

start() {
  if api_ready; then log "already running (kubeconfig $RUN/kubeconfig)"; return 0; fi
  cached || build
  stop_procs
  rm -rf "$RUN"
  mkdir -p "$RUN/certs" "$RUN/etcd"
  chmod 0700 "$RUN" "$RUN/etcd"
  (umask 077
   head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$RUN/token"
   openssl genrsa -out "$RUN/sa.key" 2048 2>/dev/null
   openssl rsa -in "$RUN/sa.key" -pubout -out "$RUN/sa.pub" 2>/dev/null
   printf '%s,admin,admin-uid,system:masters\n' "$(cat "$RUN/token")" > "$RUN/tokens.csv"
   cat > "$RUN/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$PORT
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      tokenFile: $RUN/token
contexts:
  - name: local
    context: {cluster: local, user: admin}
current-context: local
EOF
  )
  spawn etcd "$BIN/etcd" --data-dir "$RUN/etcd" --name local \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT"
  spawn kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$PORT" --cert-dir="$RUN/certs" \
    --token-auth-file="$RUN/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$RUN/sa.pub" --service-account-signing-key-file="$RUN/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --insecure-port=0
  if ! wait_for 90 api_ready; then
    log "apiserver not ready after 90s; last log lines:"; tail -n 20 "$RUN/kube-apiserver.log" >&2
    stop_procs; exit 1
  fi
  spawn kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$RUN/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --port=0 --secure-port="$KCM_PORT" \
    --service-account-private-key-file="$RUN/sa.key" --root-ca-file="$RUN/certs/apiserver.crt" \
    --use-service-account-credentials=false
  log "ready: export K8S_AUTH_KUBECONFIG=$RUN/kubeconfig"
}

stop_procs() {
  local name pid
  for name in kube-controller-manager kube-apiserver etcd; do
    [ -f "$RUN/$name.pid" ] || continue
    pid="$(cat "$RUN/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait_for 20 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$name.pid"
  done
}

stop() {
  stop_procs
  rm -rf "$RUN"
  log "stopped"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) api_ready && log "running: $RUN/kubeconfig" ;;
  env) echo "export K8S_AUTH_KUBECONFIG=$RUN/kubeconfig" ;;
  crds) K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" "${PYTHON:-python3}" "$ROOT/tests/kube/crds.py" install ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
