#!/usr/bin/env bash
# The playbooks as a user of the released collection calls them: build the tarball, install it into
# an empty collections path (dependencies from .cache/collections-deps or .cache/collections) and
# syntax-check every playbook by FQCN from there (no checkout on the path).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build "$root" --output-path "$work" >/dev/null
ANSIBLE_COLLECTIONS_PATH="$work/installed" ansible-galaxy collection install --no-deps -p "$work/installed" "$work"/edgeops-nomad-*.tar.gz >/dev/null
mkdir -p "$work/deps/ansible_collections"
for dep in "$root"/.cache/collections/ansible_collections/*/; do
  ns="$(basename "$dep")"; [ "$ns" = edgeops ] && continue
  ln -s "$dep" "$work/deps/ansible_collections/$ns"
done
installed="$work/installed/ansible_collections/edgeops/nomad"
mapfile -t books < <(find "$installed/playbooks" -maxdepth 1 -name '*.yml' -printf 'edgeops.nomad.%f\n' | sed 's/\.yml$//' | sort)
[ "${#books[@]}" -gt 0 ] || { echo "installed-syntax: no playbooks in the installed collection"; exit 1; }
(cd "$work" && ANSIBLE_COLLECTIONS_PATH="$work/installed:$work/deps" \
  ansible-playbook -i "$root/inventories/example/hosts.yml" --syntax-check "${books[@]}" >/dev/null)
echo "installed-syntax: ${#books[@]} playbooks from the installed tarball pass --syntax-check by FQCN"
