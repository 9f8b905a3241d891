# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows steps of edgeops.nomad.nomad_client as they run: a real ansible-playbook run of the role on a `local`
host posing as Windows, with the ansible.windows modules stood in for by a recording double
(tests/tools/ansible_windows_double) and the task order recorded by callback_plugins/record_tasks.py.

The rules, from Nomad v2.0.5:
- `nomad windows service install -reinstall` stops a running service and waits at most one minute for it
  (command/windows_service_install.go performInstall; helper/winsvc WINDOWS_SERVICE_STATE_TIMEOUT = "1m"), then fails
  with the service left stopping. With drain_on_shutdown the agent leaves on that stop (leave_on_interrupt;
  command/agent/command.go handleSignals) and drains for up to its deadline + 5 s (client/drain.go DrainSelf), with
  MarkEligible false; re-registration keeps the node ineligible (hashicorp/nomad#17093). So the role drains and
  stops first, waiting past the deadline; then it installs from the staging copy, starts the service and makes the
  node eligible again, in that order.
- The installer sets protected ACLs only on a folder it creates itself (helper/winsvc setDirectoryPermissions via
  CreateDirectory(restrict_on_create)); a folder that already exists keeps ProgramData's inherited ACLs, which
  let local users read, and create files in, what is under it. So every folder the role creates gets inheritance
  off with SYSTEM and Administrators only, before any secret is written, and the secret files get the same.

The eligibility step itself (tasks/eligible_after_restart.yml, tested against the Nomad API double in
test_eligible_after_restart.py) is replaced here by a stub that only records that it ran. What only a Windows host
shows (the Service Control Manager's timing, the ACLs Windows applies) is listed in docs/edge_clients.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from _harness import ROOT, VALID, WINDOWS_AMD64, read_json, run_playbook

HERE = Path(__file__).resolve().parent
DOUBLE = ROOT / "tests" / "tools" / "ansible_windows_double"
SHA = "ab" * 32
STUB = """---
- name: Eligible | (stub) the node would be made eligible again here
  ansible.builtin.debug:
    msg: eligible_after_restart
"""
BASE = "C:\\ProgramData\\HashiCorp\\nomad"
SCENARIOS = {
    "upgrade-with-drain": ({"service": {"exists": True, "state": "running"}, "binary_differs": True},
                           {"nomad_client_drain_on_shutdown": {"deadline": "2m", "ignore_system_jobs": True}}),
    "upgrade-without-drain": ({"service": {"exists": True, "state": "running"}, "binary_differs": True}, {}),
    "first-install": ({"service": {"exists": False}, "binary_differs": True},
                      {"nomad_client_drain_on_shutdown": {"deadline": "2m"}}),
    "no-op": ({"service": {"exists": True, "state": "running"}, "binary_differs": False},
              {"nomad_client_drain_on_shutdown": {"deadline": "2m"}}),
}


def collection(tmp):
    """edgeops.nomad as the test runs it: the checkout's content, with the role's eligibility step stubbed."""
    base = tmp / "collections" / "ansible_collections" / "edgeops" / "nomad"
    base.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name not in ("roles", ".cache", ".venv", ".git"):
            (base / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "roles", base / "roles", symlinks=True)
    (base / "roles" / "nomad_client" / "tasks" / "eligible_after_restart.yml").write_text(STUB, encoding="utf-8")
    return tmp / "collections"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One ansible-playbook run, one inventory host per scenario; each host's tasks and Windows module calls."""
    tmp = tmp_path_factory.mktemp("windows-order")
    mirror = tmp / "mirror" / "2.0.5"
    mirror.mkdir(parents=True)
    (mirror / "nomad_2.0.5_SHA256SUMS").write_text(f"{SHA}  nomad_2.0.5_windows_amd64.zip\n", encoding="utf-8")
    pki = tmp / "pki"
    pki.mkdir()
    for pem in ("ca.pem", "cert.pem", "key.pem"):
        (pki / pem).write_text("test material, never used\n", encoding="utf-8")
    (tmp / "scenario.json").write_text(json.dumps({name: scenario for name, (scenario, _o) in SCENARIOS.items()}), encoding="utf-8")
    common = {
        **VALID,
        "__nomad_client_host": WINDOWS_AMD64,
        "nomad_client_download_base_url": (tmp / "mirror").as_uri(),
        "nomad_client_gpg_verify": False,
        "nomad_client_controller_cache_dir": str(tmp / "cache"),
        "nomad_client_tls_ca_file": str(pki / "ca.pem"),
        "nomad_client_tls_cert_file": str(pki / "cert.pem"),
        "nomad_client_tls_key_file": str(pki / "key.pem"),
        "nomad_client_intro_token": "test-double-intro-token",
        "nomad_client_host_volumes": [{"name": "edge-data", "path": "D:\\nomad\\edge-data"}],
    }
    hosts = {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "__case": overrides}
             for name, (_s, overrides) in SCENARIOS.items()}
    plays = [{"name": "the role on Windows hosts (ansible.windows stood in for)", "hosts": "all", "gather_facts": False,
              "roles": [{"role": "edgeops.nomad.nomad_client", "vars": common}],
              # each scenario's own inputs (host vars lose to role vars; these are read through a play var)
              "vars": {"nomad_client_drain_on_shutdown": "{{ __case.nomad_client_drain_on_shutdown | default({}) }}"}}]
    env = {
        "RECORD_TASKS_FILE": str(tmp / "tasks.json"),
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "record_tasks",
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(DOUBLE), str(collection(tmp)), str(ROOT / ".cache" / "collections")]),
        "EDGEOPS_WINDOWS_DOUBLE_SCENARIO": str(tmp / "scenario.json"),
        "EDGEOPS_WINDOWS_DOUBLE_RECORD": str(tmp / "calls.jsonl"),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        proc = run_playbook(tmp, plays, {"all": {"hosts": hosts}}, "-f", "4")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    calls = [json.loads(line) for line in (tmp / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    tasks = read_json(tmp / "tasks.json")
    return {name: {"tasks": [t for t in tasks if t["host"] == name and t["status"] != "skipped"],
                   "calls": [c for c in calls if c["host"] == name]} for name in SCENARIOS}


def ran(run):
    return [t["task"].split(" : ", 1)[-1] for t in run["tasks"]]


def index(names, prefix):
    hits = [i for i, name in enumerate(names) if name.startswith(prefix)]
    return hits[0] if hits else None


STOP = "Service | Stop the running agent before the installer replaces it"
INSTALL = "Service | Install or update the service with `nomad windows service install`"
STARTED = "Service | nomad running and starting automatically"
ELIGIBLE = "Eligible | (stub) the node would be made eligible again here"


def test_upgrade_of_a_draining_agent_drains_stops_installs_starts_then_makes_it_eligible(runs):
    names = ran(runs["upgrade-with-drain"])
    order = [index(names, step) for step in (STOP, INSTALL, STARTED, ELIGIBLE)]
    assert None not in order and order == sorted(order), names
    stop = next(c for c in runs["upgrade-with-drain"]["calls"] if c["task"].startswith(STOP))
    # past the drain: deadline 2m + DrainSelf's 5 s + the role's margin, more than the installer's one minute
    assert int(stop["args"]["parameters"]["TimeoutSeconds"]) == 120 + 5 + 60
    assert "WaitForStatus('Stopped'" in stop["args"]["script"]
    install = next(c for c in runs["upgrade-with-drain"]["calls"] if c["task"].startswith(INSTALL))
    assert "\\staging\\" + SHA[:16] + "\\nomad.exe" in install["args"]["argv"][0]


def test_without_a_drain_the_stop_still_comes_first_and_no_eligibility_step(runs):
    names = ran(runs["upgrade-without-drain"])
    assert index(names, STOP) < index(names, INSTALL), names
    assert index(names, ELIGIBLE) is None, names
    stop = next(c for c in runs["upgrade-without-drain"]["calls"] if c["task"].startswith(STOP))
    assert int(stop["args"]["parameters"]["TimeoutSeconds"]) == 60


@pytest.mark.parametrize("scenario, installs", [("first-install", True), ("no-op", False)])
def test_nothing_to_stop_or_make_eligible_without_a_running_agent_being_replaced(runs, scenario, installs):
    names = ran(runs[scenario])
    assert index(names, STOP) is None and index(names, ELIGIBLE) is None, names
    assert (index(names, INSTALL) is not None) is installs, names


# --- ACLs -------------------------------------------------------------------------------------------------------
PROTECT_INSTALL = "Install | Windows folders, protected before anything is written"
PROTECT_CONFIGURE = "Configure | Windows folders, protected before any secret is written"
PROTECT_SECRETS = "Configure | Secret files protected too"


def protect_calls(run):
    return [c for c in run["calls"] if c["module"] == "win_powershell" and "SetAccessRuleProtection" in c["args"]["script"]]


def test_folders_are_protected_before_anything_is_written_and_secrets_after(runs):
    run = runs["upgrade-with-drain"]
    writes = [i for i, c in enumerate(run["calls"]) if c["module"] in ("win_get_url", "win_copy", "win_file")
              or (c["module"] == "win_powershell" and "Expand-Archive" in c["args"]["script"])]
    names = [c["task"] for c in run["calls"]]
    first_protect = index(names, PROTECT_INSTALL)
    assert first_protect is not None and first_protect < min(writes), names
    secrets = [i for i, c in enumerate(run["calls"]) if c["module"] == "win_copy"
               and c["args"]["dest"].endswith(("key.pem", "intro_token.jwt"))]
    assert len(secrets) == 2, names
    assert index(names, PROTECT_CONFIGURE) < min(secrets) and index(names, PROTECT_SECRETS) > max(secrets), names
    # no folder is created any other way (win_file would leave ProgramData's inherited ACL)
    assert not [c for c in run["calls"] if c["module"] == "win_file"], names


def test_every_folder_and_secret_file_the_role_creates_is_protected(runs):
    calls = protect_calls(runs["upgrade-with-drain"])
    folders = calls[0]["args"]["parameters"]["Folders"]
    assert folders[0] == BASE  # first, so the others created after it inherit the protected ACL
    for path in (BASE + "\\config", BASE + "\\data", BASE + "\\logs", BASE + "\\staging", BASE + "\\data\\client",
                 BASE + "\\config\\tls", "C:\\Program Files\\HashiCorp\\nomad\\bin", "D:\\nomad\\edge-data"):
        assert path in folders, (path, folders)
    files = next(c for c in calls if c["task"].startswith(PROTECT_SECRETS))["args"]["parameters"]["Files"]
    assert files == [BASE + "\\config\\tls\\key.pem", BASE + "\\data\\client\\intro_token.jwt"]


def test_the_acl_is_inheritance_off_system_and_administrators_full_control_only(runs):
    script = protect_calls(runs["upgrade-with-drain"])[0]["args"]["script"]
    assert "SetAccessRuleProtection($true, $false)" in script  # protected, inherited rules not kept
    assert "'S-1-5-18'" in script and "'S-1-5-32-544'" in script  # SYSTEM, BUILTIN\Administrators (SIDs: names are localized)
    import re
    assert sorted(set(re.findall(r"S-1-[0-9-]+", script))) == ["S-1-5-18", "S-1-5-32-544"], "no other principal"
    assert script.count("AddAccessRule(") == 1 and "foreach ($who in @($system, $admins))" in script
    assert "'FullControl'" in script and "$acl.SetOwner($admins)" in script
    assert "if ($Ansible.CheckMode) { continue }" in script  # check mode changes nothing
