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
  - Nomad refuses to toggle C(Global) or change the expiration TTL of an existing token
    (C(nomad/structs/acl.go) C(ACLToken.Validate) answers C(cannot toggle global mode),
    C(cannot update expiration TTL)). Such a change is therefore a B(rotation) - a new token with
    the wanted settings is created, its secret stored (O(secret_file)), and only then the old token
    is deleted. If storing fails, the new token is deleted again and the old one is left as it was.
  - In-place updates send back the fields Nomad treats as immutable (C(Global), C(ExpirationTTL),
    C(ExpirationTime), C(CreateTime)) exactly as they were read.
  - Uses C(GET /v1/acl/tokens), C(PUT /v1/acl/token), C(GET/PUT/DELETE /v1/acl/token/:accessor_id)
    and C(GET /v1/acl/role/name/:name) to resolve O(roles).
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
      - Token type. Nomad allows changing it in place.
    type: str
    choices: [client, management]
    default: client
  policies:
    description:
      - Policy names. A client token needs at least one policy or role; a management token none.
    type: list
    elements: str
    default: []
  roles:
    description:
      - ACL role names the token inherits policies from (see M(edgeops.nomad.nomad_acl_role)). Each
        role must exist; the module compares by role ID, as Nomad stores the links.
    type: list
    elements: str
    default: []
  global_token:
    description:
      - Replicate the token to all regions. Changing it on an existing token is a rotation.
    type: bool
    default: false
    aliases: [global]
  expiration_ttl:
    description:
      - Lifetime of the token as a Go duration (for example V(720h)); V(0) means no expiry.
      - When not set, an existing token keeps its TTL. Changing it on an existing token is a rotation.
    type: str
  rotate:
    description:
      - Create a new token with the same settings and delete the old one.
    type: bool
    default: false
  secret_file:
    description:
      - File (on the host the module runs on) to write the SecretID of a created or rotated token
        to, mode 0600, written atomically B(before) the old token is deleted.
      - Without it a rotation deletes the old token right after creating the new one, and the new
        secret exists only in the registered RV(secret_id) until the play stores it.
    type: path
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Token for the CI pipeline
  edgeops.nomad.nomad_acl_token:
    name: ci-deployer
    policies: [deploy]
    roles: [edge-operators]
  register: ci_token

- name: Store the secret (returned only when the token was created)
  community.hashi_vault.vault_kv2_write:
    path: nomad/ci-deployer
    data:
      secret_id: "{{ ci_token.secret_id }}"
  when: ci_token.secret_id is defined
  no_log: true

- name: Make the token expire after 30 days (a rotation; the new secret is on disk before the old token goes)
  edgeops.nomad.nomad_acl_token:
    name: ci-deployer
    policies: [deploy]
    roles: [edge-operators]
    expiration_ttl: 720h
    secret_file: /root/.nomad/ci-deployer.token
"""

RETURN = r"""
token:
  description: The token without its SecretID.
  returned: success
  type: dict
  sample: {AccessorID: 3f1b..., Name: ci-deployer, Type: client, Policies: [deploy], Roles: [{ID: 9c2e...}], Global: false}
accessor_id:
  description: AccessorID of the token (empty when deleted or in check mode before creation).
  returned: success
  type: str
  sample: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
secret_id:
  description: SecretID of a token created or rotated by this run. The task output is censored.
  returned: when created or rotated (not in check mode)
  type: str
  sample: 9a8b7c6d-5e4f-4321-8abc-def012345678
rotated:
  description: Whether the token was (or in check mode would be) replaced by a new one, and why.
  returned: success
  type: str
  sample: "global_token: Nomad cannot toggle global mode of an existing token"
previous_accessor_id:
  description: AccessorID of the token a rotation replaced (deleted).
  returned: when rotated
  type: str
  sample: 0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b
"""

import os
import tempfile

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadNotFoundError,
    NomadStateError,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

IMMUTABLE = ("Global", "ExpirationTTL", "ExpirationTime", "CreateTime")  # echoed on update


def public(token):
    return dict((k, v) for k, v in (token or {}).items() if k != "SecretID")


def ttl_ns(value):
    return duration_to_ns(value) if value not in (None, "") else 0


def comparable(token):
    if not token:
        return None
    return {"Name": token.get("Name"), "Type": token.get("Type"), "Policies": sorted(token.get("Policies") or []),
            "Roles": sorted(r.get("ID") for r in token.get("Roles") or []), "Global": bool(token.get("Global")),
            "ExpirationTTL": ttl_ns(token.get("ExpirationTTL"))}


def find(client, name, accessor_id):
    if accessor_id:
        resp = client.get_or_none(client.path("v1", "acl", "token", accessor_id), namespaced=False)
        return resp.data if resp else None
    stubs = [t for t in client.get_all("/v1/acl/tokens", namespaced=False) if t.get("Name") == name]
    if len(stubs) > 1:
        raise NomadStateError("name: %d tokens are named %r; give accessor_id" % (len(stubs), name))
    if not stubs:
        return None
    return client.get(client.path("v1", "acl", "token", stubs[0]["AccessorID"]), namespaced=False).data


def role_ids(client, names):
    """Role names -> IDs (tokens store role links by ID: nomad/acl_endpoint.go upsertTokens)."""
    ids = []
    for name in names:
        try:
            ids.append(client.get(client.path("v1", "acl", "role", "name", name), namespaced=False).data["ID"])
        except NomadNotFoundError:
            raise NomadStateError("roles: ACL role %r does not exist (create it with edgeops.nomad.nomad_acl_role)" % name)
    return sorted(set(ids))


def rotation_reason(p, before, want):
    if p["rotate"]:
        return "rotate: requested"
    if before["Global"] != want["Global"]:
        return "global_token: Nomad cannot toggle global mode of an existing token"
    if before["ExpirationTTL"] != want["ExpirationTTL"]:
        return "expiration_ttl: Nomad cannot update the expiration TTL of an existing token"
    return ""


def write_secret(path, secret):
    """Write atomically with mode 0600 (temp file in the same directory, then rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".nomad-token-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, secret.encode("utf-8"))
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, path)
    except Exception:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            accessor_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            type=dict(type="str", default="client", choices=["client", "management"]),
            policies=dict(type="list", elements="str", default=[]),
            roles=dict(type="list", elements="str", default=[]),
            global_token=dict(type="bool", default=False, aliases=["global"]),
            expiration_ttl=dict(type="str"),
            rotate=dict(type="bool", default=False),
            secret_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # the rules of nomad/structs/acl.go ACLToken.Validate, checked before any call
    if len(p["name"]) > 256:
        module.fail_json(msg="name: at most 256 characters (Nomad: token name too long)")
    if p["state"] == "present" and p["type"] == "client" and not (p["policies"] or p["roles"]):
        module.fail_json(msg="policies: a client token needs at least one policy or role")
    if p["type"] == "management" and (p["policies"] or p["roles"]):
        module.fail_json(msg="policies: a management token cannot have policies or roles")
    ttl = None
    if p["expiration_ttl"] not in (None, ""):
        try:
            ttl = duration_to_ns(p["expiration_ttl"])
        except ValueError as exc:
            module.fail_json(msg="expiration_ttl: %s" % exc)
        if ttl < 0:
            module.fail_json(msg="expiration_ttl: must not be negative")
    if p["secret_file"] and not os.path.isdir(os.path.dirname(os.path.abspath(p["secret_file"]))):
        module.fail_json(msg="secret_file: directory %s does not exist" % os.path.dirname(p["secret_file"]))

    client = module.client
    result = dict(changed=False, rotated="")
    try:
        current = find(client, p["name"], p["accessor_id"])
        before = comparable(current)
        result.update(token=public(current), accessor_id=(current or {}).get("AccessorID", ""))
        if p["state"] == "absent":
            path = client.path("v1", "acl", "token", current["AccessorID"]) if current else None
            module.ensure(result, before, None, delete=lambda: client.delete(path, namespaced=False))
            if result["changed"] and not module.check_mode:
                result["accessor_id"] = ""
            module.exit_json(**result)

        want = {"Name": p["name"], "Type": p["type"], "Policies": sorted(p["policies"]),
                "Roles": role_ids(client, p["roles"]), "Global": p["global_token"],
                "ExpirationTTL": ttl if ttl is not None else (before or {}).get("ExpirationTTL", 0)}
        reason = rotation_reason(p, before, want) if current else ""
        result["rotated"] = reason
        shown_after = dict(want, AccessorID="(new)") if reason else want
        if reason:
            result["changed"] = True
            module.add_diff(result, dict(before, AccessorID=current["AccessorID"]), shown_after)
            if module.check_mode:
                module.exit_json(**result)
        body = {"Name": want["Name"], "Type": want["Type"], "Global": want["Global"],
                "Policies": want["Policies"] or None, "Roles": [{"ID": i} for i in want["Roles"]] or None}

        def create():
            new = dict(body)
            if want["ExpirationTTL"]:
                new["ExpirationTTL"] = "%dns" % want["ExpirationTTL"]
            token = client.put("/v1/acl/token", body=new, namespaced=False).data  # never retried
            if p["secret_file"]:
                try:
                    write_secret(p["secret_file"], token["SecretID"])
                except (IOError, OSError) as exc:
                    # nothing half-applied: take the new token back, the old one is untouched
                    client.delete(client.path("v1", "acl", "token", token["AccessorID"]), namespaced=False)
                    raise NomadStateError("secret_file: cannot store the new token's secret (%s); the new token "
                                          "was deleted again and the old one left as it was" % exc)
            result.update(token=public(token), accessor_id=token["AccessorID"], secret_id=token["SecretID"],
                          changed=True)
            return token

        if reason:
            create()
            result["previous_accessor_id"] = current["AccessorID"]
            try:
                client.delete(client.path("v1", "acl", "token", current["AccessorID"]), namespaced=False)
            except NomadAPIError as exc:
                exc.message += ("; the new token %s is created%s, the previous token %s is still there: delete it "
                                "with state=absent and accessor_id" % (result["accessor_id"], " and stored in "
                                                                       + p["secret_file"] if p["secret_file"] else "",
                                                                       current["AccessorID"]))
                raise
            module.exit_json(**result)

        def update():
            upd = dict(body, AccessorID=current["AccessorID"])
            for key in IMMUTABLE:  # echo what Nomad will compare with the stored token
                if key in current:
                    upd[key] = current[key]
            token = client.put(client.path("v1", "acl", "token", current["AccessorID"]), body=upd,
                               namespaced=False, idempotent=True).data  # same body twice = same token
            result.update(token=public(token), accessor_id=token["AccessorID"])

        module.ensure(result, before, want, write=update if current else create)
    except NomadAPIError as exc:
        keep = ("secret_id", "accessor_id", "previous_accessor_id")  # what the user needs to clean up
        module.fail_api(exc, **dict((k, v) for k, v in result.items() if k in keep))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
