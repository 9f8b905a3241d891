# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render edgeops.nomad.nomad_server's object list offline (tasks_from=objects_only, no cluster).

One ansible-playbook run renders every case (one inventory host per case) and returns
{case: [objects]} or {case: {"failed": msg}}. The objects are exactly what the role applies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[4]

# Inputs that pass the role's preflight in render mode.
VALID = {
    "nomad_server_kube_version": "1.30",
    "nomad_server_advertise_address": "192.0.2.10",
    "nomad_server_gossip_key_source": "secret",
    "nomad_server_gossip_key_secret_name": "nomad-gossip",
    # Render mode has no API server to detect OpenShift from (nomad_server_openshift: auto is refused).
    "nomad_server_openshift": False,
}
MTLS = {"nomad_server_tls_source": "secret", "nomad_server_tls_secret_name": "nomad-tls",
        "nomad_server_tls_verify_https_client": True}
ENT = {"nomad_server_edition": "enterprise", "nomad_server_license_source": "secret",
       "nomad_server_license_secret_name": "nomad-license"}


def render(tmp: Path, cases: dict) -> dict:
    hosts = {}
    for case_id, overrides in cases.items():
        hosts[case_id] = {**VALID, **overrides, "nomad_server_render_dir": str(tmp / "render" / case_id),
                          "record": str(tmp / (case_id + ".json")), "ansible_connection": "local",
                          "ansible_python_interpreter": sys.executable}
    play = {
        "name": "Each inventory host is one case",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [{
            "block": [
                {"name": "Build the object list", "ansible.builtin.include_role": {
                    "name": "edgeops.nomad.nomad_server", "tasks_from": "objects_only"}},
                {"name": "Record the objects", "ansible.builtin.copy": {
                    "dest": "{{ record }}", "mode": "0644", "content": "{{ __nomad_server_objects | to_json }}"}},
            ],
            "rescue": [{"name": "Record the failure", "ansible.builtin.copy": {
                "dest": "{{ record }}", "mode": "0644",
                "content": "{{ {'failed': ansible_failed_result.msg | default('')} | to_json }}"}}],
        }],
    }
    (tmp / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    (tmp / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    proc = subprocess.run(["ansible-playbook", "-i", "inventory.yml", "-f", "4", "playbook.yml"], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    out = {}
    for case_id in cases:
        path = tmp / (case_id + ".json")
        out[case_id] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {
            "failed": proc.stdout[-3000:] + proc.stderr[-3000:]}
    return out


def objects(rendered, kind, name=None):
    assert isinstance(rendered, list), rendered
    return [o for o in rendered if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(rendered, kind, name=None):
    found = objects(rendered, kind, name)
    assert len(found) == 1, [o["kind"] + "/" + o["metadata"]["name"] for o in rendered]
    return found[0]


def container(pod_spec, name):
    return next(c for c in pod_spec["containers"] if c["name"] == name)
