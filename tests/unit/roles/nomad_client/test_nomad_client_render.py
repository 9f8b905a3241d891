# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent configuration edgeops.nomad.nomad_client renders for Linux and Windows hosts passes the schema
check (tests/nomad_schema against ../shared/nomad/) and carries the inputs, with Windows paths escaped.

One ansible-playbook run renders both: the role runs up to set_vars (install/configure/service skipped) on
two localhost aliases posing as a Linux arm64 and a Windows amd64 host, then the test writes
`__nomad_client_config | edgeops.nomad.to_nomad_hcl` to files.
"""

from __future__ import annotations

import sys

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
    "nomad_client_tls_enabled": True,
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
    "nomad_client_drain_on_shutdown": {"deadline": "2m", "force": False, "ignore_system_jobs": True},
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
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    by_host = {
        "linux-arm64": {"__nomad_client_host": {**LINUX_AMD64, "architecture": "aarch64"}, **FULL},
        "windows-amd64": {"__nomad_client_host": WINDOWS_AMD64, **WINDOWS},
    }
    plays = [
        {
            "name": f"render {name}",
            "hosts": name,
            "gather_facts": False,
            "tasks": [
                {
                    "name": "role up to set_vars",
                    "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_client"},
                    "vars": role_vars,
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
    return {h: ((tmp / f"{h}.hcl").read_text(encoding="utf-8"), (tmp / f"{h}.json").read_text(encoding="utf-8")) for h in by_host}


@pytest.mark.parametrize("host", ["linux-arm64", "windows-amd64"])
def test_rendered_config_passes_the_schema(rendered, host, tmp_path):
    sys.path.insert(0, str(ROOT))
    from tests.nomad_schema import check_agent_config

    path = tmp_path / f"{host}.hcl"
    path.write_text(rendered[host][0], encoding="utf-8")
    errors = check_agent_config(path, nomad_version="2.0.5")
    assert not errors, errors


def test_linux_config_carries_the_inputs(rendered):
    hcl, facts = rendered["linux-arm64"]
    assert '"linux_arm64"' in facts
    for text in ('"edge-arm"', '"nomad-lb.example.test:4647"', '"/srv/maps"', '"edge-data"', '"/opt/nomad/data"',
                 '"/etc/nomad.d/tls/key.pem"', "nomad-driver-podman", '"45s"', '"eth0"', "prometheus_metrics"):
        assert text in hcl, text
    assert "raw_exec" in hcl


def test_windows_config_escapes_backslashes(rendered):
    hcl, facts = rendered["windows-amd64"]
    assert '"windows_amd64"' in facts
    assert '"C:\\\\ProgramData\\\\HashiCorp\\\\nomad\\\\data"' in hcl
    assert '"D:\\\\nomad\\\\edge-data"' in hcl
    assert '"C:\\\\ProgramData\\\\HashiCorp\\\\nomad\\\\logs\\\\nomad.log"' in hcl
    assert "nomad-driver-podman" not in hcl
    # exec is a Linux driver
    assert '"exec"' not in hcl
