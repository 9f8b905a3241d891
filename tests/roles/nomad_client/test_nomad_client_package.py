# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package install method (nomad_client_install_method: package) on Debian and RedHat hosts: the agent the
role's unit starts is a client only, whatever HashiCorp's package put in /etc/nomad.d.

What HashiCorp's package brings (hashicorp/nomad v2.0.5, .release/linux/): /etc/nomad.d/nomad.hcl with
server { enabled = true, bootstrap_expect = 1 } and client { servers = ["127.0.0.1"] }, its own
/usr/lib/systemd/system/nomad.service (`nomad agent -config /etc/nomad.d`), a postinst that runs
`chown -R nomad:nomad /etc/nomad.d` and `chown nomad:nomad /opt/nomad/data`, and a postrm that restarts the service
on a DEB upgrade. Nomad loads every .hcl/.json file of a -config directory, sorted, and merges them; a later file
cannot turn server.enabled off and client.servers are appended (command/agent/config.go LoadConfigDir,
ServerConfig.Merge, ClientConfig.Merge).

One ansible-playbook run renders the role (up to set_vars, check mode, no host) for a Debian and a RedHat host with
the package method and a Debian host with the archive method. The test then lays out what a host would hold: the
package's nomad.hcl (the stand-in package's copy, tests/tools/stand_in_nomad/package/) and the role's client.hcl
in the role's directory. It merges what the role's unit loads (its ExecStart -config paths) as Nomad would and
checks it with the project's schema tool (tests/tools/nomad_schema, mode client). No RHEL host runs here: for
RedHat this rendering is the test.
"""

from __future__ import annotations

import re
import shlex
import sys

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from _harness import LINUX_AMD64, ROOT, VALID, run_playbook
from test_nomad_client_render import role_under_test

ROLE = ROOT / "roles" / "nomad_client"
PACKAGE = ROOT / "tests" / "tools" / "stand_in_nomad" / "package"
HOSTS = {
    "debian-package": {"__nomad_client_host": LINUX_AMD64, "nomad_client_install_method": "package",
                       "nomad_client_package_repo_url": "https://apt.mirror.example.test/hashicorp"},
    "rhel-package": {"__nomad_client_host": {**LINUX_AMD64, "os_family": "RedHat", "distribution": "RedHat",
                                             "distribution_major_version": "9"},
                     "nomad_client_install_method": "package"},
    "debian-archive": {"__nomad_client_host": LINUX_AMD64},
}
OUT = ("{{ {'config_dir': __nomad_client_config_dir, 'hcl': __nomad_client_config_hcl,"
       " 'apt_sources': __nomad_client_package_apt_sources | default(''), 'rpm_baseurl': __nomad_client_package_rpm_baseurl | default(''),"
       " 'directories': __nomad_client_linux_directories} | to_json }}")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("package")
    plays = [{
        "name": f"render {name}",
        "hosts": name,
        "gather_facts": False,
        # the facts the role's vars read outside the include too (the task vars below only reach the role's tasks)
        "vars": {**VALID, **host_vars, "ansible_facts": {**host_vars["__nomad_client_host"], "distribution_release": "bookworm"}},
        "tasks": [
            {"name": "role up to set_vars", "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_client", "public": True},
             "vars": {**VALID, **host_vars}},
            {"name": "write what the role would put on the host", "check_mode": False,
             "ansible.builtin.copy": {"content": OUT, "dest": f"{tmp}/{name}.json", "mode": "0644"}},
            {"name": "render the systemd unit the configure step writes", "check_mode": False,
             "ansible.builtin.template": {"src": str(role_under_test() / "templates" / "nomad.service.j2"),
                                          "dest": f"{tmp}/{name}.service", "mode": "0644"}},
        ],
    } for name, host_vars in HOSTS.items()]
    inventory = {"all": {"hosts": {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                                   for name in HOSTS}}}
    proc = run_playbook(tmp, plays, inventory, "--check", "--skip-tags",
                        "nomad_client_install,nomad_client_configure,nomad_client_service")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = {name: yaml.safe_load((tmp / f"{name}.json").read_text(encoding="utf-8")) for name in HOSTS}
    for name in HOSTS:
        out[name]["unit"] = (tmp / f"{name}.service").read_text(encoding="utf-8")
    return out


def unit_directives(unit):
    lines = [line.strip() for line in unit.splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith(("#", "[")))


def config_paths(exec_start):
    """The -config paths of `nomad agent` (Go's flag package: -config=P or -config P, repeatable)."""
    argv, paths = shlex.split(exec_start), []
    for i, arg in enumerate(argv):
        if arg.startswith(("-config=", "--config=")):
            paths.append(arg.split("=", 1)[1])
        elif arg in ("-config", "--config"):
            paths.append(argv[i + 1])
    return paths


@pytest.mark.parametrize("name", ["debian-package", "rhel-package"])
def test_the_roles_unit_loads_a_directory_the_package_does_not_own(rendered, name):
    out = rendered[name]
    unit = unit_directives(out["unit"])
    assert unit["ExecStart"].split()[0] == "/usr/bin/nomad"  # the package's binary
    assert config_paths(unit["ExecStart"]) == ["/etc/nomad-client.d"]
    assert out["config_dir"] == "/etc/nomad-client.d"
    assert unit["EnvironmentFile"] == "-/etc/nomad-client.d/nomad.env"  # the intro token's env file too
    assert '"/etc/nomad-client.d/tls/key.pem"' in out["hcl"]
    owned = [d["path"] for d in out["directories"] if re.match(r"^/etc/nomad\.d(/|$)", d["path"])]
    assert not owned, owned  # postinst's chown -R /etc/nomad.d reaches nothing of the role's


def test_the_archive_method_keeps_etc_nomad_d(rendered):
    assert config_paths(unit_directives(rendered["debian-archive"]["unit"])["ExecStart"]) == ["/etc/nomad.d"]


@pytest.mark.parametrize("name", ["debian-package", "rhel-package"])
def test_what_the_agent_loads_is_a_client_only(rendered, name, tmp_path):
    """The host as the package and the role leave it; the agent merges what its unit's -config names."""
    sys.path.insert(0, str(ROOT))
    from tests.tools.nomad_schema import check_agent_config
    from tests.tools.nomad_schema.agent import load_agent_paths

    out = rendered[name]
    package_dir = tmp_path / "etc" / "nomad.d"
    package_dir.mkdir(parents=True)
    (package_dir / "nomad.hcl").write_text((PACKAGE / "etc" / "nomad.d" / "nomad.hcl").read_text(encoding="utf-8"), encoding="utf-8")
    (package_dir / "nomad.env").write_text("", encoding="utf-8")
    role_dir = tmp_path / out["config_dir"].lstrip("/")
    role_dir.mkdir(parents=True, exist_ok=True)
    (role_dir / "client.hcl").write_text(out["hcl"], encoding="utf-8")
    loaded = load_agent_paths([tmp_path / p.lstrip("/") for p in config_paths(unit_directives(out["unit"])["ExecStart"])])
    errors = check_agent_config(loaded, nomad_version="2.0.5", mode="client")
    assert not errors, errors
    assert loaded["client"]["server_join"]["retry_join"] == VALID["nomad_client_servers"]
    assert "servers" not in loaded["client"]  # no 127.0.0.1 appended from the package's file


def test_the_apt_source_is_signed_by_the_key_the_role_writes(rendered):
    lines = [line for line in rendered["debian-package"]["apt_sources"].splitlines() if not line.startswith("#")]
    sources = dict(line.split(": ", 1) for line in lines)
    assert sources == {"Types": "deb", "URIs": "https://apt.mirror.example.test/hashicorp", "Suites": "bookworm",
                       "Components": "main", "Signed-By": "/usr/share/keyrings/hashicorp-archive-keyring.asc"}


def test_the_rpm_repository(rendered):
    assert rendered["rhel-package"]["rpm_baseurl"] == "https://rpm.releases.hashicorp.com/RHEL/$releasever/$basearch/stable"


# --- the install tasks' decisions (tasks/install_linux_package.yml), evaluated with Ansible's templar --------------
def package_tasks():
    return yaml.safe_load((ROLE / "tasks" / "install_linux_package.yml").read_text(encoding="utf-8"))


def task(name_part):
    return next(t for t in package_tasks() if name_part in t["name"])


def runs(a_task, variables):
    def trusted(value):
        if isinstance(value, str):
            return trust_as_template(value)
        if isinstance(value, dict):
            return {k: trusted(v) for k, v in value.items()}
        return value

    scope = dict(variables)
    for key, value in (a_task.get("vars") or {}).items():
        scope[key] = Templar(loader=DataLoader(), variables=trusted(scope)).template(trusted(value))
    templar = Templar(loader=DataLoader(), variables=trusted(scope))
    conditions = a_task.get("when", [])
    conditions = conditions if isinstance(conditions, list) else [conditions]
    return all(templar.evaluate_conditional(trust_as_template(str(c))) for c in conditions)


RUNNING = {"active_state": "active", "main_pid": "812", "started_monotonic": "5000000"}


def decision(package_changed, before, after_stdout=None, check_mode=False, drain=None):
    variables = {"ansible_check_mode": check_mode, "nomad_client_drain_on_shutdown": drain or {},
                 "__nomad_client_package": {"changed": package_changed},
                 "__nomad_client_package_apt_repo": {"changed": False}, "__nomad_client_package_rpm_repo": {"skipped": True,
                                                                                                            "changed": False}}
    if before is not None:
        variables["__nomad_client_state"] = {"service": before}
    who = task("Who runs the agent")
    if runs(who, variables):
        variables["__nomad_client_package_agent"] = {"changed": False, "stdout_lines": after_stdout.splitlines()}
    else:
        variables["__nomad_client_package_agent"] = {"changed": False, "skipped": True}
    return {"restart": runs(task("Restart the agent on the new package"), variables),
            "re-own": runs(task("Directories back to root"), variables),
            "eligible": runs(task("Make the node eligible again after the drain of the package's restart"), variables)}


# postrm (DEB) runs `systemctl restart nomad` on an upgrade: the agent already runs the new binary. A second restart
# would be a second drain with drain_on_shutdown. rpm passes "1", not "upgrade", to that script: no restart there.
@pytest.mark.parametrize("case, package_changed, before, after, restart", [
    ("DEB upgrade: postrm restarted the agent", True, RUNNING, "MainPID=930\nExecMainStartTimestampMonotonic=9000000", False),
    ("RPM upgrade: the agent still runs the old binary", True, RUNNING, "MainPID=812\nExecMainStartTimestampMonotonic=5000000", True),
    ("first install: no agent yet (the service step starts it)", True, {"active_state": "inactive"}, None, False),
    ("package unchanged", False, RUNNING, None, False),
    ("compare step not run (--tags nomad_client_install): nothing known", True, None, None, True),
])
def test_the_agent_restarts_once_per_package_change(case, package_changed, before, after, restart):
    assert decision(package_changed, before, after)["restart"] is restart, case


@pytest.mark.parametrize("package_changed", [True, False])
def test_directories_are_put_back_to_root_after_the_package_changed(package_changed):
    # postinst: chown nomad:nomad /opt/nomad/data (the role's data_dir by default) on every install and upgrade
    assert decision(package_changed, RUNNING, "MainPID=930\nExecMainStartTimestampMonotonic=9000000")["re-own"] is package_changed
    reown = task("Directories back to root")
    assert reown["loop"] == "{{ __nomad_client_linux_directories }}" and reown["ansible.builtin.file"]["owner"] == "{{ item.owner }}"


# With drain_on_shutdown, postrm's restart (the unit's stop signal) drains the node, which stays ineligible
# (client/drain.go DrainSelf MarkEligible false; hashicorp/nomad#17093): the role's eligibility step follows, the same
# one as after its Windows restarts (tasks/eligible_after_restart.yml).
@pytest.mark.parametrize("case, after, drain, eligible", [
    ("postrm restarted a draining agent", "MainPID=930\nExecMainStartTimestampMonotonic=9000000", {"deadline": "5m"}, True),
    ("postrm restarted an agent without a drain", "MainPID=930\nExecMainStartTimestampMonotonic=9000000", None, False),
    ("nothing restarted it (RPM): the role's own restart does not drain", "MainPID=812\nExecMainStartTimestampMonotonic=5000000",
     {"deadline": "5m"}, False),
])
def test_the_node_is_made_eligible_after_the_packages_draining_restart(case, after, drain, eligible):
    assert decision(True, RUNNING, after, drain=drain)["eligible"] is eligible, case
    include = task("Make the node eligible again after the drain of the package's restart")
    assert include["ansible.builtin.include_role"] == {"name": "edgeops.nomad.nomad_client", "tasks_from": "eligible_after_restart"}
