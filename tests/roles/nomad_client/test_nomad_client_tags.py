# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`--tags <tag>` runs exactly the tasks of that step of edgeops.nomad.nomad_client.

A tag on `include_tasks` without `apply` selects the include and then none of its tasks; this runs the role once
per documented tag and records which tasks ran (callback_plugins/record_tasks.py).

No host is changed: the host's connection points at a closed port and the play has `ignore_unreachable`, so every
task that reaches the host reports "unreachable" (= it ran) and the play goes on; preflight, set_vars and the
include decisions run on the controller. The RedHat + `package` install method keeps the controller-side
download (fetch.yml) out of it.
"""

from __future__ import annotations

import os

import pytest

from _harness import LINUX_AMD64, VALID, read_json, run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = {  # tag -> the task name prefix of its task files
    "nomad_client_preflight": "Preflight |",
    "nomad_client_set_vars": "Set variables |",
    "nomad_client_install": "Install |",
    "nomad_client_configure": "Configure |",
    "nomad_client_service": "Service |",
}
ALWAYS = ("nomad_client_preflight", "nomad_client_set_vars")  # tagged `always` as well
INVENTORY = """all:
  hosts:
    tagged-linux:
      ansible_connection: ssh
      ansible_host: 127.0.0.1
      ansible_port: 1
      ansible_ssh_common_args: -o ConnectTimeout=2
"""


def ran_steps(results):
    """Step prefixes of the tasks that reached the host or ran on the controller (not skipped)."""
    steps = set()
    for result in results:
        if result["status"] == "skipped":
            continue
        for tag, prefix in STEPS.items():
            if prefix in result["task"]:
                steps.add(tag)
    return steps


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = {}
    pki = tmp_path_factory.mktemp("pki")
    for name in ("ca.pem", "cert.pem", "key.pem"):  # read on the controller by the configure step
        (pki / name).write_text("test material, never used\n", encoding="utf-8")
    role_vars = {
        **VALID,
        "nomad_client_tls_ca_file": str(pki / "ca.pem"),
        "nomad_client_tls_cert_file": str(pki / "cert.pem"),
        "nomad_client_tls_key_file": str(pki / "key.pem"),
        "__nomad_client_host": {**LINUX_AMD64, "os_family": "RedHat"},
        "nomad_client_install_method": "package",
    }
    for tag in [*STEPS, "all"]:
        tmp = tmp_path_factory.mktemp(tag)
        plays = [{
            "name": "role with one tag",
            "hosts": "all",
            "gather_facts": False,
            "ignore_unreachable": True,
            # static: an untagged include_role would itself be filtered out by --tags
            "roles": [{"role": "edgeops.nomad.nomad_client", "vars": role_vars}],
        }]
        record = tmp / "tasks.json"
        os.environ["RECORD_TASKS_FILE"] = str(record)
        os.environ["ANSIBLE_CALLBACK_PLUGINS"] = os.path.join(HERE, "callback_plugins")
        os.environ["ANSIBLE_CALLBACKS_ENABLED"] = "record_tasks"
        try:
            proc = run_playbook(tmp, plays, INVENTORY, "--tags", tag)
        finally:
            for key in ("RECORD_TASKS_FILE", "ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_CALLBACKS_ENABLED"):
                os.environ.pop(key, None)
        assert record.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
        out[tag] = (proc, read_json(record))
    return out


@pytest.mark.parametrize("tag", sorted(STEPS))
def test_tag_runs_exactly_its_step(runs, tag):
    proc, results = runs[tag]
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, failed
    expected = {tag} | set(ALWAYS)
    assert ran_steps(results) == expected, [r for r in results if r["status"] != "skipped"]


def test_tag_reaches_the_tasks_inside_the_included_files(runs):
    # the bug: with a tag only on the include, the include "ran" but none of its tasks did
    names = [r["task"] for r in runs["nomad_client_configure"][1] if r["status"] != "skipped"]
    assert any("Configure | Agent configuration client.hcl" in n for n in names), names
    names = [r["task"] for r in runs["nomad_client_service"][1] if r["status"] != "skipped"]
    assert any("Service | nomad enabled and running" in n for n in names), names


def test_all_runs_every_step(runs):
    _proc, results = runs["all"]
    assert ran_steps(results) == set(STEPS)
