#!/usr/bin/env bash
# Secrets in apply mode, on the demo's test cluster and one demo container (after
# tests/e2e/demo/up.sh; part of `make demo-e2e`):
#   1. edgeops.nomad.control_plane at -vvv --diff into its own namespace (edgeops-secrets) and its own
#      Nomad API double, Enterprise edition with the license from a Secret, VAULT_TOKEN in the
#      environment; the gossip key and the ACL bootstrap secret are generated and stored by this run
#   2. edgeops.nomad.edge_clients at -vvv --diff on one container with a client introduction token and
#      the demo's client TLS key
# While each run goes, tests/tools/secret_scan/scan.py samples every process's arguments. Then the whole output
# and the process lists are scanned for every planted and generated value (plain, JSON, base64 at any
# alignment, base64 of base64, URL forms). Key files: 0600 root (the agent's user, User=root in the
# unit) on the host; Secret volumes of the servers without bits for others.
# SECRETS_TEST_KEEP=1 keeps the namespace and the API double for tests/e2e/interrupt/apiserver_restart_test.sh
# (which deletes both).
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../demo/env.sh"
demo_test_init
log() { printf 'secrets-test: %s\n' "$*"; }
work="$DEMO_STATE/secrets-test"; rm -rf "$work"; mkdir -p "$work"; chmod 0700 "$work"
ns=edgeops-secrets
host="${SECRETS_TEST_HOST:-edgeops-demo-amd64-1}"
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_TIMEOUT=60

rand() { "$PY" -c "import secrets, sys; print(secrets.token_hex(int(sys.argv[1])))" "$1"; }

# Planted values (random each run, so nothing else in the logs can match them by chance).
vault_token="hvs.$(rand 20)"
intro_token="$("$PY" -c 'import uuid; print(uuid.uuid4())')"
license="02MV4UU43BK5HGYYTOJZWFQMTMNNEWU33JLJ$(rand 48 | tr a-f A-F)"
printf '%s' "$license" > "$work/license.hclic"
tls_key="$(cat "$EDGEOPS_DEMO_TLS_DIR/client-key.pem")"

# Its own Nomad API double: the demo's is bootstrapped already with the demo's secret.
rm -f "$work/double.url"
setsid "$PY" -m tests.tools.nomad_api_double --acl --url-file "$work/double.url" > "$work/double.log" 2>&1 < /dev/null &
double=$!
cleanup() {
  if [ "${SECRETS_TEST_KEEP:-0}" != 1 ]; then
    kill "$double" 2>/dev/null || true
    "$PY" - "$ns" <<'PY' >/dev/null 2>&1 || true
import os, sys, warnings
warnings.filterwarnings("ignore")
from kubernetes import client, config
config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
client.CoreV1Api().delete_namespace(sys.argv[1])
PY
  fi
}
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$work/double.url" ] && break; sleep 0.1; done
echo "$double" > "$work/double.pid"

"$PY" tests/e2e/secrets/kube_state.py gone "$ns"  # a fresh namespace: the run generates the gossip key and ACL secret
# The user's Secrets: servers' TLS (the role's default source) and the Enterprise license.
"$PY" tests/tools/cluster/kube.py tls-secret "$ns" nomad-tls "$EDGEOPS_DEMO_TLS_DIR/ca.pem" \
  "$EDGEOPS_DEMO_TLS_DIR/server.pem" "$EDGEOPS_DEMO_TLS_DIR/server-key.pem" >/dev/null
"$PY" tests/e2e/secrets/kube_state.py license-secret "$ns" planted-license "$work/license.hclic"

cat > "$work/control-plane.yml" <<YML
nomad_server_namespace: $ns
nomad_server_edition: enterprise
nomad_server_license_source: secret
nomad_server_license_secret_name: planted-license
nomad_server_edge_node_port_rpc: 30748
nomad_node_pools: [{name: secrets-test}]
nomad_namespaces: []
YML
# The demo host has registered: the role writes a token only before the agent's first start unless told always.
cat > "$work/client.yml" <<YML
nomad_client_intro_token: "$intro_token"
nomad_client_intro_token_delivery: always
YML

play() {  # play NAME ARGS...: one sampled ansible-playbook run
  local name=$1; shift
  local start; start=$(date +%s)
  if ! "$PY" tests/tools/secret_scan/scan.py sample "$out/secrets-$name.ps" -- \
      ansible-playbook -i inventories/local -vvv --diff "$@" > "$out/secrets-$name.log" 2>&1; then
    log "$name FAILED ($out/secrets-$name.log):"; tail -n 30 "$out/secrets-$name.log"; exit 1
  fi
  log "$name ok in $(( $(date +%s) - start ))s ($(wc -c < "$out/secrets-$name.log") bytes of -vvv output)"
}

VAULT_TOKEN="$vault_token" VAULT_ADDR=http://127.0.0.1:1 NOMAD_ADDR="$(cat "$work/double.url")" \
  play control-plane edgeops.nomad.control_plane -e "@$work/control-plane.yml"
play client edgeops.nomad.edge_clients -l "$host" -e "@$work/client.yml"

# Generated values, read from where the run stored them.
"$PY" tests/e2e/secrets/kube_state.py generated "$ns" nomad-gossip nomad-acl-bootstrap > "$work/generated.json"
"$PY" - "$work" <<PY
import json, sys
work = sys.argv[1]
values = json.load(open(work + "/generated.json"))
values.update({"vault_token": "$vault_token", "enterprise_license": "$license",
               "intro_token": "$intro_token", "client_tls_key": open("$EDGEOPS_DEMO_TLS_DIR/client-key.pem").read()})
missing = [k for k, v in values.items() if not v]
if missing:
    sys.exit("secrets-test: not stored by the run: " + ", ".join(missing))
json.dump(values, open(work + "/secrets.json", "w"))
PY
[ -n "$tls_key" ]
"$PY" tests/tools/secret_scan/scan.py check "$work/secrets.json" "$out"/secrets-*.log "$out"/secrets-*.ps

# Key files on the host: 0600, owned by the agent's user (root: User=root in the unit).
user="$(podman exec "$host" systemctl show nomad -p User --value)"; user="${user:-root}"
bad=0
while read -r mode owner path; do
  printf 'secrets-test: %s %s %s\n' "$mode" "$owner" "$path"
  [ "$mode" = 600 ] && [ "$owner" = "$user" ] || bad=1
done < <(podman exec "$host" stat -c '%a %U %n' /etc/nomad.d/tls/key.pem /opt/nomad/data/client/intro_token.jwt)
[ "$bad" = 0 ] || { log "a key file is not 0600 $user"; exit 1; }
"$PY" tests/e2e/secrets/kube_state.py secret-modes "$ns" nomad | sed 's/^/secrets-test: /'
log "ok: no planted or generated secret in the -vvv --diff output or the process list; key files 0600 $user"
