#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_acl_policy
short_description: Manage Nomad ACL policies
version_added: 0.1.0
description:
  - Create, update or delete an ACL policy (C(GET/PUT/DELETE /v1/acl/policy/:name)). Needs a management token.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Policy name, matching C(^[a-zA-Z0-9-]{1,128}$).
    type: str
    required: true
  state:
    description:
      - Whether the policy should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text, at most 256 characters.
    type: str
    default: ""
  rules:
    description:
      - Policy rules as HCL (or JSON) text. Required with O(state=present). Nomad parses them and
        refuses invalid rules with its own message.
    type: str
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Read-only operator policy
  edgeops.nomad.nomad_acl_policy:
    name: readonly
    description: Read everything, change nothing
    rules: |
      namespace "*" {
        policy = "read"
      }
      node {
        policy = "read"
      }
      operator {
        policy = "read"
      }
"""

RETURN = r"""
policy:
  description: The policy as Nomad returns it (after the change; before it when deleted or in check mode).
  returned: success
  type: dict
  sample: {Name: readonly, Description: Read everything, Rules: "node { policy = \"read\" }", CreateIndex: 20, ModifyIndex: 20}
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str", default=""),
            rules=dict(type="str"),
        ),
        required_if=[("state", "present", ["rules"])],
        supports_check_mode=True,
    )
    p = module.params
    name_error = nomad_name_error("name", p["name"])
    if name_error:
        module.fail_json(msg=name_error)
    if len(p["description"]) > 256:
        module.fail_json(msg="description: at most 256 characters")
    client = module.client
    path = client.path("v1", "acl", "policy", p["name"])
    try:
        resp = client.get_or_none(path, namespaced=False)
        current = resp.data if resp else None
        before = {"Name": current["Name"], "Description": current.get("Description") or "",
                  "Rules": current.get("Rules") or ""} if current else None
        after = {"Name": p["name"], "Description": p["description"], "Rules": p["rules"]} \
            if p["state"] == "present" else None
        result = dict(policy=current or {})

        def write():
            client.put(path, body=after, idempotent=True, namespaced=False)  # full upsert: safe to retry
            result["policy"] = client.get(path, namespaced=False).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path, namespaced=False))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
