# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.fleet_recap (callback) and edgeops.nomad.fleet_recap (lookup), against a real ansible-playbook run.

One run of a playbook whose hosts meet every way Ansible counts a result (ansible-core
lib/ansible/plugins/strategy/__init__.py StrategyBase._process_pending_results and
lib/ansible/plugins/strategy/linear.py for includes): ok, changed, skipped, loops, include_tasks and include_role,
ignore_errors, a failure caught by a rescue section (nested too: a failure inside a rescue whose enclosing
block has its own rescue), a failure nothing catches, meta tasks, handlers, a no_log failure, an unreachable
host whose unreachable result is ignored (ignore_unreachable: the recap counts it ok + ignored) and one whose
is not. The last play (on localhost) saves what the lookup returns at that point: the counts kept during the
run. Checked: those counts, and the final file the callback writes, equal the PLAY RECAP that Ansible's own
output callback prints for the same run, host by host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
SECRET = "s3cr3t-Do-Not-Print-7f1c"
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+"
                        r"skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)
COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")

INVENTORY = {"all": {"hosts": {
    "plain": {}, "rescued": {}, "broken": {}, "ended": {}, "quiet": {},
    # a port nothing listens on: the connection is refused at once
    "gone-ignored": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1},
    "gone": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1},
}, "vars": {"ansible_connection": "local"}}}

INCLUDED = [
    {"name": "included ok", "ansible.builtin.debug": {"msg": "in include"}},
    {"name": "included changed", "ansible.builtin.command": "true", "changed_when": True},
]

PLAYS = [
    {"name": "every way a result counts", "hosts": "all:!localhost", "gather_facts": False, "tasks": [
        {"name": "reach (unreachable ignored on one host)", "ansible.builtin.ping": None,
         "ignore_unreachable": "{{ inventory_hostname == 'gone-ignored' }}"},
        {"name": "nothing more on the host whose unreachable result was ignored", "ansible.builtin.meta": "end_host",
         "when": "inventory_hostname == 'gone-ignored'"},
        {"name": "changed", "ansible.builtin.command": "true", "changed_when": True, "notify": "a handler"},
        {"name": "skipped on some", "ansible.builtin.debug": {"msg": "x"}, "when": "inventory_hostname != 'plain'"},
        {"name": "a loop", "ansible.builtin.debug": {"msg": "{{ item }}"}, "loop": [1, 2, 3]},
        {"name": "include", "ansible.builtin.include_tasks": "included.yml"},
        {"name": "include_role", "ansible.builtin.include_role": {"name": "tiny"}},
        {"name": "ignored failure", "ansible.builtin.command": "false", "ignore_errors": True},
        {"name": "the flush", "ansible.builtin.meta": "flush_handlers"},
        {"name": "outer", "block": [
            {"name": "inner", "block": [
                {"name": "fails on rescued", "ansible.builtin.fail": {"msg": "inner boom"},
                 "when": "inventory_hostname == 'rescued'"},
            ], "rescue": [
                {"name": "fails again in the inner rescue", "ansible.builtin.fail": {"msg": "rescue boom"},
                 "when": "inventory_hostname == 'rescued'"},
            ]},
        ], "rescue": [
            {"name": "outer rescue", "ansible.builtin.debug": {"msg": "caught"}},
        ]},
        {"name": "no_log failure", "ansible.builtin.fail": {"msg": "token " + SECRET}, "no_log": True,
         "when": "inventory_hostname == 'quiet'", "ignore_errors": True},
        {"name": "fails for good on broken", "ansible.builtin.fail": {"msg": "broken for good"},
         "when": "inventory_hostname == 'broken'"},
        {"name": "end ended", "ansible.builtin.meta": "end_host", "when": "inventory_hostname == 'ended'"},
        {"name": "after", "ansible.builtin.debug": {"msg": "after"}},
    ], "handlers": [
        {"name": "a handler", "ansible.builtin.debug": {"msg": "handled"}},
    ]},
    {"name": "what the run's own tasks see", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "save the live recap", "ansible.builtin.copy": {
            "content": "{{ lookup('edgeops.nomad.fleet_recap') | to_json }}", "dest": "{{ playbook_dir }}/live.json",
            "mode": "0600"}},
    ]},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet_recap")
    (tmp / "playbook.yml").write_text(yaml.safe_dump(PLAYS, sort_keys=False))
    (tmp / "included.yml").write_text(yaml.safe_dump(INCLUDED, sort_keys=False))
    (tmp / "roles" / "tiny" / "tasks").mkdir(parents=True)
    (tmp / "roles" / "tiny" / "tasks" / "main.yml").write_text(yaml.safe_dump(
        [{"name": "tiny role", "ansible.builtin.debug": {"msg": "tiny"}}]))
    (tmp / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    env.update({
        "ANSIBLE_CALLBACKS_ENABLED": "edgeops.nomad.fleet_recap",
        "EDGEOPS_FLEET_RECAP_FILE": str(tmp / "final.json"),
        "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_TIMEOUT": "5",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    env.pop("EDGEOPS_FLEET_RECAP_LIVE", None)
    # a temporary directory of the run's own: the callback's live record goes there, and other runs on the machine
    # (a demo with the callback on) cannot put theirs beside it
    (tmp / "tmpdir").mkdir()
    env["TMPDIR"] = str(tmp / "tmpdir")
    proc = subprocess.run(["ansible-playbook", "-i", "inventory.yml", "playbook.yml"], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    printed = {m.group(1): dict(zip(COUNTS, map(int, m.groups()[1:]))) for m in RECAP_LINE.finditer(proc.stdout)}
    assert printed and (tmp / "live.json").exists(), proc.stdout[-6000:] + proc.stderr[-3000:]
    live = json.loads((tmp / "live.json").read_text())
    final = json.loads((tmp / "final.json").read_text())
    return {"proc": proc, "printed": printed, "live": live, "final": final, "tmp": tmp}


def counts(entry):
    return {k: entry[k] for k in COUNTS}


def test_the_run_meets_every_case(run):
    printed = run["printed"]
    assert printed["gone"]["unreachable"] == 1
    assert printed["gone-ignored"]["unreachable"] == 0 and printed["gone-ignored"]["ignored"] >= 1
    assert printed["rescued"]["rescued"] == 2 and printed["rescued"]["failed"] == 0
    assert printed["broken"]["failed"] == 1
    assert printed["plain"]["skipped"] > 0 and printed["plain"]["changed"] == 3


@pytest.mark.parametrize("host", sorted(INVENTORY["all"]["hosts"]))
def test_counts_kept_during_the_run_equal_the_play_recap(run, host):
    assert counts(run["live"]["hosts"][host]) == run["printed"][host]
    assert run["live"]["final"] is False


@pytest.mark.parametrize("host", sorted(INVENTORY["all"]["hosts"]) + ["localhost"])
def test_final_file_equals_the_play_recap(run, host):
    assert counts(run["final"]["hosts"][host]) == run["printed"][host]
    assert run["final"]["final"] is True


def test_unreachable_is_kept_even_when_ignored(run):
    """The recap shows an ignored unreachable result as ok + ignored; the record keeps that it happened."""
    hosts = run["final"]["hosts"]
    assert hosts["gone-ignored"]["unreachable_results"] == 1 and hosts["gone-ignored"]["unreachable"] == 0
    assert hosts["gone"]["unreachable_results"] == 1
    assert hosts["plain"]["unreachable_results"] == 0
    assert hosts["gone"]["unreachable_msg"]


def test_first_failed_task_and_its_message(run):
    hosts = run["final"]["hosts"]
    assert hosts["broken"]["failed_task"] == "fails for good on broken"
    assert hosts["broken"]["failed_msg"] == "broken for good"
    assert hosts["rescued"]["failed_task"] == "fails on rescued"
    assert hosts["plain"]["failed_task"] == ""


def test_no_log_results_stay_censored(run):
    for name in ("live.json", "final.json"):
        assert SECRET not in (run["tmp"] / name).read_text()
    assert run["final"]["hosts"]["quiet"]["ignored"] == run["final"]["hosts"]["plain"]["ignored"] + 1


def test_final_file_is_private_and_the_live_one_is_gone(run):
    assert (run["tmp"] / "final.json").stat().st_mode & 0o777 == 0o600
    assert not [p for p in (run["tmp"] / "tmpdir").glob("edgeops-fleet-recap-*") if (p / "live.json").exists()]
