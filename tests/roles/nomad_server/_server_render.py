# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render edgeops.nomad.nomad_server's object list offline (tasks_from=objects_only, no cluster).

One ansible-playbook run of the shared role harness (tests/roles/_role_harness.py) renders every case and returns
{case: [objects]} or {case: {"failed": msg}}. The objects are exactly what the role applies.
"""

from __future__ import annotations

from pathlib import Path

from _role_harness import ROOT, run_role_cases  # noqa: F401  pylint: disable=unused-import

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
    role_vars = {case_id: {**VALID, **overrides, "nomad_server_render_dir": str(tmp / "render" / case_id)}
                 for case_id, overrides in cases.items()}
    records = run_role_cases(tmp, role_vars, role="edgeops.nomad.nomad_server", tasks_from="objects_only",
                             success="__nomad_server_objects", forks=4)
    out = {}
    for case_id in cases:
        record = records.get(case_id, {"ok": False, "msg": records["__log__"]})
        out[case_id] = {"failed": record["msg"]} if isinstance(record, dict) and record.get("ok") is False else record
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
