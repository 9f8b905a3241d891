# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example inventory's control plane passes edgeops.nomad.nomad_server's own checks:
the argument specs (types, choices) and tasks/preflight.yml, with the inventory's own group_vars.

Runs only the checks (tasks_from=preflight), so nothing is rendered and no cluster is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
ROLE = Path(COLLECTIONS.split(":")[0]) / "ansible_collections" / "edgeops" / "nomad" / "roles" / "nomad_server"


def test_example_control_plane_passes_the_server_preflight(tmp_path):
    play = [{
        "name": "Check the example control plane",
        "hosts": "nomad_control_plane",
        "gather_facts": False,
        "tasks": [
            {"name": "Argument specs of the role's main entry point",
             "ansible.builtin.validate_argument_spec": {"argument_spec": "{{ __spec.argument_specs.main.options }}"},
             "vars": {"__spec": "{{ lookup('ansible.builtin.file', '%s') | ansible.builtin.from_yaml }}"
                                % (ROLE / "meta" / "argument_specs.yml")}},
            {"name": "The role's preflight", "ansible.builtin.include_role": {
                "name": "edgeops.nomad.nomad_server", "tasks_from": "preflight"}},
        ],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ.get("EXAMPLE_INVENTORY", str(ROOT / "inventories" / "example" / "hosts.yml")), str(tmp_path / "play.yml"),
         "-e", "ansible_python_interpreter=" + sys.executable],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "ok=2" in proc.stdout or "ok=3" in proc.stdout, proc.stdout[-2000:]


def test_example_certificate_names_cover_the_urls_it_uses(tmp_path):
    """The names the example's server certificate must carry (the role's own list, which its preconditions hold the
    TLS Secret to) include the host of nomad_api_url: the playbooks' HTTPS calls verify it (Go crypto/x509 and
    Python's ssl check subjectAltName), and the example's passthrough Route hands them the servers' certificate.
    The example's comment, which says what to put into the certificate, lists every one of them."""
    out = tmp_path / "names.json"
    play = [{
        "name": "The example's certificate names",
        "hosts": "nomad_control_plane",
        "gather_facts": False,
        "tasks": [
            {"name": "The role's preflight", "ansible.builtin.include_role": {
                "name": "edgeops.nomad.nomad_server", "tasks_from": "preflight", "public": True}},
            {"name": "Record", "ansible.builtin.copy": {
                "dest": str(out), "mode": "0644",
                "content": "{{ {'names': __nomad_server_tls_required_names, 'url': nomad_api_url,"
                           " 'route': nomad_server_route_host} | to_json }}"}},
        ],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING="0")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    inventory = ROOT / "inventories" / "example" / "hosts.yml"
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(tmp_path / "play.yml"),
                           "-e", "ansible_python_interpreter=" + sys.executable],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    got = json.loads(out.read_text(encoding="utf-8"))
    assert urllib.parse.urlsplit(got["url"]).hostname in got["names"], got
    assert got["route"] in got["names"] and "server.edge.nomad" in got["names"], got
    comment = (ROOT / "inventories" / "example" / "group_vars" / "nomad_control_plane.yml").read_text(encoding="utf-8")
    documented = " ".join(line for line in comment.splitlines() if line.startswith("#"))
    assert [n for n in got["names"] if n not in documented] == [], documented
