#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_namespace
short_description: Manage Nomad namespaces
version_added: 0.1.0
description:
  - Create, update or delete a Nomad namespace (C(GET/PUT/DELETE /v1/namespace/:name)).
  - The namespace to manage is O(name); the shared O(namespace) connection option is not used here.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Namespace name, matching C(^[a-zA-Z0-9-]{1,128}$). V(default) can be updated but not deleted.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates, V(absent) deletes (Nomad refuses while non-terminal jobs,
        volumes or variables exist in it).
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text, at most 256 characters. Left as is when not set.
    type: str
  meta:
    description:
      - Key/value metadata; replaces the whole map when set, left as is when not set.
    type: dict
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Namespace for edge workloads
  edgeops.nomad.nomad_namespace:
    name: edge
    description: Workloads that run on edge gateways
    meta:
      owner: edge-team

- name: Delete a namespace
  edgeops.nomad.nomad_namespace:
    name: scratch
    state: absent
"""

RETURN = r"""
namespace_info:
  description: The namespace as Nomad returns it (after the change; before it when deleted or in check mode).
  returned: success
  type: dict
  sample:
    Name: edge
    Description: Workloads that run on edge gateways
    Meta: {owner: edge-team}
    CreateIndex: 130
    ModifyIndex: 130
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def comparable(ns):
    if ns is None:
        return None
    return {"Name": ns.get("Name"), "Description": ns.get("Description") or "", "Meta": ns.get("Meta") or {}}


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"),
            meta=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name_error = nomad_name_error("name", p["name"])
    if name_error:
        module.fail_json(msg=name_error)
    if p["state"] == "absent" and p["name"] == "default":
        module.fail_json(msg="name: the default namespace cannot be deleted")
    if p["description"] is not None and len(p["description"]) > 256:
        module.fail_json(msg="description: at most 256 characters")

    client = module.client
    path = client.path("v1", "namespace", p["name"])
    try:
        resp = client.get_or_none(path, namespaced=False)
        current = resp.data if resp else None
        before = comparable(current)
        after = None
        if p["state"] == "present":
            after = dict(before) if before else {"Name": p["name"], "Description": "", "Meta": {}}
            if p["description"] is not None:
                after["Description"] = p["description"]
            if p["meta"] is not None:
                after["Meta"] = dict((str(k), str(v)) for k, v in p["meta"].items())
        result = dict(namespace_info=current or {})

        def write():
            body = dict(current or {})
            body.update(after)
            for key in ("CreateIndex", "ModifyIndex"):
                body.pop(key, None)
            client.put(path, body=body, idempotent=True, namespaced=False)  # full upsert: safe to retry
            result["namespace_info"] = client.get(path, namespaced=False).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path, namespaced=False))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
