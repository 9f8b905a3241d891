#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/edgeops/nomad as a real directory
# (it resolves symlinks), outside any git checkout (inside one it asks that checkout's git for the
# file list, which ignores .cache/). Copy the files git knows about (tracked, or untracked and not ignored)
# into such a tree, link the dependency collections beside it, and run sanity there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# one tree per checkout and ansible-core (mk/core-range.mk runs other cores beside the .venv one)
core="$(python -c 'import ansible.release; print(ansible.release.__version__)')"
tree="${TMPDIR:-/tmp}/edgeops-nomad-sanity-$(printf '%s %s' "$ROOT" "$core" | sha256sum | cut -c1-12)/ansible_collections"
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
# ansible-test gives each sanity test with tool requirements its own venv, created without pip and
# bootstrapped by a get-pip script it downloads from a host that is not reachable here; the answer its
# own error message gives (ansible/ansible#77304) is a bootstrap script in its cache. So ansible-test
# runs with a HOME of this project's own (its venvs and cache live there, never in the user's
# ~/.ansible), and that bootstrap script installs the exact pip ansible-test asks for from PyPI's wheel.
home="${EDGEOPS_ANSIBLE_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeops-nomad/ansible-test-home}"
pyver="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
pip_version="$(python - "$pyver" <<'PY'
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])
PY
)"
cache="$home/.ansible/test/cache"
bootstrap="$cache/get_pip_${pip_version//./_}.py"
# pip reads the machine's configuration (index, CA bundle) in ansible-test's venvs, not /dev/null.
unset PIP_CONFIG_FILE
if [ -z "${PIP_CERT:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi
if [ ! -f "$bootstrap" ] || ! ls "$cache/pip-${pip_version}-"*.whl >/dev/null 2>&1; then
  mkdir -p "$cache"
  python -m pip download -q --no-deps --only-binary=:all: "pip==${pip_version}" -d "$cache"
  cat > "$bootstrap" <<PY
"""pip bootstrap for ansible-test's sanity venvs (written by edgeops.nomad's scripts/sanity.sh):
pip ${pip_version} runs from its PyPI wheel beside this file and installs itself plus what ansible-test asks."""
import glob, os, runpy, sys
wheel = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-${pip_version}-*.whl"))[0]
sys.path.insert(0, wheel)
args = [wheel if a == "pip==${pip_version}" else a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
PY
fi
HOME="$home" ansible-test sanity --python "$pyver" --color no "$@"
