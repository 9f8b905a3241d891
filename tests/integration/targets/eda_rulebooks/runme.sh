#!/usr/bin/env bash
# The rulebooks of extensions/eda/rulebooks, run by ansible-rulebook (its rules engine on the machine's
# Java 17) against the Nomad API double (a test double, not Nomad), each with the edgeops.nomad.nomad_events
# source and the least-privilege token of docs/eda.md:
#   ansible-rulebook --rulebook edgeops.nomad.<rulebook> -i <inventory> [--vars <file>]
# 1. the double with ACLs (drive.py setup: tokens, jobs, allocations); the four rulebooks start and
#    subscribe (their event streams are open)
# 2. the double changes state (drive.py act): an edge node and a gpu node down and back, lost allocations at
#    one site, two failed deployments (one rolled back by Nomad), two node registrations
# 3. drive.py check reads the playbooks' effects back from the double: the edge node eligible again
#    (edgeops.nomad.edge_client_recovered; the gpu node untouched), web reverted to its stable version
#    (edgeops.nomad.revert_job; api untouched), one site report for six lost allocations
#    (edgeops.nomad.site_report), the node in an unconfigured pool reported (edgeops.nomad.node_pool_check)
# 4. no token secret in any log
# The playbooks run with the least-privilege playbook tokens of docs/eda.md, not the management token.
# The re-converge step of edge_client_recovered is off here (nomad_recovered_converge: false): the double's
# nodes are not hosts, so this asserts the eligibility the playbook restores, read from the double
# (docs/eda.md, "What is tested").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
[ -d "$root/tests/tools/nomad_api_double" ] || { echo "cannot find the collection root" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/eda-rulebooks.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${EDA_KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
chmod 0700 "$work"
start=$(date +%s)

(cd "$root" && exec python -m tests.tools.nomad_api_double --acl --nodes 8 --url-file "$work/url") >"$work/double.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
url="$(cat "$work/url")"
python "$here/drive.py" setup "$url" "$work"

# The inventories, directories (ansible-rulebook copies a directory whole for each playbook run, a file
# alone: group_vars beside a file would be lost). The control plane host runs the API playbooks on the
# controller; the clients are the double's nodes. Each ansible-rulebook gets the playbooks' token of
# docs/eda.md as an inventory variable in a 0600 file; each source's token reaches it as NOMAD_TOKEN or a
# rulebook variable, never as an argument.
umask 077
for inv in nodes others; do
  mkdir -p "$work/inventory-$inv/group_vars"
  cat >"$work/inventory-$inv/hosts.yml" <<INV
---
all:
  children:
    nomad_control_plane:
      hosts:
        nomad-api:
          ansible_connection: local
          ansible_python_interpreter: "{{ ansible_playbook_python }}"
    nomad_clients:
      hosts:
        edge-00002:
        edge-00003:
        edge-00006:
      vars:
        nomad_recovered_converge: false
INV
  cat >"$work/inventory-$inv/group_vars/all.yml" <<VARS
---
nomad_api_url: "$url"
nomad_api_token: "$(cat "$work/token-playbook-$inv")"
nomad_node_pools:
  - name: edge-x86
  - name: edge-arm
VARS
done
printf -- '---\nnomad_edge_pools: [edge-x86, edge-arm]\n' >"$work/rulebook-vars.yml"

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 NOMAD_ADDR="$url"
rulebook() {  # rulebook FQCN_OR_FILE TOKEN_FILE INVENTORY [args...]: one ansible-rulebook, in the background
  local name=$1 token_file=$2 inventory=$3; shift 3
  NOMAD_TOKEN="$(cat "$token_file")" ansible-rulebook --rulebook "$name" -i "$work/inventory-$inventory" \
    "$@" >"$work/$(basename "${name#edgeops.nomad.}" .yml).log" 2>&1 &
  pids+=("$!")
}
# The node down/up rulebook by its name, as an activation runs it; the other three in one more process (one
# JVM less on a 2-core machine): their rulesets as they are, each with its own source and token.
rulebook edgeops.nomad.edge_node_recovered "$work/token-nodes" nodes --vars "$work/rulebook-vars.yml"
python - "$root/extensions/eda/rulebooks" "$work" <<'PY'
import sys, yaml
rulebooks, work = sys.argv[1], sys.argv[2]
tokens = {"node_pool_unconfigured": "nodes", "deployment_failed": "deployments", "site_allocations_lost": "allocations"}
combined = []
for name, token in tokens.items():
    with open("%s/%s.yml" % (rulebooks, name)) as handle:
        for ruleset in yaml.safe_load(handle):
            for source in ruleset["sources"]:  # each source its own least-privilege token
                source["edgeops.nomad.nomad_events"]["token"] = "{{ %s_token }}" % token
            combined.append(ruleset)
with open(work + "/others.yml", "w") as handle:
    yaml.safe_dump(combined, handle, sort_keys=False)
with open(work + "/others-vars.yml", "w") as handle:
    yaml.safe_dump({"%s_token" % t: open("%s/token-%s" % (work, t)).read() for t in set(tokens.values())}, handle)
PY
rulebook "$work/others.yml" /dev/null others --vars "$work/others-vars.yml"
if ! python "$here/drive.py" wait-streams "$url" 4; then
  for log in "$work"/*.log; do echo "== $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
fi
echo "eda: 4 rulebooks subscribed after $(( $(date +%s) - start ))s"
python "$here/drive.py" act "$url"
if ! python "$here/drive.py" check "$url" "$work"; then
  for log in "$work"/*.log; do echo "== $log" >&2; tail -n 40 "$log" >&2; done
  exit 1
fi

# No token secret in any log: the management token, the sources' and the playbooks' tokens.
for file in "$work"/token-*; do cat "$file"; printf '\n'; done >"$work/secrets.txt"
python -c 'import sys; sys.path.insert(0, sys.argv[1]); import drive; print(drive.MANAGEMENT)' "$here" >>"$work/secrets.txt"
if grep -F -f <(grep . "$work/secrets.txt") "$work"/*.log >/dev/null; then
  echo "FAILED: a token secret appears in a log: $(grep -l -F -f <(grep . "$work/secrets.txt") "$work"/*.log | paste -sd' ')" >&2
  exit 1
fi
echo "eda: no token secret in $(cat "$work"/*.log | wc -l) log lines; done in $(( $(date +%s) - start ))s"
