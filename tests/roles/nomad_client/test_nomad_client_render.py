# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent configuration edgeops.nomad.nomad_client renders for Linux and Windows hosts passes the schema
check (tests/tools/nomad_schema against ../shared/nomad/) and carries the inputs, with Windows paths escaped.

One ansible-playbook run renders both: the role runs up to set_vars (install/configure/service skipped) on
two localhost aliases posing as a Linux arm64 and a Windows amd64 host, then the test writes
`__nomad_client_config | edgeops.nomad.to_nomad_hcl` to files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hcl2
import pytest

from _harness import LINUX_AMD64, ROOT, VALID, WINDOWS_AMD64, run_playbook

FULL = {
    **VALID,
    "nomad_client_region": "edge",
    "nomad_client_datacenter": "site-7",
    "nomad_client_node_name": "edge-7-a",
    "nomad_client_node_pool": "edge-arm",
    "nomad_client_node_class": "small",
    "nomad_client_meta": {"site": "site-7", "rack": 3},
    "nomad_client_servers": ["nomad-lb.example.test:4647", "10.0.0.10"],
    "nomad_client_retry_max": 0,
    "nomad_client_host_volumes": [
        {"name": "edge-data", "path": "/srv/edge-data", "read_only": False, "owner": "nobody", "mode": "0750"},
        {"name": "maps", "path": "/srv/maps", "read_only": True},
    ],
    "nomad_client_tls_ca_file": "/pki/ca.pem",
    "nomad_client_tls_cert_file": "/pki/cert.pem",
    "nomad_client_tls_key_file": "/pki/key.pem",
    "nomad_client_driver_raw_exec": False,
    "nomad_client_driver_docker": True,
    "nomad_client_driver_podman": True,
    "nomad_client_driver_config": {"docker": {"allow_privileged": False}},
    "nomad_client_reserved": {"cpu": 200, "memory": 256, "reserved_ports": "22"},
    "nomad_client_gc_max_allocs": 20,
    "nomad_client_gc_disk_usage_threshold": 75,
    "nomad_client_max_kill_timeout": "45s",
    "nomad_client_drain_on_shutdown": {"deadline": "2m30s", "force": False, "ignore_system_jobs": True},
    "nomad_client_log_level": "WARN",
    "nomad_client_vault": {"enabled": True, "address": "https://vault.example.test:8200"},
    "nomad_client_consul": {"address": "127.0.0.1:8500"},
    "nomad_client_extra_config": {"client": {"network_interface": "eth0"}, "telemetry": {"prometheus_metrics": True}},
}
WINDOWS = {
    **FULL,
    "nomad_client_host_volumes": [{"name": "edge-data", "path": "D:\\nomad\\edge-data"}],
    "nomad_client_driver_podman": False,
}
INVENTORY = """all:
  hosts:
    linux-arm64:
      ansible_connection: local
    windows-amd64:
      ansible_connection: local
    linux-defaults:
      ansible_connection: local
"""


def role_under_test():
    """The nomad_client role ansible-playbook will load (first edgeops.nomad on ANSIBLE_COLLECTIONS_PATH)."""
    for base in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        role = Path(base) / "ansible_collections" / "edgeops" / "nomad" / "roles" / "nomad_client"
        if base and role.is_dir():
            return role
    return ROOT / "roles" / "nomad_client"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    by_host = {
        "linux-arm64": {"__nomad_client_host": {**LINUX_AMD64, "architecture": "aarch64"}, **FULL},
        "windows-amd64": {"__nomad_client_host": WINDOWS_AMD64, **WINDOWS},
        # only what preflight requires: what the role does by default
        "linux-defaults": {"__nomad_client_host": LINUX_AMD64, **VALID},
    }
    plays = [
        {
            "name": f"render {name}",
            "hosts": name,
            "gather_facts": False,
            "vars": role_vars,
            "tasks": [
                {
                    "name": "role up to set_vars",
                    "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_client", "public": True},
                    # task vars beat the role's vars/main.yml (__nomad_client_host); play vars reach the later tasks
                    "vars": role_vars,
                },
                {
                    "name": "render the systemd unit the configure step writes",
                    "ansible.builtin.template": {
                        "src": str(role_under_test() / "templates" / "nomad.service.j2"),
                        "dest": f"{tmp}/{name}.service",
                        "mode": "0644",
                    },
                    "check_mode": False,
                },
                {
                    "name": "write the rendered configuration",
                    "ansible.builtin.copy": {
                        "content": "{{ __nomad_client_config | edgeops.nomad.to_nomad_hcl }}",
                        "dest": f"{tmp}/{name}.hcl",
                        "mode": "0644",
                    },
                    "check_mode": False,
                },
                {
                    "name": "write facts",
                    "ansible.builtin.copy": {
                        "content": "{{ {'platform': __nomad_client_platform, 'data_dir': __nomad_client_data_dir} | to_json }}",
                        "dest": f"{tmp}/{name}.json",
                        "mode": "0644",
                    },
                    "check_mode": False,
                },
            ],
        }
        for name, role_vars in by_host.items()
    ]
    proc = run_playbook(
        tmp, plays, INVENTORY, "--check", "--skip-tags", "nomad_client_install,nomad_client_configure,nomad_client_service"
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return {h: ((tmp / f"{h}.hcl").read_text(encoding="utf-8"), (tmp / f"{h}.json").read_text(encoding="utf-8"),
                (tmp / f"{h}.service").read_text(encoding="utf-8")) for h in by_host}


def parsed(rendered, host):
    return hcl2.loads(rendered[host][0])


def unit_directives(rendered, host):
    lines = [line.strip() for line in rendered[host][2].splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith(("#", "[")))


@pytest.mark.parametrize("host", ["linux-arm64", "windows-amd64", "linux-defaults"])
def test_rendered_config_passes_the_schema(rendered, host, tmp_path):
    sys.path.insert(0, str(ROOT))
    from tests.tools.nomad_schema import check_agent_config

    path = tmp_path / f"{host}.hcl"
    path.write_text(rendered[host][0], encoding="utf-8")
    errors = check_agent_config(path, nomad_version="2.0.5")
    assert not errors, errors


def test_linux_config_carries_the_inputs(rendered):
    hcl, facts, _unit = rendered["linux-arm64"]
    assert '"linux_arm64"' in facts
    for text in ('"edge-arm"', '"nomad-lb.example.test:4647"', '"/srv/maps"', '"edge-data"', '"/opt/nomad/data"',
                 '"/etc/nomad.d/tls/key.pem"', "nomad-driver-podman", '"45s"', '"eth0"', "prometheus_metrics"):
        assert text in hcl, text
    assert "raw_exec" in hcl


def test_windows_config_escapes_backslashes(rendered):
    hcl, facts, _unit = rendered["windows-amd64"]
    assert '"windows_amd64"' in facts
    assert '"C:\\\\ProgramData\\\\HashiCorp\\\\nomad\\\\data"' in hcl
    assert '"D:\\\\nomad\\\\edge-data"' in hcl
    assert '"C:\\\\ProgramData\\\\HashiCorp\\\\nomad\\\\logs\\\\nomad.log"' in hcl
    assert "nomad-driver-podman" not in hcl
    # exec is a Linux driver
    assert '"exec"' not in hcl


# A client with ACLs off serves alloc exec/fs/logs to any caller: Nomad's
# client/acl.go resolveTokenAndACL returns ACLsDisabledACL when the agent's acl.enabled is false (the default of
# command/agent/config.go ACLConfig). The role renders acl { enabled = true } unless told otherwise.
@pytest.mark.parametrize("host", ["linux-defaults", "linux-arm64", "windows-amd64"])
def test_client_acl_block_is_rendered_and_on_by_default(rendered, host):
    conf = parsed(rendered, host)
    assert conf.get("acl") and conf["acl"][0]["enabled"] is True, conf.get("acl")


# Client side of TLS by default: TLS is on without asking: tls.http, tls.rpc and verify_server_hostname.
@pytest.mark.parametrize("host", ["linux-defaults", "windows-amd64"])
def test_tls_is_on_by_default(rendered, host):
    tls = parsed(rendered, host).get("tls")
    assert tls, "no tls block rendered by default"
    assert tls[0]["http"] is True and tls[0]["rpc"] is True and tls[0]["verify_server_hostname"] is True


# command/agent/command.go handleSignals: SIGTERM leaves (terminateGracefully -> client.Leave -> DrainSelf,
# client/drain.go) only with leave_on_terminate, SIGINT only with leave_on_interrupt; otherwise the agent returns at
# once and its tasks keep running. DrainSelf marks the node ineligible and re-registration keeps it so
# (nomad/state/state_store.go upsertNodeTxn, hashicorp/nomad#17093). On Linux a stop (the unit's KillSignal SIGTERM)
# drains and the role's restarts (SIGINT) do not: leave_on_interrupt must stay off. DrainSelf waits deadline + 5 s,
# so systemd's stop timeout must be longer. Windows has one stop path, the service stop (leave_on_interrupt).
def test_drain_on_shutdown_drains_on_stop_only_and_a_longer_stop_timeout(rendered):
    conf = parsed(rendered, "linux-arm64")
    assert conf["client"][0]["drain_on_shutdown"][0]["deadline"] == '"2m30s"'
    assert conf.get("leave_on_terminate") is True and conf.get("leave_on_interrupt") is False
    unit = unit_directives(rendered, "linux-arm64")
    assert unit["KillSignal"] == "SIGTERM"
    assert int(unit["TimeoutStopSec"]) > 150 + 5, unit.get("TimeoutStopSec")
    windows = parsed(rendered, "windows-amd64")
    assert windows.get("leave_on_interrupt") is True and windows.get("leave_on_terminate") is False


def test_no_drain_no_leave_flags_and_default_stop_timeout(rendered):
    conf = parsed(rendered, "linux-defaults")
    assert "leave_on_interrupt" not in conf and "leave_on_terminate" not in conf
    assert "TimeoutStopSec" not in unit_directives(rendered, "linux-defaults")
    assert unit_directives(rendered, "linux-defaults")["KillSignal"] == "SIGINT"


# The agent sends READY=1 to systemd once its signal handlers are set up
# (command/agent/command.go handleSignals -> sdNotify, command/agent/sdnotify_linux.go): Type=notify makes a failed
# start fail `systemctl start`, and so the play, instead of "started" for a process that dies a second later.
@pytest.mark.parametrize("host", ["linux-defaults", "linux-arm64"])
def test_unit_waits_for_the_agent_to_be_ready(rendered, host):
    unit = unit_directives(rendered, host)
    assert unit["Type"] == "notify"
    assert unit.get("NotifyAccess", "main") == "main"
    assert unit["KillMode"] == "process"  # restarting the agent must not kill its tasks


# The unit is not sandboxed (the client needs root and host mounts for its drivers); it must
# neither carry a mount-namespace directive that hides the client's mounts from docker/podman, nor be called
# hardened anywhere.
def test_unit_has_no_mount_namespace_directive_and_nobody_calls_it_hardened(rendered):
    unit = unit_directives(rendered, "linux-defaults")
    for key in ("ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ReadOnlyPaths", "ProtectKernelTunables",
                "ProtectControlGroups", "NoNewPrivileges", "MountFlags"):
        assert key not in unit, key
    for path in [ROOT / "roles" / "nomad_client" / "tasks" / "configure_linux.yml", ROOT / "roles" / "nomad_client" / "meta" / "argument_specs.yml",
                 ROOT / "docs" / "edge_clients.md", ROOT / "docs" / "role_nomad_client.md", ROOT / "roles" / "nomad_client" / "README.md"]:
        text = path.read_text(encoding="utf-8").lower()
        assert "hardened unit" not in text and "hardened systemd" not in text, path


# exec, java and docker are built into Nomad and load whether or not a plugin block names them
# (helper/pluginutils/catalog/register_cgo.go); only the client option "driver.denylist" keeps one out
# (client/client.go -> client/pluginmanager/drivermanager/manager.go isDriverBlocked). A switch that is off
# must therefore deny its driver, not just leave its block out.
@pytest.mark.parametrize("host, denied", [("linux-defaults", "docker,java,podman"), ("linux-arm64", "java"),
                                          ("windows-amd64", "java,podman")])
def test_switched_off_drivers_are_denied(rendered, host, denied):
    client = parsed(rendered, host)["client"][0]
    assert client["options"]['"driver.denylist"'] == '"%s"' % denied, client.get("options")
    plugins = {name.strip('"') for block in parsed(rendered, host)["plugin"] for name in block}
    blocks = {"docker": "docker", "java": "java", "podman": "nomad-driver-podman"}
    assert not plugins & {blocks[driver] for driver in denied.split(",")}, plugins
