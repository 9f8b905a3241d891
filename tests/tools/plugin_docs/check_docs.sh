#!/usr/bin/env bash
# Every module of the action group and the inventory plugin render with ansible-doc, their
# EXAMPLES call modules by FQCN, and `ansible-doc -l edgeops.nomad` lists every module.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
mapfile -t modules < <(python -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["action_groups"]["nomad"]))' \
  "$root/meta/runtime.yml")
fqcns=("${modules[@]/#/edgeops.nomad.}")
listed="$(ansible-doc -l edgeops.nomad 2>/dev/null | awk '{print $1}')"
for fqcn in "${fqcns[@]}"; do
  grep -qx "$fqcn" <<<"$listed" || { echo "ansible-doc -l does not list $fqcn" >&2; exit 1; }
done
ansible-doc "${fqcns[@]}" >/dev/null
ansible-doc --json "${fqcns[@]}" | python -c '
import json, sys
docs = json.load(sys.stdin)
for name, data in sorted(docs.items()):
    examples = data.get("examples") or ""
    bad = [line.strip() for line in examples.splitlines() if line.strip().startswith("nomad_")]
    if bad or "edgeops.nomad." not in examples:
        sys.exit("%s: EXAMPLES must call modules by FQCN: %s" % (name, bad))
    if not data["doc"].get("version_added") or "edgeops.nomad.nomad" not in str(data["doc"].get("notes")):
        sys.exit("%s: version_added or the shared connection doc fragment is missing" % name)
print("ansible-doc: %d modules listed and rendered (examples use FQCNs)" % len(docs))
'
ansible-doc -t inventory edgeops.nomad.nomad_nodes >/dev/null
echo "ansible-doc: inventory edgeops.nomad.nomad_nodes rendered"
# Every filter renders; those internal to the roles (leading underscore) say so in their short description.
ansible-doc -t filter -l edgeops.nomad 2>/dev/null | awk '{print $1}' | grep '^edgeops\.nomad\.' > "${TMPDIR:-/tmp}/edgeops-nomad-filters.$$"
mapfile -t filters < "${TMPDIR:-/tmp}/edgeops-nomad-filters.$$"
rm -f "${TMPDIR:-/tmp}/edgeops-nomad-filters.$$"
ansible-doc -t filter --json "${filters[@]}" | python -c '
import json, sys
docs = json.load(sys.stdin)
for name, data in sorted(docs.items()):
    doc = data.get("doc") or {}
    internal = name.split(".")[-1].startswith("_")
    if not doc.get("short_description"):
        sys.exit("%s: no documentation" % name)
    if internal != doc["short_description"].startswith("Internal to the roles"):
        sys.exit("%s: a leading underscore and an \"Internal to the roles\" description go together" % name)
print("ansible-doc: %d filters rendered (%d internal to the roles)" % (len(docs), sum(n.split(".")[-1].startswith("_") for n in docs)))
'
