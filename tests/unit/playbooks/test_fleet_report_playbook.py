# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Playbook edgeops.nomad.fleet_report (and playbooks/tasks/fleet_report.yml, which edge_clients runs in its
last play), run the way AAP runs a job template: through ansible-runner, whose display callback turns the
run's custom stats (set_stats) into the job's artifacts (the playbook_on_stats event's artifact_data,
ansible_runner/display_callback/callback/awx_display.py v2_playbook_on_stats). Nomad is the API double
(tests/tools/nomad_api_double)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

ansible_runner = pytest.importorskip("ansible_runner")

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def rec(**counts):
    entry = dict((k, 0) for k in COUNTS)
    entry.update(unreachable_results=0, unreachable_msg="", failed_task="", failed_msg="")
    entry.update(counts)
    return entry


INVENTORY = {"all": {"children": {"nomad_clients": {"hosts": {
    "e1": {"nomad_client_node_pool": "edge-x86", "nomad_client_datacenter": "site-a"},
    "e2": {"nomad_client_node_pool": "edge-x86", "nomad_client_datacenter": "site-a"},
    "e3": {"nomad_client_node_pool": "edge-arm", "nomad_client_datacenter": "site-b"},
}}}}}
RECAP = {"format": 1, "final": True, "playbooks": ["edge_clients.yml"], "check_mode": False, "hosts": {
    "e1": rec(ok=9, changed=2),
    "e2": rec(ok=3),
    "e3": rec(ok=2, ignored=1, unreachable_results=1, unreachable_msg="ssh: connect to host e3 port 22: No route to host"),
    "localhost": rec(ok=4),
}}


@pytest.fixture(scope="module")
def nomad():
    state = DoubleState(acl=False, nodes=0)
    for name, pool, dc in (("e1", "edge-x86", "site-a"), ("e2", "edge-x86", "site-a"), ("old-box", "default", "dc1")):
        state.change_node_status(state.register_fake_node(name, pool, dc), "ready")
    for registered in list(state.nodes.values()):
        if registered["Name"] == "e2":
            state.change_node_status(registered, "down")
    server = NomadAPIDouble(state).start()
    yield server
    server.stop()


def run_job(tmp, extravars, cmdline=""):
    """One ansible-runner run of edgeops.nomad.fleet_report; returns (runner, artifact_data)."""
    (tmp / "project").mkdir(parents=True, exist_ok=True)
    (tmp / "inventory").mkdir(exist_ok=True)
    (tmp / "project" / "report.yml").write_text(yaml.safe_dump([{"ansible.builtin.import_playbook": "edgeops.nomad.fleet_report"}]))
    (tmp / "inventory" / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    env = {"ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections")),
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
           "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "0",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    runner = ansible_runner.run(private_data_dir=str(tmp), playbook="report.yml", inventory=str(tmp / "inventory"),
                                extravars=extravars, envvars=env, cmdline=cmdline or None, quiet=True)
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"]
    artifacts = stats[0]["event_data"].get("artifact_data", {}) if stats else {}
    return runner, artifacts


def output(runner):
    return runner.stdout.read() if hasattr(runner.stdout, "read") else str(runner.stdout)


def test_report_in_the_jobs_artifacts_and_files(tmp_path, nomad):
    (tmp_path / "recap.json").write_text(json.dumps(RECAP))
    runner, artifacts = run_job(tmp_path, {"nomad_fleet_report_recap_file": str(tmp_path / "recap.json"),
                                           "nomad_fleet_report_dir": str(tmp_path / "out"), "nomad_api_url": nomad.url,
                                           "nomad_api_token": ""})
    assert runner.rc == 0, output(runner)[-4000:]
    report = artifacts["nomad_fleet_report"]
    assert report["totals"] == {"hosts": 3, "ok": 1, "changed": 1, "failed": 0, "unreachable": 1, "not_run": 0}
    assert sorted((d["kind"], d["node"]) for d in report["disagreements"]) == [
        ("not_in_run", "old-box"), ("not_ready", "e2"), ("unknown_to_nomad", "e3")]
    written = json.loads((tmp_path / "out" / "fleet-report.json").read_text())
    assert written == report
    page = (tmp_path / "out" / "fleet-report.html").read_text()
    assert "Content-Security-Policy" in page and 'data-host="e3"' in page
    # writing the report is not a change of the run's state
    assert runner.stats["changed"].get("localhost", 0) == 0


def test_check_mode_and_nomad_unreachable_still_write_the_report(tmp_path):
    """Nomad's view missing is shown in the report, it does not fail the run; a --check run writes the report too."""
    (tmp_path / "recap.json").write_text(json.dumps(dict(RECAP, check_mode=True)))
    runner, artifacts = run_job(tmp_path, {"nomad_fleet_report_recap_file": str(tmp_path / "recap.json"),
                                           "nomad_fleet_report_dir": str(tmp_path / "out"),
                                           "nomad_api_url": "http://127.0.0.1:9", "nomad_api_token": ""}, cmdline="--check")
    assert runner.rc == 0, output(runner)[-4000:]
    report = artifacts["nomad_fleet_report"]
    assert report["nomad"]["available"] is False and "127.0.0.1:9" in report["nomad"]["error"]
    assert report["disagreements"] == [] and report["totals"]["hosts"] == 3
    page = (tmp_path / "out" / "fleet-report.html").read_text()
    assert "Nomad's view is missing" in page and "check mode" in page


def test_a_workflow_node_writes_the_artifact_again_without_asking_nomad(tmp_path):
    """In an AAP workflow the rollout job's artifact reaches the next node as the variable nomad_fleet_report."""
    first = dict(json.loads(json.dumps({"totals": {"hosts": 1, "ok": 1, "changed": 0, "failed": 0, "unreachable": 0,
                                                   "not_run": 0}, "hosts": [], "disagreements": [], "nomad": {},
                                        "title": "from the artifact", "generated": "2026-12-07T10:00:00Z"})))
    runner, artifacts = run_job(tmp_path, {"nomad_fleet_report": first, "nomad_fleet_report_dir": str(tmp_path / "out"),
                                           "nomad_api_url": "http://127.0.0.1:9"})
    assert runner.rc == 0, output(runner)[-4000:]
    assert "from the artifact" in (tmp_path / "out" / "fleet-report.html").read_text()
    assert artifacts["nomad_fleet_report"]["title"] == "from the artifact"


def test_without_a_recap_the_playbook_says_what_to_give(tmp_path):
    runner, dummy = run_job(tmp_path, {"nomad_fleet_report_dir": str(tmp_path / "out")})
    assert runner.rc != 0
    failed = [e["event_data"]["res"].get("msg", "") for e in runner.events if e.get("event") == "runner_on_failed"]
    assert failed and failed[0].startswith("nomad_fleet_report_recap_file must name the recap"), failed
