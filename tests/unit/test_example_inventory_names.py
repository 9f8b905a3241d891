# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""inventories/example names each edge host as the nomad_nodes inventory plugin does, so reading both sources
(`-i inventories/example`) puts every machine in nomad_clients once.

The plugin names a host after the Nomad node (plugins/inventory/nomad_nodes.py: the node's Name), and the client
role registers the node as nomad_client_node_name, default inventory_hostname_short
(roles/nomad_client/defaults/main.yml). A static host named by its FQDN becomes a second host beside the plugin's
short-named one, and a rollout then configures that machine twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_static_edge_hosts_are_named_by_their_node_name():
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(["ansible-inventory", "-i", str(ROOT / "inventories" / "example" / "hosts.yml"), "--list"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    inventory = json.loads(proc.stdout)
    default = yaml.safe_load((ROOT / "roles" / "nomad_client" / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert default["nomad_client_node_name"] == "{{ inventory_hostname_short }}"

    def members(group):
        found = set(inventory.get(group, {}).get("hosts", []))
        for child in inventory.get(group, {}).get("children", []):
            found |= members(child)
        return found

    clients = members("nomad_clients")
    assert clients
    for host in clients:
        hostvars = inventory["_meta"]["hostvars"].get(host, {})
        node_name = hostvars.get("nomad_client_node_name", host.split(".")[0])
        assert host == node_name, "%s: name the host by its Nomad node name %r (ansible_host for the address)" % (host, node_name)
        assert hostvars.get("ansible_host"), "%s: no ansible_host: how is it reached?" % host
