#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_acl_token
short_description: Create, update, rotate or delete Nomad ACL tokens
version_added: 0.1.0
description:
  - Manages an ACL token identified by its O(name) (which must be unique among tokens) or O(accessor_id).
  - The SecretID is returned once, when the token is created or rotated, in RV(secret_id); the task
    output is then censored like C(no_log) (the registered variable keeps it, to store it in Vault).
  - Uses C(GET /v1/acl/tokens), C(PUT /v1/acl/token), C(PUT/DELETE /v1/acl/token/:accessor_id).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Token name (at most 256 characters). Used to find the token when O(accessor_id) is not given.
    type: str
    required: true
  accessor_id:
    description:
      - AccessorID of an existing token to manage.
    type: str
  state:
    description:
      - Whether the token should exist.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Token type. A type change needs O(rotate=true) (a new token).
    type: str
    choices: [client, management]
    default: client
  policies:
    description:
      - Policy names; a client token needs at least one. Not allowed for management tokens.
    type: list
    elements: str
    default: []
  global_token:
    description:
      - Replicate the token to all regions.
    type: bool
    default: false
    aliases: [global]
  expiration_ttl:
    description:
      - Lifetime of a new token as a Go duration (for example V(720h)). Only used when creating.
    type: str
  rotate:
    description:
      - Create a new token with the same settings and delete the old one.
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Token for the CI pipeline
  edgeops.nomad.nomad_acl_token:
    name: ci-deployer
    policies: [deploy]
  register: ci_token

- name: Store the secret (returned only when the token was created)
  community.hashi_vault.vault_kv2_write:
    path: nomad/ci-deployer
    data:
      secret_id: "{{ ci_token.secret_id }}"
  when: ci_token.secret_id is defined
  no_log: true
"""

RETURN = r"""
token:
  description: The token without its SecretID.
  returned: success
  type: dict
  sample: {AccessorID: 3f1b..., Name: ci-deployer, Type: client, Policies: [deploy], Global: false}
accessor_id:
  description: AccessorID of the token (empty when deleted or in check mode before creation).
  returned: success
  type: str
secret_id:
  description: SecretID of a token created or rotated by this run. The task output is censored.
  returned: when created or rotated (not in check mode)
  type: str
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import (
    NomadModule,
    duration_to_ns,
)


def public(token):
    return dict((k, v) for k, v in (token or {}).items() if k != "SecretID")


def comparable(token):
    if not token:
        return None
    return {"Name": token.get("Name"), "Type": token.get("Type"), "Policies": sorted(token.get("Policies") or []),
            "Global": bool(token.get("Global"))}


def find(client, module):
    p = module.params
    if p["accessor_id"]:
        resp = client.get_or_none(client.path("v1", "acl", "token", p["accessor_id"]), namespaced=False)
        return resp.data if resp else None
    stubs = [t for t in (client.get("/v1/acl/tokens", namespaced=False).data or []) if t.get("Name") == p["name"]]
    if len(stubs) > 1:
        module.fail_json(msg="name: %d tokens are named %r; give accessor_id" % (len(stubs), p["name"]))
    if not stubs:
        return None
    return client.get(client.path("v1", "acl", "token", stubs[0]["AccessorID"]), namespaced=False).data


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            accessor_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            type=dict(type="str", default="client", choices=["client", "management"]),
            policies=dict(type="list", elements="str", default=[]),
            global_token=dict(type="bool", default=False, aliases=["global"]),
            expiration_ttl=dict(type="str"),
            rotate=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if len(p["name"]) > 256:
        module.fail_json(msg="name: at most 256 characters")
    if p["state"] == "present" and p["type"] == "client" and not p["policies"]:
        module.fail_json(msg="policies: a client token needs at least one policy")
    if p["type"] == "management" and p["policies"]:
        module.fail_json(msg="policies: not allowed for a management token")
    ttl = None
    if p["expiration_ttl"]:
        try:
            ttl = duration_to_ns(p["expiration_ttl"])
        except ValueError as exc:
            module.fail_json(msg="expiration_ttl: %s" % exc)

    client = module.client
    try:
        current = find(client, module)
        before = comparable(current)
        want = {"Name": p["name"], "Type": p["type"], "Policies": sorted(p["policies"]), "Global": p["global_token"]}
        after = want if p["state"] == "present" else None
        recreate = bool(current) and after is not None and (p["rotate"] or before["Type"] != want["Type"])
        if recreate and before["Type"] != want["Type"] and not p["rotate"]:
            module.fail_json(msg="type: changing a token's type needs rotate=true (a new token)")
        changed = recreate or before != after
        result = dict(changed=changed, token=public(current), accessor_id=(current or {}).get("AccessorID", ""))
        if changed and not module.check_mode:
            if after is None:
                client.delete(client.path("v1", "acl", "token", current["AccessorID"]), namespaced=False)
                result["accessor_id"] = ""
            elif current and not recreate:
                body = dict(want, AccessorID=current["AccessorID"])
                if p["type"] == "management":
                    body.pop("Policies")
                token = client.put(client.path("v1", "acl", "token", current["AccessorID"]), body=body,
                                   namespaced=False).data
                result.update(token=public(token), accessor_id=token["AccessorID"])
            else:
                body = dict(want)
                if p["type"] == "management":
                    body.pop("Policies")
                if ttl:
                    body["ExpirationTTL"] = ttl
                token = client.put("/v1/acl/token", body=body, namespaced=False).data
                if recreate:
                    client.delete(client.path("v1", "acl", "token", current["AccessorID"]), namespaced=False)
                result.update(token=public(token), accessor_id=token["AccessorID"], secret_id=token["SecretID"])
        module.add_diff(result, before, after)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
