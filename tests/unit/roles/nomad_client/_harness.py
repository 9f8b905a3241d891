# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a generated playbook against localhost with the collection on the path (shared by the nomad_client tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[4]
LINUX_AMD64 = {"system": "Linux", "os_family": "Debian", "architecture": "x86_64"}
WINDOWS_AMD64 = {"system": "Win32NT", "os_family": "Windows", "architecture": "64-bit"}
# Shape-only stand-in for a public key: preflight checks the armour, these tests never verify a signature.
FAKE_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ntest double\n-----END PGP PUBLIC KEY BLOCK-----\n"
VALID = {
    "nomad_client_servers": ["nomad-lb.example.test:4647"],
    "nomad_client_gpg_key": FAKE_KEY,
    # Never a real download from unit tests: nothing listens here.
    "nomad_client_download_base_url": "http://127.0.0.1:9/no-downloads-in-unit-tests",
    # TLS is on by default: preflight needs the three controller paths (read only by the configure step).
    "nomad_client_tls_ca_file": "/pki/ca.pem",
    "nomad_client_tls_cert_file": "/pki/cert.pem",
    "nomad_client_tls_key_file": "/pki/key.pem",
}
NO_TLS_FILES = {"nomad_client_tls_ca_file": "", "nomad_client_tls_cert_file": "", "nomad_client_tls_key_file": ""}


def run_playbook(tmp: Path, plays: list, inventory: str, *extra: str) -> subprocess.CompletedProcess:
    playbook = tmp / "playbook.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    env.update(
        {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        }
    )
    inv = tmp / "inventory.yml"
    inv.write_text(inventory, encoding="utf-8")
    return subprocess.run(
        ["ansible-playbook", "-i", str(inv), str(playbook), *extra],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
