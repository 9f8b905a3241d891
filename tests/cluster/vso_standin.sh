#!/usr/bin/env bash
# Start or stop the Vault Secrets Operator stand-in (vso_standin.py) next to the test cluster.
#   tests/cluster/vso_standin.sh start|stop
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="${EDGEOPS_CLUSTER_DIR:-$ROOT/.cache/cluster}"
PIDFILE="$RUN/vso-standin.pid"
case "${1:-}" in
  start)
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then exit 0; fi
    K8S_AUTH_KUBECONFIG="$RUN/kubeconfig" setsid "${PYTHON:-$ROOT/.venv/bin/python}" \
      "$ROOT/tests/cluster/vso_standin.py" > "$RUN/vso-standin.log" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    ;;
  stop)
    if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
