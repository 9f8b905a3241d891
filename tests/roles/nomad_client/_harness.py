# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nomad_client tests' inputs; the harness that runs the role is tests/roles/_role_harness.py."""

from __future__ import annotations

from pathlib import Path

from _role_harness import ROOT, read_json, run_playbook, run_role_cases  # noqa: F401  pylint: disable=unused-import

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

# Check mode with the install/configure/service tags skipped: nothing past preflight/set_vars can touch the host,
# even if a case were wrongly accepted.
PREFLIGHT_ONLY = ("--check", "--skip-tags", "nomad_client_install,nomad_client_configure,nomad_client_service")


def run_preflight_cases(tmp: Path, cases: dict) -> dict:
    """Each case ({case_id: role vars over the valid Linux baseline}) through the role's preflight; see run_role_cases."""
    role_vars = {case_id: {"__nomad_client_host": LINUX_AMD64, **VALID, "nomad_client_controller_cache_dir": str(tmp / "cache"),
                           **overrides} for case_id, overrides in cases.items()}
    return run_role_cases(tmp, role_vars, role="edgeops.nomad.nomad_client", args=PREFLIGHT_ONLY)
