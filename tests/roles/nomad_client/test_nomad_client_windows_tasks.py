# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Order and conditions of the Windows install/service tasks of edgeops.nomad.nomad_client.

No Windows host is available: these tasks have never run on Windows. This test reads the task files and walks
them in order for first installs, upgrades and no-op runs, evaluating each task's `when` with Ansible's own
templar and the role's vars/defaults, with the Windows modules' results simulated (win_service_info -> exists,
the unpack/compare step -> changed when the installed binary differs).

The rules, from Nomad v2.0.5 command/windows_service_install.go:
- performInstall stops a running service (with -reinstall), then binaryInstall copies the EXECUTING binary
  (os.Executable) to <install-dir>\\nomad.exe after os.RemoveAll on that path: the installer must run from a
  copy outside <install-dir>, or it deletes its own running image (Windows refuses) and the install fails;
- serviceInstall creates the service only inside that command: when the service is missing (first run, or a run
  that failed half-way) the installer must run even if the binary is already current;
- before 1.10.5 the role replaces the binary itself: the service must be stopped first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[3] / "roles" / "nomad_client"
BIN_DIR = "C:\\Program Files\\HashiCorp\\nomad\\bin"
SHA = "ab" * 32


def trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


def load(name):
    return yaml.safe_load((ROLE / name).read_text(encoding="utf-8"))


def role_vars(version):
    variables = {}
    for name in ("defaults/main.yml", "vars/main.yml"):
        variables.update(load(name))
    variables.update({
        "nomad_client_version": version,
        "__nomad_client_os": "windows",
        "__nomad_client_platform": "windows_amd64",
        "__nomad_client_sha256s": {"windows_amd64": SHA},
        "__nomad_client_config_dir": "C:\\ProgramData\\HashiCorp\\nomad\\config",
        "__nomad_client_data_dir": "C:\\ProgramData\\HashiCorp\\nomad\\data",
    })
    return variables


def module_of(task):
    return next(k for k in task if k.startswith("ansible."))


def walk(version, service_exists, binary_differs):
    """Run install_windows_archive.yml then service_windows.yml on paper; return [(task, module, args)] that ran."""
    variables = role_vars(version)
    ran = []
    for task in load("tasks/install_windows_archive.yml") + load("tasks/service_windows.yml"):
        templar = Templar(loader=DataLoader(), variables=trusted(variables))
        conditions = task.get("when", [])
        conditions = conditions if isinstance(conditions, list) else [conditions]
        if not all(templar.evaluate_conditional(trust_as_template(str(c))) for c in conditions):
            continue
        module = module_of(task)
        raw = module == "ansible.windows.win_powershell" or "loop" in task  # scripts and loop items stay as written
        args = task[module] if raw else templar.template(trusted(task[module]))
        ran.append((task["name"], module, args))
        register = task.get("register")
        if module == "ansible.windows.win_service_info":
            result = {"exists": service_exists, "changed": False}
        elif module == "ansible.windows.win_powershell":
            result = {"changed": binary_differs}
        else:
            result = {"changed": True}
        if register:
            variables[register] = result
    return ran


def installer_runs(ran):
    return [args for name, module, args in ran if module == "ansible.windows.win_command"
            and args["argv"][1:4] == ["windows", "service", "install"]]


def writes_to_installed_binary(ran):
    return [name for name, module, args in ran if module in ("ansible.windows.win_copy", "ansible.windows.win_file")
            and str(args.get("dest", args.get("path", ""))).lower() == (BIN_DIR + "\\nomad.exe").lower()]


@pytest.mark.parametrize("service_exists,binary_differs", [(False, True), (True, True), (False, False)])
def test_installer_runs_from_the_staged_copy_never_from_the_install_dir(service_exists, binary_differs):
    runs = installer_runs(walk("2.0.5", service_exists, binary_differs))
    assert len(runs) == 1, runs
    argv = runs[0]["argv"]
    assert "-install-dir=" + BIN_DIR in argv
    assert "-reinstall" in argv  # lets performInstall stop a running service
    exe = argv[0]
    assert exe.lower().endswith("\\nomad.exe")
    assert not exe.lower().startswith(BIN_DIR.lower() + "\\"), exe
    assert "\\staging\\" + SHA[:16] + "\\" in exe, exe


def test_installer_runs_when_the_service_is_missing_even_if_the_binary_is_current():
    # a first run that failed after the binary was in place: no service, nothing left to trigger the installer
    assert installer_runs(walk("2.0.5", service_exists=False, binary_differs=False))


def test_nothing_is_installed_on_a_no_op_run():
    ran = walk("2.0.5", service_exists=True, binary_differs=False)
    assert not installer_runs(ran)
    assert not writes_to_installed_binary(ran)


@pytest.mark.parametrize("service_exists", [True, False])
def test_new_versions_leave_the_binary_swap_to_the_installer(service_exists):
    # >= 1.10.5: the role never writes <install-dir>\nomad.exe itself (the installer stops the service first)
    ran = walk("2.0.5", service_exists, binary_differs=True)
    assert not writes_to_installed_binary(ran)
    script = next(args["script"] for name, module, args in ran if module == "ansible.windows.win_powershell")
    assert "Move-Item" not in script and "Copy-Item" not in script


def test_old_versions_stop_the_service_before_replacing_the_binary():
    ran = walk("1.10.4", service_exists=True, binary_differs=True)
    names = [name for name, _m, _a in ran]
    stop = next(i for i, (name, module, args) in enumerate(ran) if module == "ansible.windows.win_service" and args.get("state") == "stopped")
    copy = next(i for i, (name, module, args) in enumerate(ran) if module == "ansible.windows.win_copy")
    assert stop < copy, names
    assert ran[copy][2]["src"].endswith("\\staging\\" + SHA[:16] + "\\nomad.exe")
    assert not installer_runs(ran)


def test_restart_handler_skips_after_the_installer_restarted_the_service():
    handler = next(h for h in load("handlers/main.yml") if h["name"] == "Restart nomad (Windows)")
    variables = trusted({"__nomad_client_os": "windows", "__nomad_client_service": {"changed": False},
                         "__nomad_client_win_service_install": {"changed": True}})
    templar = Templar(loader=DataLoader(), variables=variables)
    assert not all(templar.evaluate_conditional(trust_as_template(c)) for c in handler["when"])
