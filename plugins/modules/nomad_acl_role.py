#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_acl_role
short_description: Manage Nomad ACL roles
version_added: 0.1.0
description:
  - Create, update or delete an ACL role, a named set of ACL policies that tokens
    (M(edgeops.nomad.nomad_acl_token) O(edgeops.nomad.nomad_acl_token#module:roles)) and binding rules
    (M(edgeops.nomad.nomad_acl_binding_rule)) refer to. Needs a management token.
  - The role is found by its name (C(GET /v1/acl/role/name/:name)); created with C(POST /v1/acl/role),
    updated with C(POST /v1/acl/role/:id), deleted with C(DELETE /v1/acl/role/:id).
  - The checks Nomad makes (C(nomad/structs/acl.go) C(ACLRole.Validate), C(nomad/acl_endpoint.go)
    C(UpsertRoles)) run before any change - name C(^[a-zA-Z0-9-]{1,128}$), description at most 256
    characters, at least one policy, and every policy must exist.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Role name, matching C(^[a-zA-Z0-9-]{1,128}$), unique in the cluster.
    type: str
    required: true
  state:
    description:
      - Whether the role should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text, at most 256 characters.
    type: str
    default: ""
  policies:
    description:
      - Names of existing ACL policies. At least one with O(state=present).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Edge operators may drain nodes and read jobs
  edgeops.nomad.nomad_acl_role:
    name: edge-operators
    description: Day-2 operations on edge nodes
    policies: [node-write, readonly]

- name: Remove the role
  edgeops.nomad.nomad_acl_role:
    name: edge-operators
    state: absent
"""

RETURN = r"""
role:
  description: The role as Nomad returns it (after the change; before it when deleted or in check mode).
  returned: success
  type: dict
  sample:
    ID: 6c9b2a7e-3d4f-4e5a-9b8c-7d6e5f4a3b2c
    Name: edge-operators
    Description: Day-2 operations on edge nodes
    Policies: [{Name: node-write}, {Name: readonly}]
    CreateIndex: 31
    ModifyIndex: 31
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadNotFoundError,
    NomadStateError,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def comparable(role):
    if role is None:
        return None
    return {"Name": role.get("Name"), "Description": role.get("Description") or "",
            "Policies": sorted(set(link.get("Name") for link in role.get("Policies") or []))}


def check_policies(client, names):
    for name in names:
        try:
            client.get(client.path("v1", "acl", "policy", name), namespaced=False)
        except NomadNotFoundError:
            raise NomadStateError("policies: ACL policy %r does not exist (Nomad refuses the role: cannot find "
                                  "policy %s)" % (name, name))


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str", default=""),
            policies=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name_error = nomad_name_error("name", p["name"])
    if name_error:
        module.fail_json(msg=name_error)
    if len(p["description"]) > 256:
        module.fail_json(msg="description: at most 256 characters")
    if p["state"] == "present" and not p["policies"]:
        module.fail_json(msg="policies: a role needs at least one policy")

    client = module.client
    try:
        resp = client.get_or_none(client.path("v1", "acl", "role", "name", p["name"]), namespaced=False)
        current = resp.data if resp else None
        before = comparable(current)
        after = None
        if p["state"] == "present":
            after = {"Name": p["name"], "Description": p["description"], "Policies": sorted(set(p["policies"]))}
            if after != before:
                check_policies(client, after["Policies"])
        result = dict(role=current or {})
        body = after and {"Name": after["Name"], "Description": after["Description"],
                          "Policies": [{"Name": n} for n in after["Policies"]]}
        module.ensure_by_id(result, "role", "role", current, before, after, body)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
