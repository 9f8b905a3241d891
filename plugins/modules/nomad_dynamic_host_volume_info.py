#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_dynamic_host_volume_info
short_description: Read Nomad dynamic host volumes
version_added: 0.1.0
description:
  - With O(id), reads one volume (C(GET /v1/volume/host/:id)); otherwise lists the volumes of the O(namespace)
    (V(*) for every namespace) with C(GET /v1/volumes?type=host), narrowed by O(name), O(node_id) and O(node_pool).
  - Never changes anything.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  id:
    description: Volume ID to read. A missing volume gives an empty list, not an error.
    type: str
  name:
    description: Only volumes with exactly this name (Nomad allows one per node, so there may be several).
    type: str
  node_id:
    description: Only volumes on this node.
    type: str
  node_pool:
    description: Only volumes in this node pool.
    type: str
  state:
    description: Only volumes in this state.
    type: str
    choices: [pending, ready, unavailable]
  details:
    description: Return full volumes (constraints, parameters, capabilities, host path, allocations) instead of list stubs.
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Every volume named scratch, in every namespace
  edgeops.nomad.nomad_dynamic_host_volume_info:
    namespace: "*"
    name: scratch
  register: scratch

- name: Volumes of one node that are not ready
  edgeops.nomad.nomad_dynamic_host_volume_info:
    node_id: 5c1f7a4e-2b3c-4d5e-8f9a-0b1c2d3e4f5a
    state: unavailable
    details: true
  register: broken
"""

RETURN = r"""
volumes:
  description: Matching volumes (list stubs, or full volumes with O(details=true) or O(id)), sorted by name and node.
  returned: always
  type: list
  elements: dict
  sample:
    - {ID: 0f9d3c1e-5b2a-4c1d-9e8f-7a6b5c4d3e2f, Name: scratch, Namespace: edge, PluginID: mkdir, NodePool: edge-arm,
       NodeID: 5c1f7a4e-2b3c-4d5e-8f9a-0b1c2d3e4f5a, CapacityBytes: 0, State: ready, CreateIndex: 812,
       CreateTime: 1767225600000000000, ModifyIndex: 815, ModifyTime: 1767225601000000000}
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def main():
    module = NomadModule(
        argument_spec=dict(
            id=dict(type="str"),
            name=dict(type="str"),
            node_id=dict(type="str"),
            node_pool=dict(type="str"),
            state=dict(type="str", choices=["pending", "ready", "unavailable"]),
            details=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("id", "name"), ("id", "node_id"), ("id", "node_pool")],
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    try:
        if p["id"]:
            if p["namespace"] == "*":
                module.fail_json(msg="namespace: a volume is read by ID in one namespace, not '*'")
            resp = client.get_or_none(client.path("v1", "volume", "host", p["id"]))
            volumes = [resp.data] if resp else []
        else:
            query = {"type": "host", "prefix": p["name"], "node_id": p["node_id"], "node_pool": p["node_pool"]}
            volumes = [v for v in client.get_all("/v1/volumes", query=query)
                       if p["name"] is None or v.get("Name") == p["name"]]
            if p["details"]:
                volumes = [client.get(client.path("v1", "volume", "host", v["ID"]),
                                      query={"namespace": v.get("Namespace")}).data for v in volumes]
        if p["state"]:
            volumes = [v for v in volumes if v.get("State") == p["state"]]
        volumes.sort(key=lambda v: (v.get("Namespace") or "", v.get("Name") or "", v.get("NodeID") or "", v.get("ID")))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(changed=False, volumes=volumes)


if __name__ == "__main__":
    main()
