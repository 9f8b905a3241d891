#!/usr/bin/env bash
# Integration test of the Nomad API plugins against the Nomad API double (a test double, not Nomad).
# Works under `ansible-test integration --local nomad_api` and from `make integration-api`.
# 1. start the double twice: plain HTTP with ACLs, and HTTPS with mutual TLS (throw-away test CA)
# 2. run run.yml at -vvv (check mode / apply / re-apply per module, error paths, inventory)
# 3. fail if any token SecretID the double knows appears in the output
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The collection root: 4 levels up in a checkout; under ansible-test (which copies the target
# elsewhere) the edgeops/nomad directory on ANSIBLE_COLLECTIONS_PATH.
root="$(cd "$here/../../../.." && pwd)"
if [ ! -d "$root/tests/tools/nomad_api_double" ]; then
  IFS=: read -r -a paths <<<"${ANSIBLE_COLLECTIONS_PATH:-}"
  for p in "${paths[@]}"; do
    for candidate in "$p/ansible_collections/edgeops/nomad" "$p/edgeops/nomad"; do
      [ -d "$candidate/tests/tools/nomad_api_double" ] && root="$candidate" && break 2
    done
  done
fi
[ -d "$root/tests/tools/nomad_api_double" ] || { echo "cannot find the collection root (tests/tools/nomad_api_double)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/nomad-api-it.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0700 "$work"

start_double() { # name, extra args...
  local name="$1"; shift
  (cd "$root" && exec python -m tests.tools.nomad_api_double --url-file "$work/$name.url" "$@") >"$work/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do [ -s "$work/$name.url" ] && return 0; sleep 0.05; done
  echo "the Nomad API double '$name' did not start:" >&2; cat "$work/$name.log" >&2; return 1
}

(cd "$root" && python -m tests.tools.nomad_api_double.testca "$work/tls" >/dev/null)
start_double plain --acl --nodes 8
start_double tls --nodes 2 --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server-key.pem" \
  --tls-client-ca "$work/tls/ca.pem"

# Secrets go to the playbook through a 0600 vars file, never through process arguments.
secret="$(python -c 'import uuid; print(uuid.uuid4())')"
umask 077
cat >"$work/vars.yml" <<VARS
---
nomad_url: "$(cat "$work/plain.url")"
nomad_tls_url: "$(cat "$work/tls.url")"
nomad_tls_dir: "$work/tls"
nomad_work_dir: "$work"
nomad_bootstrap_secret: "$secret"
VARS

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
set +e
ansible-playbook -vvv -i "$here/inventory.ini" "$here/run.yml" -e "@$work/vars.yml" >"$work/playbook.log" 2>&1
rc=$?
set -e
tail -n 40 "$work/playbook.log"
grep -E '^localhost +:' "$work/playbook.log" || true
if [ "$rc" -ne 0 ]; then
  echo "FAILED: playbook exited $rc; failing tasks:" >&2
  grep -n -B2 -A12 'fatal:' "$work/playbook.log" | grep -v '^\s*$' | head -n 80 >&2 || true
  exit "$rc"
fi

# The intro_tokens playbook by FQCN: its first play against the mutual-TLS double (no clients in
# this inventory, so the delivery play has no hosts); the tokens join the leak check below.
cat >"$work/intro.yml" <<INTRO
---
nomad_api_hosts: localhost
nomad_api_token: ""
nomad_api_url: "$(cat "$work/tls.url")"
nomad_api_ca_cert: "$work/tls/ca.pem"
nomad_api_client_cert: "$work/tls/client.pem"
nomad_api_client_key: "$work/tls/client-key.pem"
nomad_intro_tokens_pools: [edge-arm, default]
nomad_intro_tokens_ttl: 2h
INTRO
set +e
ansible-playbook -vvv -i "$here/inventory.ini" edgeops.nomad.intro_tokens -e "@$work/intro.yml" >"$work/intro.log" 2>&1
rc=$?
set -e
cat "$work/intro.log" >>"$work/playbook.log"
if [ "$rc" -ne 0 ] || ! grep -q "The servers capped the TTL of the tokens for edge-arm, default" "$work/intro.log"; then
  echo "FAILED: intro_tokens playbook (rc $rc):" >&2; tail -n 40 "$work/intro.log" >&2; exit 1
fi
python - "$(cat "$work/tls.url")/_double/secrets" "$work/tls" >"$work/tls-secrets.txt" <<'PY'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2] + "/ca.pem")
ctx.load_cert_chain(sys.argv[2] + "/client.pem", sys.argv[2] + "/client-key.pem")
print("\n".join(json.load(urllib.request.urlopen(sys.argv[1], context=ctx))))
PY
echo "intro_tokens: tokens for 2 pools over mutual TLS, TTL cap reported"

# Inventory plugin through ansible-inventory; the token only in this shell's environment (not in
# any process's arguments), its output joins the leak check below.
cat >"$work/edge.nomad_nodes.yml" <<INV
plugin: edgeops.nomad.nomad_nodes
url: $(cat "$work/plain.url")
statuses: [ready]
keyed_groups:
  - key: nomad_datacenter
    prefix: site
groups:
  windows: "'windows' in (nomad_os | lower)"  # Nomad reports e.g. "Microsoft Windows Server 2022 Datacenter"
INV
NOMAD_TOKEN="$secret" ansible-inventory -vvv -i "$work/edge.nomad_nodes.yml" --list --output "$work/inventory.json" \
  >"$work/inventory.log" 2>&1
cat "$work/inventory.json" "$work/inventory.log" >>"$work/playbook.log"
python - "$work/inventory.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
def plain(v):
    return v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v
checks = {
    "pool group": sorted(inv["nomad_pool_edge_arm"]["hosts"]) == ["edge-00001", "edge-00005"],
    "keyed group": len(inv["site_dc1"]["hosts"]) == 3,
    "constructed group": inv["windows"]["hosts"] == ["edge-00004"],
    "ansible_host": plain(inv["_meta"]["hostvars"]["edge-00001"]["ansible_host"]) == "10.10.0.1",
    "statuses filter": "edge-00006" not in inv["_meta"]["hostvars"],
}
failed = [name for name, ok in checks.items() if not ok]
if failed:
    sys.exit("FAILED: inventory checks: %s" % failed)
print("inventory: %d hosts, checks passed: %s" % (len(inv["_meta"]["hostvars"]), ", ".join(checks)))
PY

# Leak check: no SecretID known to the double (bootstrap secret, created and rotated tokens) may appear.
python -c 'import json, sys, urllib.request; print("\n".join(json.load(urllib.request.urlopen(sys.argv[1]))))' \
  "$(cat "$work/plain.url")/_double/secrets" >"$work/secrets.txt"
cat "$work/tls-secrets.txt" >>"$work/secrets.txt"
count="$(wc -l <"$work/secrets.txt")"
[ "$count" -ge 3 ] || { echo "FAILED: expected at least 3 secrets in the double, found $count" >&2; exit 1; }
if grep -F -f "$work/secrets.txt" "$work/playbook.log" >/dev/null; then
  echo "FAILED: a Nomad token secret appears in the -vvv output:" >&2
  grep -n -F -f "$work/secrets.txt" "$work/playbook.log" | cut -c1-160 | sed 's/[0-9a-f]\{8\}-[0-9a-f-]\{27\}/<uuid>/g' >&2
  exit 1
fi
echo "leak check: none of $count token secrets appears in $(wc -l <"$work/playbook.log") lines of -vvv output"
