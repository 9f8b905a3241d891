#!/usr/bin/env bash
# Bootstrap the development toolchain without Ansible Galaxy.
#
#   1. Debian packages the checks need (only the missing ones are installed).
#   2. .venv with the pinned tools from requirements-dev.txt (skipped when the pins did not change).
#   3. The Ansible collections this project depends on, extracted from the PyPI `ansible` wheel
#      into .cache/collections/ansible_collections/ (the wheel is cached in .cache/wheels/).
#      Where Galaxy is reachable, EDGEOPS_USE_GALAXY=1 installs requirements.yml instead.
#   4. This checkout made importable as ansible_collections/edgeops/nomad (a symlink).
#   5. A get-pip shim so `ansible-test --venv` works without its download host.
#
# Safe to re-run: a warm second run takes a few seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

ANSIBLE_WHEEL_VERSION="12.3.0"
COLLECTIONS=(
  kubernetes.core community.hashi_vault ansible.windows ansible.posix
  containers.podman community.general community.crypto ansible.utils
)
CACHE="$ROOT/.cache"
mkdir -p "$CACHE/wheels" "$CACHE/collections/ansible_collections" "$ANSIBLE_HOME"

step() { printf '== bootstrap: %s\n' "$*"; }

# 1. System packages: python venv support, git, gnupg/zip for artifact checks, shellcheck for sanity.
step "system packages"
"$ROOT/scripts/apt-install.sh" python3-venv git gnupg zip unzip rsync shellcheck curl ca-certificates

# 2. Virtual environment with pinned tools.
want="$(sha256sum requirements-dev.txt | cut -c1-16)-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.edgeops-stamp 2>/dev/null)" != "$want" ]; then
  step "creating .venv ($want)"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > .venv/.edgeops-stamp
else
  step ".venv up to date"
fi

# 3. Collections.
col_root="$CACHE/collections/ansible_collections"
col_stamp="$col_root/.edgeops-stamp"
col_want="ansible-${ANSIBLE_WHEEL_VERSION}:${COLLECTIONS[*]}"
if [ "$(cat "$col_stamp" 2>/dev/null)" != "$col_want" ]; then
  if [ "${EDGEOPS_USE_GALAXY:-0}" = "1" ]; then
    step "collections from Galaxy (requirements.yml)"
    ansible-galaxy collection install -r requirements.yml -p "$CACHE/collections" --force
  else
    wheel="$(find "$CACHE/wheels" -name "ansible-${ANSIBLE_WHEEL_VERSION}-*.whl" | head -n1)"
    if [ -z "$wheel" ]; then
      step "downloading the ansible ${ANSIBLE_WHEEL_VERSION} wheel from PyPI (collections only)"
      .venv/bin/python -m pip download -q --no-deps "ansible==${ANSIBLE_WHEEL_VERSION}" -d "$CACHE/wheels"
      wheel="$(find "$CACHE/wheels" -name "ansible-${ANSIBLE_WHEEL_VERSION}-*.whl" | head -n1)"
    fi
    step "extracting ${COLLECTIONS[*]}"
    .venv/bin/python - "$wheel" "$CACHE/collections" "${COLLECTIONS[@]}" <<'PY'
import shutil, sys, zipfile
from pathlib import Path
wheel, dest, names = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
prefixes = ["ansible_collections/%s/%s/" % tuple(n.split(".")) for n in names]
for n in names:
    ns, name = n.split(".")
    shutil.rmtree(dest / "ansible_collections" / ns / name, ignore_errors=True)
with zipfile.ZipFile(wheel) as zf:
    members = [m for m in zf.namelist() if any(m.startswith(p) for p in prefixes)]
    zf.extractall(dest, members)
missing = [n for n, p in zip(names, prefixes) if not (dest / p / "MANIFEST.json").exists()]
if missing:
    sys.exit("collections missing from the wheel: %s" % ", ".join(missing))
PY
  fi
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

# 5. ansible-test --venv downloads get-pip from a host that is not reachable here; a shim that
#    uses ensurepip does the same job (it lives in ansible-test's cache, outside the repo).
shim="$HOME/.ansible/test/cache/get_pip_24_2.py"
if ! grep -q "PIP_CONFIG_FILE" "$shim" 2>/dev/null; then
  step "ansible-test get-pip shim"
  mkdir -p "$(dirname "$shim")"
  cat > "$shim" <<'PY'
"""Stand-in for get-pip.py (its download host is unreachable here): ensurepip, then pip itself.

ansible-test runs this with a stripped environment, so the venv gets a pip.conf that trusts the
system CA bundle (needed where HTTPS goes through an inspecting proxy)."""
import ensurepip
import os
import subprocess
import sys

BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
if os.path.exists(BUNDLE):
    with open(os.path.join(sys.prefix, "pip.conf"), "w", encoding="utf-8") as conf:
        conf.write("[global]\ncert = %s\n" % BUNDLE)
ensurepip.bootstrap()
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process: give pip its configuration back.
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args, env=env)
PY
fi
step "done"
