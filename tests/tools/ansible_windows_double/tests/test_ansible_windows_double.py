# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recording stand-in of ansible.windows answers from its scenario and records every call in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

DOUBLE = Path(__file__).resolve().parents[1]
ROOT = Path(__file__).resolve().parents[4]

PLAY = [{
    "hosts": "all",
    "gather_facts": False,
    "tasks": [
        {"name": "info", "ansible.windows.win_service_info": {"name": "nomad"}, "register": "info"},
        {"name": "unpack", "ansible.windows.win_powershell": {"script": "Expand-Archive -LiteralPath $Zip"}, "register": "unpack"},
        {"name": "stop", "ansible.windows.win_powershell": {"script": "$s.WaitForStatus('Stopped')", "parameters": {"TimeoutSeconds": 5}},
         "register": "stop"},
        {"name": "start", "ansible.windows.win_service": {"name": "nomad", "state": "started"}, "register": "start"},
        {"name": "results", "ansible.builtin.copy": {
            "dest": "{{ out }}", "mode": "0644",
            "content": "{{ {'exists': info.exists, 'state': info.services[0].state | default(''), 'unpack': unpack.changed,"
                       " 'stop': stop.changed, 'start': start.state} | to_json }}"}},
    ],
}]


def run(tmp, scenario):
    (tmp / "play.yml").write_text(yaml.safe_dump(PLAY), encoding="utf-8")
    (tmp / "scenario.json").write_text(json.dumps({"edge": scenario}), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(DOUBLE), str(ROOT / ".cache" / "collections")]),
               EDGEOPS_WINDOWS_DOUBLE_SCENARIO=str(tmp / "scenario.json"), EDGEOPS_WINDOWS_DOUBLE_RECORD=str(tmp / "calls.jsonl"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    proc = subprocess.run(["ansible-playbook", "-i", "edge,", "-c", "local", "-e", f"out={tmp / 'out.json'}",
                           "-e", f"ansible_python_interpreter={sys.executable}", str(tmp / "play.yml")],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    calls = [json.loads(line) for line in (tmp / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    return json.loads((tmp / "out.json").read_text(encoding="utf-8")), calls


def test_a_running_service_and_a_new_binary(tmp_path):
    out, calls = run(tmp_path, {"service": {"exists": True, "state": "running"}, "binary_differs": True})
    assert out == {"exists": True, "state": "running", "unpack": True, "stop": True, "start": "running"}
    assert [(c["host"], c["module"], c["task"]) for c in calls] == [
        ("edge", "win_service_info", "info"), ("edge", "win_powershell", "unpack"), ("edge", "win_powershell", "stop"),
        ("edge", "win_service", "start")]
    assert calls[2]["args"]["parameters"] == {"TimeoutSeconds": 5}


def test_no_service_and_the_same_binary(tmp_path):
    out, _calls = run(tmp_path, {"service": {"exists": False}, "binary_differs": False})
    assert out["exists"] is False and out["unpack"] is False and out["stop"] is False
