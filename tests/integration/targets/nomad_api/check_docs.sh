#!/usr/bin/env bash
# Every module of the action group and the inventory plugin render with ansible-doc, and
# `ansible-doc -l edgeops.nomad` lists every module.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
modules="$(python -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["action_groups"]["nomad"]))' \
  "$root/meta/runtime.yml")"
listed="$(ansible-doc -l edgeops.nomad 2>/dev/null | awk '{print $1}')"
count=0
for module in $modules; do
  grep -qx "edgeops.nomad.$module" <<<"$listed" || { echo "ansible-doc -l does not list edgeops.nomad.$module" >&2; exit 1; }
  ansible-doc "edgeops.nomad.$module" >/dev/null
  ansible-doc --json "edgeops.nomad.$module" | python -c '
import json, sys
doc = json.load(sys.stdin)
name, data = next(iter(doc.items()))
examples = data.get("examples") or ""
bad = [line.strip() for line in examples.splitlines() if line.strip().startswith("nomad_")]
if bad or "edgeops.nomad." not in examples:
    sys.exit("%s: EXAMPLES must call modules by FQCN: %s" % (name, bad))
'
  count=$((count + 1))
done
ansible-doc -t inventory edgeops.nomad.nomad_nodes >/dev/null
echo "ansible-doc: $count modules listed and rendered (examples use FQCNs), inventory nomad_nodes rendered"
