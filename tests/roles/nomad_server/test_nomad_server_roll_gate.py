# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gate between two servers of a roll (roles/nomad_server/
tasks/roll_health.yml, used by the role's own rolls and by the `upgrade` entry point) lets the next
pod go only when Autopilot reports every server present, a healthy voter, at the target version,
and FailureTolerance >= 1.

Nomad (v2.0.5): /v1/operator/autopilot/health answers 200 or 429 (unhealthy) with Healthy,
FailureTolerance and per-server Version/Voter/Healthy (command/agent/operator_endpoint.go,
OperatorServerHealth; nomad/autopilot.go, GetClusterHealth and autopilotToServerHealth: Voter is
the Raft state, a restarted server is a non-voter for server_stabilization_time).

The old gate (playbooks/tasks/upgrade_server_pod.yml) waited only for `nomad_cluster_info.healthy`
(a leader and Autopilot's Healthy flag). The cases marked `old_gate_passes` are answers where that
flag is true and the next pod must still wait: the test asserts the module's flag is true for them,
so it shows the old gate would have let the roll go on.

The API double answers autopilot health with three fixed servers at 2.0.5; each case here replaces
that one route in this test process with the scenario's answer (auth and 200/429 kept).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tests.tools.nomad_api_double import server as double  # noqa: E402  pylint: disable=wrong-import-position


def servers(versions, voters=None, healthy=None):
    out = []
    for i, version in enumerate(versions):
        out.append({"ID": str(uuid.UUID(int=i + 1)), "Name": "nomad-%d.global" % i, "Address": "10.0.0.%d:4647" % (i + 1),
                    "SerfStatus": "alive", "Version": version, "Leader": i == 0, "LastContact": "0s", "LastTerm": 2,
                    "LastIndex": 10, "Healthy": True if healthy is None else healthy[i],
                    "Voter": True if voters is None else voters[i], "StableSince": "2026-11-24T10:00:00Z"})
    return out


def answer(srv, healthy=True, tolerance=1):
    return {"Healthy": healthy, "FailureTolerance": tolerance, "Leader": srv[0]["ID"],
            "Voters": [s["ID"] for s in srv if s["Voter"]], "Servers": srv}


# case -> (autopilot answer, target version, gate must pass, old gate (`healthy`) passes)
CASES = {
    "all_at_target": (answer(servers(["2.0.5"] * 3)), "2.0.5", True, True),
    "enterprise_build_suffix": (answer(servers(["2.0.5+ent"] * 3)), "2.0.5", True, True),
    "failure_tolerance_zero": (answer(servers(["2.0.5"] * 3), tolerance=0), "2.0.5", False, True),
    "one_server_at_old_version": (answer(servers(["2.0.5", "2.0.5", "2.0.4"])), "2.0.5", False, True),
    "prefix_is_not_the_version": (answer(servers(["2.0.50"] * 3)), "2.0.5", False, True),
    "a_server_missing": (answer(servers(["2.0.5"] * 2)), "2.0.5", False, True),
    "restarted_server_not_yet_voter": (answer(servers(["2.0.5"] * 3, voters=[True, True, False])), "2.0.5", False, True),
    "unhealthy_429": (answer(servers(["2.0.5"] * 3, healthy=[True, True, False]), healthy=False, tolerance=0),
                      "2.0.5", False, False),
    "pre_upgrade_check_any_version": (answer(servers(["2.0.4"] * 3)), "", True, True),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roll_gate")
    doubles = {}
    routes = list(double.ROUTES)
    scenario = {}

    def autopilot_health(handler):
        handler.auth(("operator", "read"))
        body = scenario[handler.server.url]
        return (200 if body["Healthy"] else 429), body, handler.read_headers()

    for i, (methods, regex, fn) in enumerate(double.ROUTES):
        if fn is double.Handler.autopilot_health:
            double.ROUTES[i] = (methods, regex, autopilot_health)
    hosts = {}
    try:
        for case_id, (body, target, dummy_a, dummy_b) in CASES.items():
            srv = double.NomadAPIDouble(double.DoubleState(acl=True)).start()
            doubles[case_id] = srv
            scenario[srv.url] = body
            req = urllib.request.Request(srv.url + "/v1/acl/bootstrap", method="POST", data=b"{}")
            with urllib.request.urlopen(req, timeout=10) as resp:  # a management token, as the playbooks use
                token = json.loads(resp.read())["SecretID"]
            hosts[case_id] = {"nomad_url": srv.url, "nomad_token": token, "target": target,
                              "record": str(tmp / (case_id + ".json")), "ansible_connection": "local",
                              "ansible_python_interpreter": sys.executable}
        play = {
            "name": "Each inventory host is one case",
            "hosts": "all",
            "gather_facts": False,
            "module_defaults": {"group/edgeops.nomad.nomad": {"url": "{{ nomad_url }}", "token": "{{ nomad_token | default(omit, true) }}"}},
            "vars": {"nomad_server_replicas": 3, "nomad_server_version": "2.0.5", "nomad_server_roll_health_timeout": 2,
                     "nomad_server_roll_poll_interval": 1},
            "tasks": [{
                "block": [
                    {"name": "The gate",
                     "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_server", "tasks_from": "roll_health"},
                     "vars": {"__nomad_server_roll_version": "{{ target }}"}},
                    {"name": "Record success", "ansible.builtin.copy": {
                        "dest": "{{ record }}", "mode": "0644",
                        "content": "{{ {'ok': true, 'healthy': __nomad_server_roll_health.healthy | default(none)} | to_json }}"}},
                ],
                "rescue": [{"name": "Record the failure", "ansible.builtin.copy": {
                    "dest": "{{ record }}", "mode": "0644",
                    "content": "{{ {'ok': false, 'msg': ansible_failed_result.msg | default(''),"
                               " 'healthy': __nomad_server_roll_health.healthy | default(none)} | to_json }}"}}],
            }],
        }
        (tmp / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        (tmp / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
        proc = subprocess.run(["ansible-playbook", "-i", "inventory.yml", "-f", "10", "playbook.yml"], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
    finally:
        double.ROUTES[:] = routes
        for srv in doubles.values():
            srv.stop()
    out = {"__log__": proc.stdout[-4000:] + proc.stderr[-2000:]}
    for case_id in CASES:
        path = tmp / (case_id + ".json")
        out[case_id] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return out


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_gate(results, case_id):
    dummy, target, must_pass, old_gate_passes = CASES[case_id]
    record = results[case_id]
    assert record is not None, results["__log__"]
    assert record["ok"] is must_pass, (case_id, record)
    if not must_pass:
        # The message names the variable to raise and the unmet condition.
        assert record["msg"].startswith("nomad_server_roll_health_timeout:"), record
    # What the old gate looked at: the module's healthy flag (leader + Autopilot's Healthy).
    assert record["healthy"] is old_gate_passes, (case_id, record)


def test_unmet_conditions_are_named(results):
    assert "FailureTolerance is 0" in results["failure_tolerance_zero"]["msg"]
    assert "not at version 2.0.5: ['nomad-2.global']" in results["one_server_at_old_version"]["msg"]
    assert "2 servers known to Autopilot, 3 expected" in results["a_server_missing"]["msg"]
    assert "not voters yet: ['nomad-2.global']" in results["restarted_server_not_yet_voter"]["msg"]
    # An answer that came is not reported as an API failure.
    assert all("did not answer" not in (results[c] or {}).get("msg", "") for c in CASES), results
