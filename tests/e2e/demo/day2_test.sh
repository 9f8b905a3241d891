#!/usr/bin/env bash
# Day-2 playbooks against the demo (after tests/e2e/demo/run.sh):
#   - edgeops.nomad.snapshot, then edgeops.nomad.restore of that file (Nomad API double)
#   - edgeops.nomad.upgrade_clients on one real container (2.0.5 -> 2.0.6 of the stand-in binary):
#     drain with deadline on the API double, upgrade with the role, eligible again. The container's stand-in
#     agent is a registered node of the double: it comes back reporting the version of its new binary.
#   - edgeops.nomad.edge_clients on that host again, so the demo is back to its converged state.
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
demo_test_init
host=edgeops-demo-amd64-2
node="$host"
log() { printf 'day2-test: %s\n' "$*"; }
play() {  # play LOGNAME ARGS...
  local name=$1; shift
  local start; start=$(date +%s)
  if ! ansible-playbook -i inventories/local "$@" > "$out/day2-$name.log" 2>&1; then
    log "$name FAILED:"; tail -n 30 "$out/day2-$name.log"; exit 1
  fi
  log "$name ok in $(( $(date +%s) - start ))s: $(grep -E 'ok=' "$out/day2-$name.log" | tr -s ' ' | paste -sd';')"
}
token() {
  .venv/bin/python - <<'PY'
import base64, os, warnings
warnings.filterwarnings("ignore")
from kubernetes import client, config
config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
secret = client.CoreV1Api().read_namespaced_secret("nomad-acl-bootstrap", "edgeops-demo")
print(base64.b64decode(secret.data["secret_id"]).decode())
PY
}
api() { curl -fsS -H "X-Nomad-Token: $(token)" "$NOMAD_ADDR$1"; }

snapdir="$DEMO_STATE/snapshots"
rm -rf "$snapdir"
play snapshot edgeops.nomad.snapshot -e "nomad_snapshot_dir=$snapdir" -e nomad_snapshot_name=demo.snap
[ -s "$snapdir/demo.snap" ] || { log "no snapshot written"; exit 1; }
[ "$(stat -c %a "$snapdir")" = 700 ] || { log "snapshot directory is not 0700"; exit 1; }
play restore edgeops.nomad.restore -e "nomad_snapshot_file=$snapdir/demo.snap" -e nomad_restore_confirm=true
if ansible-playbook -i inventories/local edgeops.nomad.restore -e "nomad_snapshot_file=$snapdir/demo.snap" \
     > "$out/day2-restore-unconfirmed.log" 2>&1; then
  log "restore ran without nomad_restore_confirm=true"; exit 1
fi
log "restore without confirmation refused: ok"

play upgrade-clients edgeops.nomad.upgrade_clients -l "$host" -e nomad_client_version=2.0.6 \
  -e nomad_upgrade_clients_drain_deadline=5m -e nomad_upgrade_clients_ready_delay=3
version="$(podman exec "$host" /usr/local/bin/nomad version | head -n1)"
[ "$version" = "Nomad v2.0.6" ] || { log "$host runs '$version', not Nomad v2.0.6"; exit 1; }
node_id="$(api /v1/nodes | .venv/bin/python -c "import json,sys; print([n['ID'] for n in json.load(sys.stdin) if n['Name']=='$node'][0])")"
state="$(api "/v1/node/$node_id" | .venv/bin/python -c "import json,sys; n=json.load(sys.stdin); print(n['SchedulingEligibility'], n.get('DrainStrategy') is not None, (n.get('LastDrain') or {}).get('Status'))")"
[ "$state" = "eligible False complete" ] || { log "node $node after the upgrade: $state (want: eligible False complete)"; exit 1; }
log "$host upgraded to $version; node $node drained (complete) and eligible again"

play restore-host edgeops.nomad.edge_clients -l "$host"

# No secret in any log of the demo: every SecretID the API double knows, the stored bootstrap secret.
leaks=0
while IFS= read -r secret; do
  [ -n "$secret" ] || continue
  if grep -rlF -- "$secret" "$out" >/dev/null; then log "SECRET LEAKED into $(grep -rlF -- "$secret" "$out" | paste -sd' ')"; leaks=1; fi
done < <({ curl -fsS "$NOMAD_ADDR/_double/secrets" | .venv/bin/python -c 'import json,sys; print("\n".join(json.load(sys.stdin)))'; token; })
[ "$leaks" = 0 ] || exit 1
log "no secret in $(find "$out" -name '*.log' | wc -l) log files: ok"
