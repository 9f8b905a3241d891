#!/usr/bin/env bash
# The fleet report on the demo, as an operator gets it after a rollout with a host down:
#   - one edge container stopped on purpose; its stand-in agent stops heartbeating and the API double marks its
#     node down once the heartbeat TTL and grace pass (nomad/heartbeat.go invalidateHeartbeat), waited for with
#     tests/e2e/lifecycle/nomad_view.py;
#   - edgeops.nomad.edge_clients with the callback edgeops.nomad.fleet_recap and nomad_fleet_report_enabled=true
#     (the report is written in the run's last play, as in an AAP job); the run fails (a host left behind)
#     after writing it;
#   - headless Chromium renders the page (DOM and screenshot), and tests/e2e/demo/fleet_report_check.py checks
#     the rendered numbers against the run's PLAY RECAP, the stopped host shown unreachable, the disagreements
#     against the double's node list;
#   - no secret of the demo in the report; the container started again and its node ready.
# Keeps in demo-output/report-e2e/: the run's log and recap, fleet-report.html/.json, the DOM Chromium built
# (fleet-report.dom.html) and the screenshot (fleet-report.png).
# Needs tests/e2e/demo/up.sh and a converged demo (tests/e2e/demo/run.sh) first.
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
demo_test_init
dir="$out/report-e2e"
rm -rf "$dir"; mkdir -p "$dir"
stopped=edgeops-demo-arm64-1
log() { printf 'report-test: %s\n' "$*"; }
fail() { log "FAILED: $*"; exit 1; }

start_again() {
  podman start "$stopped" >/dev/null 2>&1 || true
  for _ in $(seq 240); do
    case "$(podman exec "$stopped" systemctl is-system-running 2>/dev/null || true)" in running|degraded) break ;; esac
    sleep 0.5
  done
  for _ in $(seq 60); do
    [ "$(podman exec "$stopped" systemctl is-active nomad 2>/dev/null || true)" = active ] && break
    sleep 0.5
  done
  view wait "$stopped" --status ready --timeout 120 >/dev/null || log "$stopped: its node is not ready again"
}
trap start_again EXIT
view() { "$PY" tests/e2e/lifecycle/nomad_view.py "$@"; }

view wait "$(IFS=,; echo "${DEMO_CONTAINERS[*]}")" --status ready --timeout 120 || fail "a demo node is not ready before the stop"
podman stop -t 5 "$stopped" >/dev/null
view wait "$stopped" --status down,disconnected --timeout 120 || fail "the double did not mark $stopped down"
log "stopped $stopped on purpose; Nomad has its node down"

# serial 1: the stopped host gets a batch of its own. In a batch with reachable hosts it would make the client
# role's controller-side fetch fail for the whole batch (the fetch reads the platform of every host of the batch,
# and the unreachable one has none), which is the role's matter, not the report's.
start=$(date +%s)
rc=0
ANSIBLE_CALLBACKS_ENABLED=edgeops.nomad.fleet_recap EDGEOPS_FLEET_RECAP_FILE="$dir/recap.json" ANSIBLE_TIMEOUT=30 \
  ansible-playbook -i inventories/local edgeops.nomad.edge_clients -e nomad_clients_serial=1 \
    -e nomad_clients_max_fail_percentage=50 -e nomad_fleet_report_enabled=true -e "nomad_fleet_report_dir=$dir" \
    > "$dir/edge_clients.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "edge_clients passed with $stopped left behind ($dir/edge_clients.log)"
grep -q "left behind: $stopped -- unreachable" "$dir/edge_clients.log" || fail "the summary does not name $stopped"
{ [ -s "$dir/fleet-report.html" ] && [ -s "$dir/fleet-report.json" ]; } || fail "no report written ($dir/edge_clients.log)"
log "edge_clients with $stopped down: rc=$rc in $(( $(date +%s) - start ))s, $(grep -o 'Fleet report: [^"]*' "$dir/edge_clients.log" | head -n1)"

"$PY" tests/e2e/demo/fleet_report_check.py render "$dir/fleet-report.html" "$dir"
"$PY" tests/e2e/demo/fleet_report_check.py check --log "$dir/edge_clients.log" --dom "$dir/fleet-report.dom.html" \
  --json "$dir/fleet-report.json" --hosts "$(IFS=,; echo "${DEMO_CONTAINERS[*]}")" --unreachable "$stopped"

# No secret of the demo in the report: every SecretID the API double knows, and the stored bootstrap secret.
secrets="$("$PY" - "$NOMAD_ADDR" <<'PY'
import base64, json, os, sys, urllib.request, warnings
warnings.filterwarnings("ignore")
from kubernetes import client, config
with urllib.request.urlopen(sys.argv[1] + "/_double/secrets", timeout=10) as resp:
    found = json.load(resp)
config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
found.append(base64.b64decode(client.CoreV1Api().read_namespaced_secret("nomad-acl-bootstrap", "edgeops-demo").data["secret_id"]).decode())
print("\n".join(s for s in found if s))
PY
)"
while IFS= read -r secret; do
  [ -n "$secret" ] || continue
  if grep -rlF -- "$secret" "$dir" >/dev/null; then fail "SECRET LEAKED into $(grep -rlF -- "$secret" "$dir" | paste -sd' ')"; fi
done <<< "$secrets"
log "no secret in the report files ($(wc -l <<< "$secrets") checked)"
log "page, DOM and screenshot kept in ${dir#"$DEMO_ROOT"/}/"
