#!/usr/bin/env bash
# Test one end of the supported ansible-core range (meta/runtime.yml requires_ansible) in its own
# cached venv: the unit tests and the sanity test, with that ansible-core's own ansible-test.
#   scripts/core-range.sh oldest|newest [unit|sanity]...   (default: unit sanity)
# The versions are the `ansible-core==X ; extra == "core-oldest|core-newest"` lines of
# requirements-dev.txt; the other packages the unit tests import keep their pins from there. The
# venv is .cache/venv-core-<major.minor>, made from the first Python the release installs on
# (python3, then the machine's pyenv 3.12/3.13: ansible-core 2.20+ needs Python >= 3.12).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
end="${1:?usage: $0 oldest|newest [unit|sanity]...}"; shift
steps=("$@"); [ "${#steps[@]}" -gt 0 ] || steps=(unit sanity)
log() { printf '== core-%s: %s\n' "$end" "$*"; }

core="$(sed -nE "s/^ansible-core==([^ ;]+) *; *extra *== *\"core-${end}\".*/\\1/p" requirements-dev.txt)"
[ -n "$core" ] || { echo "requirements-dev.txt has no ansible-core line for core-${end}" >&2; exit 2; }
# The unit tests' imports, at the versions requirements-dev.txt pins.
pins=()
for name in pytest pytest-xdist jsonschema python-hcl2 kubernetes kubernetes-validate hvac jsonpatch bindep ansible-builder ansible-rulebook aiohttp; do
  pin="$(grep -iE "^${name}==" requirements-dev.txt)" || { echo "requirements-dev.txt does not pin $name" >&2; exit 2; }
  pins+=("$pin")
done
venv="$ROOT/.cache/venv-core-$(cut -d. -f1-2 <<<"$core")"
want="$(printf '%s\n' "ansible-core==$core" "${pins[@]}" | sha256sum | cut -c1-16)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.edgeops-stamp" 2>/dev/null)" != "$want" ]; then
  candidates=(python3)
  if pyroot="$(pyenv root 2>/dev/null)"; then
    for v in 3.12 3.13; do
      for p in "$pyroot"/versions/"$v".*/bin/python"$v"; do [ -x "$p" ] && candidates+=("$p"); done
    done
  fi
  python=""
  for p in "${candidates[@]}"; do
    # pip only downloads a release whose Requires-Python this interpreter meets.
    if "$p" -m pip download -q --no-deps --only-binary=:all: "ansible-core==$core" -d "$ROOT/.cache/wheels" >/dev/null 2>&1; then
      python="$p"; break
    fi
  done
  [ -n "$python" ] || { echo "no Python here installs ansible-core $core (tried ${candidates[*]})" >&2; exit 1; }
  log "creating $venv (ansible-core $core on $("$python" -V 2>&1))"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "ansible-core==$core" "${pins[@]}"
  echo "$want" > "$venv/.edgeops-stamp"
fi
export PATH="$venv/bin:$PATH"
log "$(ansible --version | head -n1), $(python -V)"
for step in "${steps[@]}"; do
  case "$step" in
    unit)
      # Two pytest workers, one test file each (--dist loadfile: a module's fixture, e.g. one
      # ansible-playbook run for all cases, runs once). The tests share no port or file.
      log "unit tests"
      PYTHONPATH="$ROOT/.cache/collections" python -m pytest -q -p no:cacheprovider \
        -n "${EDGEOPS_UNIT_WORKERS:-2}" --dist loadfile tests/unit tests/roles ;;
    sanity)
      log "sanity"
      bash scripts/sanity.sh ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
