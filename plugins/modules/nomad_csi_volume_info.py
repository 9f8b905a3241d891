#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_csi_volume_info
short_description: Read Nomad CSI volumes and CSI plugins
version_added: 0.1.0
description:
  - With O(id), reads one volume (C(GET /v1/volume/csi/:id)); otherwise lists the volumes of the O(namespace)
    (V(*) for every namespace) with C(GET /v1/volumes?type=csi), narrowed by O(plugin_id), O(node_id) and
    O(prefix).
  - With O(plugins=true) also reads the CSI plugins (C(GET /v1/plugins?type=csi), or C(GET /v1/plugin/csi/:id)
    for O(plugin_id)) - their controller and node health decides whether volumes can be created and claimed.
  - Never changes anything. Nomad never answers with secrets; non-empty mount flags come back as C([REDACTED]).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  id:
    description: Volume ID to read. A missing volume gives an empty list, not an error.
    type: str
  prefix:
    description: Only volumes whose ID starts with this.
    type: str
  plugin_id:
    description: Only volumes of this plugin (and, with O(plugins=true), only this plugin).
    type: str
  node_id:
    description: Only volumes claimed on this node.
    type: str
  details:
    description: Return full volumes (capabilities, topology, allocations) instead of list stubs.
    type: bool
    default: false
  plugins:
    description: Also return the CSI plugins in RV(plugins).
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Volumes of the EBS plugin and the plugin's health
  edgeops.nomad.nomad_csi_volume_info:
    namespace: "*"
    plugin_id: aws-ebs0
    plugins: true
  register: ebs

- name: Stop when the controller is down
  ansible.builtin.assert:
    that: ebs.plugins[0].ControllersHealthy > 0
    fail_msg: the aws-ebs0 controller is not healthy, volumes cannot be created or attached
"""

RETURN = r"""
volumes:
  description: Matching volumes (list stubs, or full volumes with O(details=true) or O(id)), sorted by namespace and ID.
  returned: always
  type: list
  elements: dict
  sample:
    - {ID: database, Name: database, ExternalID: vol-0b756b75620d63af5, Namespace: edge, PluginID: aws-ebs0,
       Provider: ebs.csi.aws.com, Schedulable: true, AccessMode: "", AttachmentMode: "", CurrentReaders: 0,
       CurrentWriters: 0, ControllerRequired: true, ControllersHealthy: 1, ControllersExpected: 1,
       NodesHealthy: 3, NodesExpected: 3, CreateIndex: 1042, ModifyIndex: 1042}
plugins:
  description: With O(plugins=true), the CSI plugins (the one O(plugin_id) names, full; otherwise list stubs).
  returned: when O(plugins=true)
  type: list
  elements: dict
  sample:
    - {ID: aws-ebs0, Provider: ebs.csi.aws.com, ControllerRequired: true, ControllersHealthy: 1, ControllersExpected: 1,
       NodesHealthy: 3, NodesExpected: 3, CreateIndex: 900, ModifyIndex: 1000}
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def main():
    module = NomadModule(
        argument_spec=dict(
            id=dict(type="str"),
            prefix=dict(type="str"),
            plugin_id=dict(type="str"),
            node_id=dict(type="str"),
            details=dict(type="bool", default=False),
            plugins=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("id", "prefix"), ("id", "node_id")],
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    result = dict(changed=False)
    try:
        if p["id"]:
            if p["namespace"] == "*":
                module.fail_json(msg="namespace: a volume is read by ID in one namespace, not '*'")
            resp = client.get_or_none(client.path("v1", "volume", "csi", p["id"]))
            volumes = [resp.data] if resp else []
        else:
            query = {"type": "csi", "prefix": p["prefix"], "plugin_id": p["plugin_id"], "node_id": p["node_id"]}
            volumes = client.get_all("/v1/volumes", query=query)
            if p["details"]:
                volumes = [client.get(client.path("v1", "volume", "csi", v["ID"]),
                                      query={"namespace": v.get("Namespace")}).data for v in volumes]
        volumes.sort(key=lambda v: (v.get("Namespace") or "", v.get("ID")))
        result["volumes"] = volumes
        if p["plugins"]:
            if p["plugin_id"]:
                resp = client.get_or_none(client.path("v1", "plugin", "csi", p["plugin_id"]), namespaced=False)
                result["plugins"] = [resp.data] if resp else []
            else:
                result["plugins"] = sorted(client.get("/v1/plugins", query={"type": "csi"}, namespaced=False).data
                                           or [], key=lambda x: x.get("ID"))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
