#!/usr/bin/env bash
# The Kubernetes API server restarted during the control-plane apply, then a re-run.
# Runs on the namespace and Nomad API double that tests/e2e/secrets/apply_test.sh left with
# SECRETS_TEST_KEEP=1 (converged: gossip key and ACL bootstrap secret generated and stored), and
# deletes both at the end. A changed input (an annotation of the edge Service, another value for each
# interrupted run; the re-run wants the last one) gives the runs something to apply. The API server
# gets SIGKILL and comes back 2 s later (tests/tools/cluster/cluster.sh restart), twice:
#   1. at "Look for the gossip key Secret": the lookup that decides whether a new key is generated
#   2. at "Apply the objects": in the middle of the server-side apply of the objects
# Then the re-run (timed until converged) must succeed, and compared with before the interrupted runs:
# every Secret (gossip key, ACL bootstrap secret, license, TLS) has the same value AND the same
# resourceVersion (nothing regenerated or rewritten), every other object the same content except the
# edge Service (the annotation), and each object one server-side applier (the role's field manager).
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../demo/env.sh"
demo_test_init
log() { printf 'apiserver-restart: %s\n' "$*"; }
work="$DEMO_STATE/secrets-test"
ns=edgeops-secrets
if [ ! -s "$work/double.url" ] || [ ! -f "$work/control-plane.yml" ]; then
  log "run tests/e2e/secrets/apply_test.sh with SECRETS_TEST_KEEP=1 first"; exit 1
fi
cleanup() {
  kill "$(cat "$work/double.pid")" 2>/dev/null || true
  "$PY" - "$ns" <<'PY' >/dev/null 2>&1 || true
import os, sys, warnings
warnings.filterwarnings("ignore")
from kubernetes import client, config
config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
client.CoreV1Api().delete_namespace(sys.argv[1])
PY
}
trap cleanup EXIT
export NOMAD_ADDR; NOMAD_ADDR="$(cat "$work/double.url")"
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_TIMEOUT=60
args=(-i inventories/local edgeops.nomad.control_plane -e "@$work/control-plane.yml")
# Each run wants another value of one annotation, so each interrupted run has something left to apply.
want() { printf '{"nomad_server_edge_service_annotations": {"edgeops.test/run": "%s"}}' "$1"; }

"$PY" tests/e2e/secrets/kube_state.py snapshot "$ns" > "$work/before.json"
"$PY" tests/e2e/secrets/kube_state.py generated "$ns" nomad-gossip nomad-acl-bootstrap > "$work/generated-before.json"

for point in "Look for the gossip key Secret" "Apply the objects"; do
  name="$(tr ' ' - <<<"${point,,}")"
  log="$out/apiserver-restart-$name.log"; : > "$log"
  ( until grep -qF "$point]" "$log"; do sleep 0.05; [ -e "$log.done" ] && exit 0; done
    bash tests/tools/cluster/cluster.sh restart kube-apiserver 2 2>&1 | sed 's/^/apiserver-restart: /' ) &
  watcher=$!
  start=$(date +%s)
  rc=0; ansible-playbook "${args[@]}" -e "$(want "$name")" > "$log" 2>&1 || rc=$?
  touch "$log.done"
  wait "$watcher" || { log "the API server did not come back"; exit 1; }
  rm -f "$log.done"
  grep -qF "$point]" "$log" || { log "the run never reached '$point'"; exit 1; }
  log "API server killed at '$point' (down 2 s): the run ended with rc=$rc after $(( $(date +%s) - start ))s$(
    [ "$rc" = 0 ] || printf ': %s' "$(grep -m1 -E '^(fatal|\[ERROR\])' "$log" | tr -s ' \n' ' ' | cut -c1-200)")"
done

start=$(date +%s.%N)
if ! ansible-playbook "${args[@]}" -e "$(want "$name")" > "$out/apiserver-restart-rerun.log" 2>&1; then
  log "re-run FAILED:"; tail -n 30 "$out/apiserver-restart-rerun.log"; exit 1
fi
took="$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")"
log "re-run converged in ${took}s: $(sed -n '/^PLAY RECAP/,$p' "$out/apiserver-restart-rerun.log" | grep -oE 'ok=[0-9]+ +changed=[0-9]+' | tr -s ' ')"

"$PY" tests/e2e/secrets/kube_state.py snapshot "$ns" > "$work/after.json"
"$PY" tests/e2e/secrets/kube_state.py generated "$ns" nomad-gossip nomad-acl-bootstrap > "$work/generated-after.json"
cmp -s "$work/generated-before.json" "$work/generated-after.json" \
  || { log "REGENERATED: the gossip key or the ACL bootstrap secret has a new value"; exit 1; }
"$PY" - "$work/before.json" "$work/after.json" <<'PY'
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
for key in sorted(set(before) | set(after)):
    b, a = before.get(key), after.get(key)
    if b is None or a is None:
        bad.append(f"{key}: {'created' if b is None else 'deleted'} by the interrupted runs")
        continue
    if key.startswith("Secret/") and (a["resourceVersion"] != b["resourceVersion"] or a["digest"] != b["digest"]):
        bad.append(f"{key}: written again (resourceVersion {b['resourceVersion']} -> {a['resourceVersion']})")
    elif key != "Service/nomad-edge" and a["digest"] != b["digest"]:
        bad.append(f"{key}: content changed")
    if len(a["appliers"]) > 1:
        bad.append(f"{key}: applied by several field managers {a['appliers']}")
if before.get("Service/nomad-edge", {}).get("digest") == after.get("Service/nomad-edge", {}).get("digest"):
    bad.append("Service/nomad-edge: the annotation of the re-run was not applied")
for line in bad:
    print("apiserver-restart: " + line)
secrets = sorted(k for k in after if k.startswith("Secret/"))
print(f"apiserver-restart: {len(after)} objects compared; Secrets unchanged (value and resourceVersion): {', '.join(secrets)}")
sys.exit(1 if bad else 0)
PY
log "ok: converged after the API server restarts; no Secret regenerated or rewritten; re-run ${took}s"
