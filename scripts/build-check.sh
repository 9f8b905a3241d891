#!/usr/bin/env bash
# Build the collection tarball, check what it ships against galaxy.yml's allow-list (scripts/check-shipped.py),
# install it into an empty collections path and run ansible-doc on every plugin from there (as a user who
# installed the release would).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(python - "$ROOT/galaxy.yml" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["version"])
PY
)"
ansible-galaxy collection build "$ROOT" --output-path "$work" >/dev/null
tarball="$work/edgeops-nomad-${version}.tar.gz"
[ -f "$tarball" ] || { echo "build-check: $tarball was not built"; exit 1; }
echo "build-check: built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) entries)"

# What ships is exactly galaxy.yml's allow-list (its `manifest:` lines): nothing else (no editor folder, cache,
# test tooling or dev-only file, whatever the tree holds), and every tracked file the list names.
git -C "$ROOT" ls-files > "$work/tree" 2>/dev/null || : > "$work/tree"
python "$ROOT/scripts/check-shipped.py" "$tarball" --galaxy "$ROOT/galaxy.yml" --tree "$work/tree"
echo "build-check: every entry is on galaxy.yml's allow-list, and every tracked file it names ships"

# Install into an empty path (dependencies come from the cache: Galaxy is not reachable here).
ANSIBLE_COLLECTIONS_PATH="$work/installed" ansible-galaxy collection install --no-deps --force -p "$work/installed" "$tarball" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$work/installed:$ROOT/.cache/collections-deps"
mkdir -p "$ROOT/.cache/collections-deps/ansible_collections"
for dep in "$ROOT"/.cache/collections/ansible_collections/*/; do
  ns="$(basename "$dep")"; [ "$ns" = edgeops ] && continue
  ln -sfn "$dep" "$ROOT/.cache/collections-deps/ansible_collections/$ns"
done
installed="$work/installed/ansible_collections/edgeops/nomad"
if [ ! -d "$installed" ] || [ -L "$installed" ]; then echo "build-check: install did not create $installed"; exit 1; fi

count=0
for kind in module inventory filter test role; do
  # Every plugin ansible-doc lists from the installed copy must render its documentation.
  names="$(ansible-doc -t "$kind" -l edgeops.nomad --json | python -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin))))')"
  for name in $names; do
    ansible-doc -t "$kind" "$name" >/dev/null || { echo "build-check: ansible-doc -t $kind $name failed"; exit 1; }
    count=$((count + 1))
  done
  if [ "$kind" = module ]; then
    files=0
    [ -d "$installed/plugins/modules" ] && files="$(find "$installed/plugins/modules" -name '*.py' ! -name '__init__.py' | wc -l)"
    listed="$(grep -c . <<<"$names" || true)"
    [ "$listed" -eq "$files" ] || { echo "build-check: ansible-doc -l lists $listed modules, the tarball has $files"; exit 1; }
  fi
done
echo "build-check: ansible-doc rendered $count plugins from the installed tarball"

# The playbooks as a user of the release calls them: by FQCN, from the installed copy.
mapfile -t books < <(find "$installed/playbooks" -maxdepth 1 -name '*.yml' -printf 'edgeops.nomad.%f\n' | sed 's/\.yml$//' | sort)
[ "${#books[@]}" -gt 0 ] || { echo "build-check: no playbooks in the installed collection"; exit 1; }
(cd "$work" && ansible-playbook -i "$ROOT/inventories/example/hosts.yml" --syntax-check "${books[@]}" >/dev/null)
echo "build-check: ${#books[@]} playbooks from the installed tarball pass --syntax-check by FQCN"

# The Event-Driven Ansible content as Galaxy and ansible-rulebook find it in the installed copy: the event
# source documented through meta/extensions.yml (galaxy-importer runs ansible-doc -M on each ext_dir), the
# rulebooks under extensions/eda/rulebooks.
grep -q 'ext_dir: eda/plugins/event_source' "$installed/meta/extensions.yml" \
  || { echo "build-check: meta/extensions.yml does not list eda/plugins/event_source"; exit 1; }
sources=0
for source in "$installed"/extensions/eda/plugins/event_source/*.py; do
  ansible-doc -M "$(dirname "$source")" "$(basename "$source" .py)" >/dev/null \
    || { echo "build-check: ansible-doc -M cannot render the event source $(basename "$source")"; exit 1; }
  sources=$((sources + 1))
done
rulebooks="$(find "$installed/extensions/eda/rulebooks" -name '*.yml' | wc -l)"
if [ "$sources" -eq 0 ] || [ "$rulebooks" -eq 0 ]; then
  echo "build-check: no event source or rulebook in the tarball"; exit 1
fi
echo "build-check: $sources event source(s) rendered, $rulebooks rulebooks shipped"
