#!/usr/bin/env bash
# Bootstrap the development toolchain from the repository's dependency lists, nothing else:
#
#   1. .venv with the pinned Python packages of requirements-dev.txt (skipped when the pins and the
#      Python did not change).
#   2. Debian packages from bindep.txt (the collection's own) and bindep-dev.txt (development): `bindep -b`
#      (from .venv) lists the missing ones, for bindep-dev.txt of the profiles in EDGEOPS_BINDEP_PROFILES
#      (default: all of them), and apt-get installs exactly those.
#   3. The collections of requirements.yml (runtime) and requirements-dev.yml (demo and tests) into
#      .cache/collections/ansible_collections/, offline from
#      the PyPI `ansible` release that requirements-dev.txt names (wheel cached in .cache/wheels/),
#      each checked against its range in those lists. EDGEOPS_USE_GALAXY=1 uses ansible-galaxy.
#   4. This checkout made importable as ansible_collections/edgeops/nomad (a symlink).
#
# Safe to re-run: a warm second run takes a few seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

PROFILES="${EDGEOPS_BINDEP_PROFILES:-test demo arm64 cluster eda}"
CACHE="$ROOT/.cache"
mkdir -p "$CACHE/wheels" "$CACHE/collections/ansible_collections" "$ANSIBLE_HOME"

step() { printf '== bootstrap: %s\n' "$*"; }

# apt_install PKG...: the one place this repository installs Debian packages.
apt_install() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "bootstrap: not root and no sudo; run: apt-get install $*" >&2; exit 1; }
    sudo=(sudo -n)
  fi
  step "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # No recommends: bindep.txt lists every package the checks rely on, so a machine that has extra
  # recommended packages installed behaves like one that has not (scripts/check-commands.py).
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Virtual environment with the pinned Python packages.
want="$(sha256sum requirements-dev.txt | cut -c1-16)-$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.edgeops-stamp 2>/dev/null)" != "$want" ]; then
  step "creating .venv ($want)"
  if ! python3 -m venv .venv; then
    # The only package needed before bindep can run (Debian's python3 has venv in a separate package).
    apt_install python3-venv
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > .venv/.edgeops-stamp
else
  step ".venv up to date"
fi

# 2. System packages: the collection's own (bindep.txt, lines without a profile) and the development
#    profiles of bindep-dev.txt.
# missing_packages: what bindep reports missing from both lists (exit 1 when bindep itself fails).
missing_packages() {
  local spec args out
  for spec in "bindep.txt" "bindep-dev.txt $PROFILES"; do
    read -r -a args <<< "$spec"
    out="$(.venv/bin/bindep -f "${args[0]}" -b "${args[@]:1}")" && continue
    [ -n "$out" ] || { echo "bootstrap: bindep failed on ${args[0]}" >&2; return 1; }
    printf '%s\n' "$out"
  done
}
missing="$(missing_packages)"
if [ -z "$missing" ]; then
  step "system packages up to date (bindep.txt; bindep-dev.txt: $PROFILES)"
else
  mapfile -t pkgs <<< "$missing"
  apt_install "${pkgs[@]}"
  still="$(missing_packages)"
  [ -z "$still" ] || { echo "bootstrap: still missing after apt-get: $(tr '\n' ' ' <<< "$still")" >&2; exit 1; }
fi

# 3. Collections.
col_root="$CACHE/collections/ansible_collections"
col_stamp="$col_root/.edgeops-stamp"
wheel_version="$(sed -nE 's/^ansible==([^ ;]+) *; *extra *== *"collections".*/\1/p' requirements-dev.txt)"
[ -n "$wheel_version" ] || { echo 'bootstrap: requirements-dev.txt has no ansible==X line with extra == "collections"' >&2; exit 1; }
col_want="ansible-${wheel_version}-$(cat requirements.yml requirements-dev.yml | sha256sum | cut -c1-16)-galaxy${EDGEOPS_USE_GALAXY:-0}"
if [ "$(cat "$col_stamp" 2>/dev/null)" != "$col_want" ]; then
  wheel=""
  if [ "${EDGEOPS_USE_GALAXY:-0}" = "1" ]; then
    step "collections from Galaxy (requirements.yml, requirements-dev.yml)"
    for req in requirements.yml requirements-dev.yml; do
      ansible-galaxy collection install -r "$req" -p "$CACHE/collections" --force
    done
  else
    wheel="$(find "$CACHE/wheels" -name "ansible-${wheel_version}-*.whl" | head -n1)"
    if [ -z "$wheel" ]; then
      step "downloading the ansible ${wheel_version} wheel from PyPI (collections only)"
      .venv/bin/python -m pip download -q --no-deps "ansible==${wheel_version}" -d "$CACHE/wheels"
      wheel="$(find "$CACHE/wheels" -name "ansible-${wheel_version}-*.whl" | head -n1)"
    fi
  fi
  step "collections of requirements.yml and requirements-dev.yml${wheel:+ from $(basename "$wheel")}"
  .venv/bin/python - "$CACHE/collections" "$wheel" requirements.yml requirements-dev.yml <<'PY'
import json, shutil, sys, zipfile
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

dest, wheel, req_files = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
wanted = {c["name"]: c.get("version", "*")
          for req_file in req_files for c in yaml.safe_load(open(req_file, encoding="utf-8"))["collections"]}
root = dest / "ansible_collections"
if wheel:
    prefixes = {n: "ansible_collections/%s/%s/" % tuple(n.split(".")) for n in wanted}
    # Only what the lists name: drop collections that earlier lists had.
    for ns in [p for p in root.iterdir() if p.is_dir() and p.name != "edgeops"]:
        for col in [p for p in ns.iterdir() if p.is_dir() or p.is_symlink()]:
            if "%s.%s" % (ns.name, col.name) not in wanted:
                shutil.rmtree(col)
        if not any(ns.iterdir()):
            ns.rmdir()
    for n in wanted:
        shutil.rmtree(root.joinpath(*n.split(".")), ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest, [m for m in zf.namelist() if any(m.startswith(p) for p in prefixes.values())])
errors = []
for name, rng in wanted.items():
    manifest = root.joinpath(*name.split("."), "MANIFEST.json")
    if not manifest.exists():
        errors.append("%s: not installed%s" % (name, " (not in %s)" % Path(wheel).name if wheel else ""))
        continue
    version = json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]
    spec = SpecifierSet(",".join(s.strip() for s in rng.split(","))) if rng != "*" else SpecifierSet()
    if Version(version) not in spec:
        errors.append("%s: %s is outside the range %s of %s" % (name, version, rng, " / ".join(req_files)))
    else:
        print("   %s %s (%s)" % (name, version, rng))
if errors:
    sys.exit("bootstrap: " + "; ".join(errors))
PY
  echo "$col_want" > "$col_stamp"
else
  step "collections up to date"
fi

# 4. This checkout as edgeops.nomad.
mkdir -p "$col_root/edgeops"
if [ "$(readlink "$col_root/edgeops/nomad" 2>/dev/null)" != "$ROOT" ]; then
  rm -rf "$col_root/edgeops/nomad"
  ln -s "$ROOT" "$col_root/edgeops/nomad"
fi
step "done"
