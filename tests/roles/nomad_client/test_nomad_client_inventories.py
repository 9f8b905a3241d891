# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example and local inventories against edgeops.nomad.nomad_client.

- Every client host of inventories/example (static hosts.yml AND the short-named hosts the nomad_nodes
  inventory plugin produces) and of inventories/local passes the role's preflight with TLS and ACLs on:
  one ansible-playbook run per inventory, role up to set_vars (install/configure/service skipped).
- Real Windows nodes report os.name as the platform name, e.g. "Microsoft Windows Server 2022 Datacenter", and
  kernel.name "windows" (Nomad v2.0.5 client/fingerprint/host.go HostFingerprint.Fingerprint: os.name =
  gopsutil hostInfo.Platform, kernel.name = runtime.GOOS): they must land in nomad_clients_windows with its WinRM
  vars. The Nomad API double is made to answer like real nodes here (its own default says "windows").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from _harness import FAKE_KEY, ROOT, read_json, run_playbook

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

WINDOWS_OS_NAME = "Microsoft Windows Server 2022 Datacenter"
FACTS = (
    "{{ {'system': 'Win32NT', 'os_family': 'Windows', 'architecture': '64-bit'} if 'nomad_clients_windows' in group_names"
    " else {'system': 'Linux', 'os_family': 'RedHat' if 'nomad_clients_rhel' in group_names else 'Debian',"
    " 'architecture': 'aarch64' if 'nomad_clients_arm' in group_names else 'x86_64'} }}"
)


@pytest.fixture(scope="module")
def double():
    state = DoubleState(nodes=12)
    for node in state.nodes.values():
        attrs = node["Attributes"]
        if attrs.get("kernel.name") == "windows":
            attrs["os.name"] = WINDOWS_OS_NAME  # what a real Windows node reports
        elif node["Name"] == "edge-00002":
            attrs["os.name"] = "redhat"
    server = NomadAPIDouble(state).start()
    yield server
    server.stop()


def plugin_source(tmp, double):
    """inventories/example/nomad_nodes.yml as shipped, beside a copy of hosts.yml so both read the example group_vars."""
    shutil.copy(ROOT / "inventories" / "example" / "nomad_nodes.yml", tmp / "example.nomad_nodes.yml")
    os.environ["NOMAD_ADDR"] = double.url
    return tmp / "example.nomad_nodes.yml"


def env():
    out = dict(os.environ)
    out.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"})
    return out


@pytest.fixture(scope="module")
def example_inventory(tmp_path_factory, double):
    tmp = tmp_path_factory.mktemp("inventory")
    source = plugin_source(tmp, double)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(ROOT / "inventories" / "example" / "hosts.yml"),
         "-i", str(source), "--list"],
        capture_output=True, text=True, env=env(), timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def members(inventory, group):
    return sorted(inventory.get(group, {}).get("hosts", []))


def test_real_windows_nodes_are_grouped_as_windows(example_inventory):
    windows = members(example_inventory, "nomad_clients_windows")
    assert "edge-00004" in windows and "edge-00009" in windows, windows
    assert "edge-00009" not in members(example_inventory, "nomad_clients_arm")  # arm64 pool, but Windows
    assert "edge-00002" in members(example_inventory, "nomad_clients_rhel")
    assert "edge-00000" not in windows and "edge-00001" in members(example_inventory, "nomad_clients_arm")


def test_windows_nodes_get_the_winrm_vars(example_inventory):
    hostvars = example_inventory["_meta"]["hostvars"]
    assert hostvars["edge-00004"]["ansible_connection"] == "ansible.builtin.winrm"
    assert hostvars["edge-00004"]["ansible_shell_type"] == "powershell"
    assert "ansible_shell_type" not in hostvars["edge-00000"]


def test_group_vars_never_parse_inventory_hostname():
    for path in (ROOT / "inventories").rglob("*.yml"):
        assert "inventory_hostname.split" not in path.read_text(encoding="utf-8"), path


def preflight_play(tmp, name):
    return [{
        "name": f"client preflight on {name}",
        "hosts": "nomad_clients",
        "gather_facts": False,
        "tasks": [
            {"name": "role up to set_vars", "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_client"},
             "vars": {"__nomad_client_host": FACTS}},
            {"name": "record what the role built", "delegate_to": "localhost", "check_mode": False,
             "ansible.builtin.copy": {
                 "dest": f"{tmp}/{{{{ inventory_hostname }}}}.json", "mode": "0644",
                 "content": "{{ {'tls': __nomad_client_config.tls | default({}), 'acl': __nomad_client_config.acl | default({}),"
                            " 'datacenter': __nomad_client_config.datacenter} | to_json }}"}},
        ],
    }]


def run_inventory(tmp, name, *sources, extra_env=None):
    os.environ.update(extra_env or {})
    args = []
    for source in sources:
        args += ["-i", str(source)]
    # ansible_connection=local: nothing here contacts a host; the gpg key file of the example does not exist here.
    return run_playbook(tmp, preflight_play(tmp, name), "all: {}\n", *args, "--check",
                        "--skip-tags", "nomad_client_install,nomad_client_configure,nomad_client_service",
                        "-e", "ansible_connection=local ansible_shell_type=sh", "-e", json.dumps({"nomad_client_gpg_key": FAKE_KEY}))


def recorded(tmp):
    return {p.stem: read_json(p) for p in tmp.glob("*.json") if p.stem not in ("example.nomad_nodes",)}


def assert_secure(results):
    assert results
    for host, built in results.items():
        assert built["tls"].get("rpc") is True and built["tls"].get("http") is True, (host, built)
        assert built["acl"].get("enabled") is True, (host, built)


def test_example_inventory_passes_the_client_preflight_with_tls_on(tmp_path, double):
    source = plugin_source(tmp_path, double)
    proc = run_inventory(tmp_path, "example", ROOT / "inventories" / "example" / "hosts.yml", source)
    assert proc.returncode == 0, proc.stdout[-5000:]
    results = recorded(tmp_path)
    static = {"rhel-edge-01", "sbc-03", "win-edge-01"}
    assert static <= set(results), sorted(results)
    assert {"edge-00004", "edge-00001"} <= set(results), sorted(results)  # short names from the plugin
    assert results["sbc-03"]["datacenter"] == "site-b"
    assert results["edge-00001"]["datacenter"] == "dc2"
    assert_secure(results)


def test_local_inventory_passes_the_client_preflight_with_tls_on(tmp_path):
    demo_env = {"EDGEOPS_NOMAD_MIRROR_URL": "http://127.0.0.1:9", "EDGEOPS_NOMAD_MIRROR_DIR": str(tmp_path),
                "EDGEOPS_NOMAD_CACHE_DIR": str(tmp_path / "cache"), "EDGEOPS_DEMO_TLS_DIR": str(tmp_path / "tls")}
    (tmp_path / "key.asc").write_text(FAKE_KEY, encoding="utf-8")
    (tmp_path / "fingerprint").write_text("", encoding="utf-8")
    try:
        proc = run_inventory(tmp_path, "local", ROOT / "inventories" / "local" / "hosts.yml", extra_env=demo_env)
    finally:
        for key in demo_env:
            os.environ.pop(key, None)
    assert proc.returncode == 0, proc.stdout[-5000:]
    results = recorded(tmp_path)
    assert {"edgeops-demo-amd64-1", "edgeops-demo-arm64-1"} <= set(results), sorted(results)
    assert_secure(results)
