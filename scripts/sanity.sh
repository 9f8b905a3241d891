#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/edgeops/nomad as a real directory
# (it resolves symlinks), outside any git checkout (inside one it asks that checkout's git for the
# file list, which ignores .cache/). Copy the files git knows about (tracked, or untracked and not ignored)
# into such a tree, link the dependency collections beside it, and run sanity there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tree="${TMPDIR:-/tmp}/edgeops-nomad-sanity-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/ansible_collections"
dest="$tree/edgeops/nomad"
mkdir -p "$dest"
for dep in "$ROOT"/.cache/collections/ansible_collections/*/*/; do
  dep="${dep%/}"; ns="$(basename "$(dirname "$dep")")"; name="$(basename "$dep")"
  [ "$ns/$name" = "edgeops/nomad" ] && continue
  mkdir -p "$tree/$ns"; ln -sfn "$dep" "$tree/$ns/$name"
done
(cd "$ROOT" && git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
  [ -f "$f" ] && printf '%s\n' "$f"; done | sort) > "$tree/.wanted"
rsync -a --files-from="$tree/.wanted" "$ROOT"/ "$dest"/
# --files-from does not delete what the checkout no longer has: prune it.
(cd "$dest" && find . \( -type f -o -type l \) ! -path './tests/output/*' | sed 's|^\./||' | sort) > "$tree/.have"
comm -13 "$tree/.wanted" "$tree/.have" | (cd "$dest" && xargs -r -d '\n' rm -f)
cd "$dest"
# ansible-test installs each sanity test's pinned tools with pip in its own venvs: let pip read the
# machine's configuration (index, CA bundle) and trust the system CA bundle where there is one.
unset PIP_CONFIG_FILE
if [ -z "${PIP_CERT:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi
ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
