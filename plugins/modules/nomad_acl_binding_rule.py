#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_acl_binding_rule
short_description: Manage Nomad ACL binding rules (which logins get which roles or policies)
version_added: 0.1.0
description:
  - Create, update or delete an ACL binding rule of an auth method
    (M(edgeops.nomad.nomad_acl_auth_method)). Needs a management token.
  - Nomad identifies binding rules only by a generated ID. This module finds the rule by O(rule_id)
    when given, otherwise by O(auth_method) plus O(description), which must therefore be unique
    among the rules of that method (the module refuses when two rules match).
  - Uses C(GET /v1/acl/binding-rules), C(GET/POST/DELETE /v1/acl/binding-rule/:id) and
    C(POST /v1/acl/binding-rule) for creation.
  - The checks of C(nomad/structs/acl.go) C(ACLBindingRule.Validate) run before any change.
    V(role) and V(policy) need O(bind_name), V(management) must not have one; description at most
    256 characters. Nomad also parses O(selector) (go-bexpr) and refuses invalid expressions.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  auth_method:
    description:
      - Name of the auth method the rule belongs to (must exist).
    type: str
    required: true
  description:
    description:
      - Description, at most 256 characters; with O(auth_method) it identifies the rule when
        O(rule_id) is not given.
    type: str
    required: true
  rule_id:
    description:
      - ID of an existing rule to manage (then O(description) can be changed too).
    type: str
  state:
    description:
      - Whether the rule should exist.
    type: str
    choices: [present, absent]
    default: present
  selector:
    description:
      - go-bexpr expression over the login's claims (for example C("ops" in list.roles)); empty
        matches every login.
    type: str
    default: ""
  bind_type:
    description:
      - What a matching login gets. Required with O(state=present).
    type: str
    choices: [role, policy, management]
  bind_name:
    description:
      - Role or policy name (HIL templating of claims allowed, for example V(${value.project})).
        Needed for V(role) and V(policy), not allowed for V(management).
    type: str
    default: ""
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Members of the ops group get the edge-operators role
  edgeops.nomad.nomad_acl_binding_rule:
    auth_method: sso
    description: ops group -> edge-operators
    selector: '"ops" in list.roles'
    bind_type: role
    bind_name: edge-operators
"""

RETURN = r"""
binding_rule:
  description: The rule as Nomad returns it (after the change; before it when deleted or in check mode).
  returned: success
  type: dict
  sample:
    ID: 2f4e6a8c-1b3d-4f5a-8c7e-9d0b1a2c3e4f
    AuthMethod: sso
    Description: ops group -> edge-operators
    Selector: '"ops" in list.roles'
    BindType: role
    BindName: edge-operators
    CreateIndex: 52
    ModifyIndex: 52
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadStateError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

FIELDS = ("AuthMethod", "Description", "Selector", "BindType", "BindName")


def comparable(rule):
    if rule is None:
        return None
    return dict((k, rule.get(k) or "") for k in FIELDS)


def find(client, auth_method, description, rule_id):
    if rule_id:
        resp = client.get_or_none(client.path("v1", "acl", "binding-rule", rule_id), namespaced=False)
        return resp.data if resp else None
    stubs = [r for r in client.get_all("/v1/acl/binding-rules", namespaced=False)
             if r.get("AuthMethod") == auth_method and (r.get("Description") or "") == description]
    if len(stubs) > 1:
        raise NomadStateError("description: %d binding rules of auth method %r are described %r; give rule_id"
                              % (len(stubs), auth_method, description))
    if not stubs:
        return None
    return client.get(client.path("v1", "acl", "binding-rule", stubs[0]["ID"]), namespaced=False).data


def main():
    module = NomadModule(
        argument_spec=dict(
            auth_method=dict(type="str", required=True),
            description=dict(type="str", required=True),
            rule_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            selector=dict(type="str", default=""),
            bind_type=dict(type="str", choices=["role", "policy", "management"]),
            bind_name=dict(type="str", default=""),
        ),
        required_if=[("state", "present", ("bind_type",))],
        supports_check_mode=True,
    )
    p = module.params
    errors = []
    if not p["auth_method"]:
        errors.append("auth_method: must not be empty")
    if len(p["description"]) > 256:
        errors.append("description: at most 256 characters")
    if p["bind_type"] in ("role", "policy") and not p["bind_name"]:
        errors.append("bind_name: needed with bind_type=%s" % p["bind_type"])
    if p["bind_type"] == "management" and p["bind_name"]:
        errors.append("bind_name: must be empty with bind_type=management")
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client
    try:
        current = find(client, p["auth_method"], p["description"], p["rule_id"])
        before = comparable(current)
        after = None
        if p["state"] == "present":
            after = {"AuthMethod": p["auth_method"], "Description": p["description"], "Selector": p["selector"],
                     "BindType": p["bind_type"], "BindName": p["bind_name"]}
        result = dict(binding_rule=current or {})
        module.ensure_by_id(result, "binding_rule", "binding-rule", current, before, after, after)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
