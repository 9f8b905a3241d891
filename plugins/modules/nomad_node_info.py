#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_node_info
short_description: List Nomad client nodes, filtered by pool, class, status, datacenter or name
version_added: 0.1.0
description:
  - Reads C(GET /v1/nodes?os=true) (following pagination) and filters on the controller side, so
    it works the same on every Nomad version; O(details=true) also reads C(GET /v1/node/:id) for each match.
  - Never changes anything.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  node_pool:
    description: Only nodes in this node pool.
    type: str
  node_class:
    description: Only nodes of this node class.
    type: str
  status:
    description: Only nodes with this status.
    type: str
    choices: [initializing, ready, down, disconnected]
  datacenter:
    description: Only nodes in this datacenter.
    type: str
  name:
    description: Only the node with this name (or ID).
    type: str
  details:
    description: Return full node objects (Attributes, Meta, DrainStrategy...) instead of list stubs.
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Ready ARM edge nodes
  edgeops.nomad.nomad_node_info:
    node_pool: edge-arm
    status: ready
  register: arm_nodes

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ arm_nodes.nodes | map(attribute='Name') | list }}"
"""

RETURN = r"""
nodes:
  description: Matching nodes (stubs, or full nodes with O(details=true)), sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - {ID: 5c1f..., Name: edge-00001, Address: 10.10.0.1, Datacenter: dc1, NodePool: edge-arm, NodeClass: "",
       Status: ready, SchedulingEligibility: eligible, Drain: false, Attributes: {os.name: ubuntu}}
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def list_nodes(client):
    """All node stubs (the client follows Nomad's pagination)."""
    return client.get_all("/v1/nodes", query={"os": True}, namespaced=False)


def main():
    module = NomadModule(
        argument_spec=dict(
            node_pool=dict(type="str"),
            node_class=dict(type="str"),
            status=dict(type="str", choices=["initializing", "ready", "down", "disconnected"]),
            datacenter=dict(type="str"),
            name=dict(type="str"),
            details=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    try:
        wanted = []
        for node in list_nodes(client):
            if p["node_pool"] is not None and node.get("NodePool") != p["node_pool"]:
                continue
            if p["node_class"] is not None and node.get("NodeClass") != p["node_class"]:
                continue
            if p["status"] is not None and node.get("Status") != p["status"]:
                continue
            if p["datacenter"] is not None and node.get("Datacenter") != p["datacenter"]:
                continue
            if p["name"] is not None and p["name"] not in (node.get("Name"), node.get("ID")):
                continue
            wanted.append(node)
        if p["details"]:
            wanted = [client.get(client.path("v1", "node", n["ID"]), namespaced=False).data for n in wanted]
        wanted.sort(key=lambda n: (n.get("Name") or "", n.get("ID")))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(changed=False, nodes=wanted)


if __name__ == "__main__":
    main()
