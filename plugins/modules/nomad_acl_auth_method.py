#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_acl_auth_method
short_description: Manage Nomad ACL auth methods (OIDC and JWT single sign-on, workload identity)
version_added: 0.1.0
description:
  - Create, update or delete an ACL auth method (C(GET/POST/DELETE /v1/acl/auth-method/:name),
    creation with C(POST /v1/acl/auth-method)). Needs a management token. Tokens are granted
    through binding rules (M(edgeops.nomad.nomad_acl_binding_rule)).
  - The checks of C(nomad/structs/acl.go) C(ACLAuthMethod.Validate) and
    C(ACLAuthMethodConfig.Validate) run before any change.
  - Nomad never returns the OIDC client secret (it answers C(redacted)), so it cannot be compared;
    O(oidc_client_secret) is sent whenever the method is written, and O(force_update) writes it
    when nothing else changed.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Auth method name, matching C(^[a-zA-Z0-9-]{1,128}$).
    type: str
    required: true
  state:
    description:
      - Whether the auth method should exist.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(OIDC) (browser login) or V(JWT) (machine identities, for example CI or Kubernetes
        service account tokens). Required with O(state=present).
    type: str
    choices: [OIDC, JWT]
  token_locality:
    description:
      - V(local) tokens live in this region, V(global) tokens are replicated to all regions.
    type: str
    choices: [local, global]
    default: local
  max_token_ttl:
    description:
      - Lifetime of the tokens this method grants, as a Go duration. Required with O(state=present).
      - Nomad accepts values between the servers' C(acl.token_min_expiration_ttl) and
        C(acl.token_max_expiration_ttl) (by default 1m and 24h) and refuses others.
    type: str
  token_name_format:
    description:
      - Name of the tokens created by a login (HIL syntax).
    type: str
    default: "${auth_method_type}-${auth_method_name}"
  default:
    description:
      - Use this method when a login names none. Only one method of each type can be the default.
    type: bool
    default: false
  config:
    description:
      - The method's configuration, with the keys of Nomad's API (C(api.ACLAuthMethodConfig)) -
        C(OIDCDiscoveryURL), C(OIDCClientID), C(OIDCScopes), C(BoundAudiences), C(BoundIssuer),
        C(AllowedRedirectURIs), C(DiscoveryCaPem), C(JWKSURL), C(JWKSCACert), C(JWTValidationPubKeys),
        C(SigningAlgs), C(ClaimMappings), C(ListClaimMappings), C(ExpirationLeeway),
        C(NotBeforeLeeway), C(ClockSkewLeeway), C(OIDCEnablePKCE), C(OIDCDisableUserInfo),
        C(OIDCClientAssertion), C(VerboseLogging). An unknown key is refused.
      - V(OIDC) needs C(OIDCDiscoveryURL) and C(OIDCClientID); V(JWT) needs one of
        C(OIDCDiscoveryURL), C(JWKSURL) or C(JWTValidationPubKeys).
      - Only the keys given are compared with what Nomad holds.
    type: dict
    default: {}
  oidc_client_secret:
    description:
      - OAuth client secret of an OIDC method (C(Config.OIDCClientSecret)). Never logged or returned.
    type: str
  force_update:
    description:
      - Write the method even when it looks unchanged (to change only O(oidc_client_secret)).
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  diff_mode:
    support: full
    details: The client secret is never part of the diff.
"""

EXAMPLES = r"""
- name: JWT logins from the CI system
  edgeops.nomad.nomad_acl_auth_method:
    name: gitlab
    type: JWT
    max_token_ttl: 1h
    token_locality: global
    config:
      JWKSURL: https://gitlab.example.com/oauth/discovery/keys
      BoundIssuer: [https://gitlab.example.com]
      BoundAudiences: [nomad]
      ClaimMappings: {project_path: project}

- name: SSO for operators
  edgeops.nomad.nomad_acl_auth_method:
    name: sso
    type: OIDC
    default: true
    max_token_ttl: 8h
    config:
      OIDCDiscoveryURL: https://login.example.com/realms/ops
      OIDCClientID: nomad
      AllowedRedirectURIs: [https://nomad.example.com:4646/ui/settings/tokens]
      OIDCScopes: [groups]
      ListClaimMappings: {groups: roles}
    oidc_client_secret: "{{ vault_nomad_oidc_secret }}"
"""

RETURN = r"""
auth_method:
  description: The auth method as Nomad returns it (secrets shown as C(redacted) by Nomad).
  returned: success
  type: dict
  sample:
    Name: gitlab
    Type: JWT
    TokenLocality: global
    MaxTokenTTL: 1h0m0s
    TokenNameFormat: "${auth_method_type}-${auth_method_name}"
    Default: false
    Config: {JWKSURL: "https://gitlab.example.com/oauth/discovery/keys", BoundAudiences: [nomad]}
    CreateIndex: 40
    ModifyIndex: 40
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns, nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

CONFIG_KEYS = frozenset((
    "JWTValidationPubKeys", "JWKSURL", "OIDCDiscoveryURL", "OIDCClientID", "OIDCClientAssertion",
    "OIDCEnablePKCE", "OIDCDisableUserInfo", "OIDCScopes", "BoundAudiences", "BoundIssuer",
    "AllowedRedirectURIs", "DiscoveryCaPem", "JWKSCACert", "SigningAlgs", "ExpirationLeeway",
    "NotBeforeLeeway", "ClockSkewLeeway", "ClaimMappings", "ListClaimMappings", "VerboseLogging",
))  # api/acl.go ACLAuthMethodConfig, without OIDCClientSecret (its own option)
DURATION_KEYS = ("ExpirationLeeway", "NotBeforeLeeway", "ClockSkewLeeway")


def config_errors(kind, config):
    """nomad/structs/acl.go ACLAuthMethodConfig.Validate, plus unknown keys."""
    errors = ["config: unknown key %r (known: %s)" % (k, ", ".join(sorted(CONFIG_KEYS)))
              for k in sorted(config) if k not in CONFIG_KEYS]
    if "OIDCClientSecret" in config:
        errors = ["config: give OIDCClientSecret as oidc_client_secret (it is never logged)"]
    if kind == "OIDC":
        errors += ["config: an OIDC method needs %s" % k for k in ("OIDCDiscoveryURL", "OIDCClientID") if not config.get(k)]
    if kind == "JWT" and not (config.get("OIDCDiscoveryURL") or config.get("JWKSURL") or config.get("JWTValidationPubKeys")):
        errors.append("config: a JWT method needs OIDCDiscoveryURL, JWKSURL or JWTValidationPubKeys")
    for key in DURATION_KEYS:
        if config.get(key) not in (None, ""):
            try:
                duration_to_ns(config[key])
            except ValueError as exc:
                errors.append("config.%s: %s" % (key, exc))
    return errors


def norm(key, value):
    if key in DURATION_KEYS:
        return duration_to_ns(value) if value not in (None, "") else 0
    if isinstance(value, list):
        return list(value)
    return value


def comparable(method, keys):
    if method is None:
        return None
    config = method.get("Config") or {}
    return {"Name": method.get("Name"), "Type": method.get("Type"), "TokenLocality": method.get("TokenLocality"),
            "MaxTokenTTL": duration_to_ns(method.get("MaxTokenTTL") or 0),
            "TokenNameFormat": method.get("TokenNameFormat") or "", "Default": bool(method.get("Default")),
            "Config": dict((k, norm(k, config.get(k))) for k in sorted(keys))}


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            type=dict(type="str", choices=["OIDC", "JWT"]),
            token_locality=dict(type="str", default="local", choices=["local", "global"]),
            max_token_ttl=dict(type="str", no_log=False),  # a duration, not a secret
            token_name_format=dict(type="str", default="${auth_method_type}-${auth_method_name}", no_log=False),
            default=dict(type="bool", default=False),
            config=dict(type="dict", default={}),
            oidc_client_secret=dict(type="str", no_log=True),
            force_update=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ("type", "max_token_ttl"))],
        supports_check_mode=True,
    )
    p = module.params
    errors = []
    name_error = nomad_name_error("name", p["name"])
    if name_error:
        errors.append(name_error)
    ttl = None
    if p["state"] == "present":
        try:
            ttl = duration_to_ns(p["max_token_ttl"])
            if ttl <= 0:
                errors.append("max_token_ttl: must be a positive duration (Nomad's default range is 1m to 24h)")
        except ValueError as exc:
            errors.append("max_token_ttl: %s" % exc)
        errors += config_errors(p["type"], p["config"])
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client
    path = client.path("v1", "acl", "auth-method", p["name"])
    try:
        resp = client.get_or_none(path, namespaced=False)
        current = resp.data if resp else None
        before = comparable(current, p["config"])
        after = None
        if p["state"] == "present":
            after = {"Name": p["name"], "Type": p["type"], "TokenLocality": p["token_locality"], "MaxTokenTTL": ttl,
                     "TokenNameFormat": p["token_name_format"], "Default": p["default"],
                     "Config": dict((k, norm(k, v)) for k, v in sorted(p["config"].items()))}
        result = dict(auth_method=current or {})
        if p["force_update"] and current and after is not None and before == after:
            before = dict(before, ForceUpdate=True)  # a write is wanted: shows in the diff as such

        def write():
            config = dict(p["config"])
            for key in DURATION_KEYS:  # Go duration text both ways (structs.ACLAuthMethodConfig.MarshalJSON)
                if isinstance(config.get(key), int):
                    config[key] = "%dns" % config[key]
            if p["oidc_client_secret"]:
                config["OIDCClientSecret"] = p["oidc_client_secret"]
            body = {"Name": p["name"], "Type": p["type"], "TokenLocality": p["token_locality"],
                    "MaxTokenTTL": p["max_token_ttl"], "TokenNameFormat": p["token_name_format"],
                    "Default": p["default"], "Config": config}
            if current:  # upsert of the named object: the same body twice gives the same method
                result["auth_method"] = client.post(path, body=body, namespaced=False, idempotent=True).data
            else:
                result["auth_method"] = client.post("/v1/acl/auth-method", body=body, namespaced=False).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path, namespaced=False))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
