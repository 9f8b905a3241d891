#!/usr/bin/env bash
# Galaxy's own importer (galaxy-importer, pinned in requirements-dev.txt) on the tarball this checkout builds,
# the way Galaxy / Automation Hub import it: metadata and docs checks, ansible-doc of every plugin, and its
# ansible-lint run (run_ansible_lint, on by default). Fails on any WARNING or ERROR line the importer logs
# (ansible-lint findings are logged as warnings), except the ones the collection cannot fix: the importer lints
# the collection alone, without its dependency collections, so ansible-lint's syntax check cannot resolve a
# module of kubernetes.core, ansible.windows ... (and stops at the first one in a file). For those, the same
# ansible-lint command (galaxy_importer/loaders/collection.py) runs again on the installed tarball WITH the
# dependencies galaxy.yml names, and must report nothing: then every remaining warning is the missing
# dependencies', and every rule the importer runs passes.
#   bash scripts/galaxy-importer.sh        (make galaxy-importer)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build "$ROOT" --output-path "$work" >/dev/null 2>&1
tarball="$(ls "$work"/edgeops-nomad-*.tar.gz)"
cat > "$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
run_ansible_lint = True
offline_ansible_lint = True
run_ansible_doc = True
run_ansible_test = False
check_changelog = True
tmp_root_dir = $work
CFG
# The importer runs ansible-doc and ansible-lint from PATH on a copy of the tarball; its own ansible-lint
# config comes with the importer (the checkout's .ansible-lint does not ship).
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" HOME="$work" \
  python -m galaxy_importer.main "$tarball" > "$work/importer.log" 2>&1) \
  || { cat "$work/importer.log"; echo "galaxy-importer: the import failed"; exit 1; }
grep -E '^(Importing|Linting|Collection loading)' "$work/importer.log" | sed 's/^/  /'
findings="$(grep -E '^(WARNING|ERROR)' "$work/importer.log" || true)"
deps="$(python -c 'import yaml; print("|".join(yaml.safe_load(open("galaxy.yml"))["dependencies"]).replace(".", "[.]"))')"
unresolved="syntax-check\[unknown-module\]: couldn't resolve module/action '($deps)[.]|Failed to load [^ ]+ playbook due to failing syntax check"
missing_deps="$(grep -E "$unresolved" <<<"$findings" || true)"
other="$(grep -v -E "$unresolved" <<<"$findings" | grep . || true)"
if [ -n "$other" ]; then
  echo "$other"; echo "galaxy-importer: $(grep -c . <<<"$other") warnings or errors the collection must fix"; exit 1
fi
if [ -n "$missing_deps" ]; then
  while IFS= read -r line; do echo "  (dependency not installed where the importer lints) $line"; done <<<"$missing_deps"
  mkdir -p "$work/cols/ansible_collections"
  ANSIBLE_COLLECTIONS_PATH="$work/cols" ansible-galaxy collection install --no-deps --force -p "$work/cols" "$tarball" >/dev/null 2>&1
  for dep in $(python -c 'import yaml; print(" ".join(yaml.safe_load(open("galaxy.yml"))["dependencies"]))'); do
    mkdir -p "$work/cols/ansible_collections/${dep%%.*}"
    ln -s "$ROOT/.cache/collections/ansible_collections/${dep%%.*}/${dep#*.}" "$work/cols/ansible_collections/${dep%%.*}/${dep#*.}"
  done
  cd "$work/cols/ansible_collections/edgeops/nomad"
  relint="$(ANSIBLE_COLLECTIONS_PATH="$work/cols" HOME="$work" ansible-lint --profile production --exclude tests/integration/ --exclude tests/unit/ --format=pep8 --nocolor \
      -x yaml,var-naming,avoid-dot-notation,import-task-no-when,single-entry-point,use-loop --offline 2>/dev/null || true)"
  cd "$ROOT"
  if [ -n "$relint" ]; then
    echo "$relint"; echo "galaxy-importer: the importer's ansible-lint, with the dependencies installed, still reports the above"; exit 1
  fi
  echo "galaxy-importer: $(grep -c . <<<"$missing_deps") warnings only because the importer lints without the dependency collections; with them installed the importer's ansible-lint reports nothing"
fi
echo "galaxy-importer: $(basename "$tarball") imported, nothing for the collection to fix ($(grep -c '' "$work/importer.log") log lines)"
