#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_client_intro_token
short_description: Create a Nomad client introduction token for a node pool (Nomad 1.11+)
version_added: 0.1.0
description:
  - Creates a client introduction token (a signed JWT) with
    C(POST /v1/acl/identity/client-introduction-token); a new client presents it when it registers,
    so servers with C(client_introduction { enforcement = "strict" }) admit it. Needs C(node:write).
  - Uses the collection's HTTP client, so TLS, client certificates (mutual TLS) and the token are
    handled as for every other module of the collection.
  - The servers B(cap the TTL silently) at their C(client_introduction.max_identity_ttl) (default
    30m; default TTL 5m; C(nomad/structs/acl.go) C(ACLCreateClientIntroductionTokenRequest.IdentityTTL)
    only logs a warning on the server). The module reads the granted lifetime from the token's
    C(exp) and C(nbf) claims, warns when it is shorter than O(ttl) and returns RV(ttl_capped).
  - The token is returned in RV(jwt); the task output is censored like C(no_log) (the registered
    variable keeps it, to deliver it to the clients).
  - A new token is created on every run unless O(current_token) is still valid for the same pool
    (and node name) for more than O(renew_before).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  node_pool:
    description:
      - Node pool the token admits clients into, matching C(^[a-zA-Z0-9-_]{1,128}$).
    type: str
    default: default
  node_name:
    description:
      - Restrict the token to a client with this node name (optional claim).
    type: str
  ttl:
    description:
      - Wanted lifetime as a Go duration (for example V(30m)). When not set, the servers' default
        (C(client_introduction.default_identity_ttl), 5m unless configured) applies.
    type: str
  current_token:
    description:
      - A token created earlier (for example read from a client's C(intro_token.jwt)). When its
        claims name the same O(node_pool) and O(node_name) and it expires later than
        O(renew_before) from now, nothing is created and RV(kept) is V(true) (keep using it; it is not
        returned, it is already yours). Its signature is not checked here (the servers check it).
    type: str
  renew_before:
    description:
      - With O(current_token), create a new token when the current one expires within this Go duration.
    type: str
    default: 2m
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reports whether a token would be created; creates none.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Introduction token for the ARM edge pool, over mutual TLS
  edgeops.nomad.nomad_client_intro_token:
    url: https://nomad.example.com:4646
    ca_cert: /etc/nomad.d/tls/ca.pem
    client_cert: /etc/nomad.d/tls/cli.pem
    client_key: /etc/nomad.d/tls/cli-key.pem
    node_pool: edge-arm
    ttl: 30m
  register: intro

- name: Deliver it (never on a command line)
  ansible.builtin.copy:
    content: "{{ intro.jwt }}"
    dest: /opt/nomad/data/client/intro_token.jwt
    mode: "0600"
  no_log: true
"""

RETURN = r"""
jwt:
  description: The introduction token created by this run. The task output is censored.
  returned: when a token was created (not in check mode)
  type: str
  sample: eyJhbGciOiJSUzI1NiIsImtpZCI6Ij...
kept:
  description: Whether O(current_token) is still good and was kept (nothing created).
  returned: success
  type: bool
  sample: false
node_pool:
  description: Node pool claim of the token.
  returned: success
  type: str
  sample: edge-arm
expires_at:
  description: Expiry of the token (UTC, ISO 8601).
  returned: when a token is returned
  type: str
  sample: "2026-11-29T07:05:00Z"
ttl_granted:
  description: Lifetime the servers granted, in seconds (C(exp) - C(nbf)).
  returned: when a token is returned
  type: int
  sample: 1800
ttl_capped:
  description: Whether the servers granted less than O(ttl) (their C(max_identity_ttl) is lower).
  returned: when a token is returned
  type: bool
  sample: false
"""

import base64
import json
import time

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadStateError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns, nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

PATH = "/v1/acl/identity/client-introduction-token"


def claims(jwt):
    """The (unverified) claims of a JWT; ValueError if it is not one."""
    parts = (jwt or "").split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT (expected three dot-separated parts)")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (TypeError, ValueError, UnicodeError) as exc:
        raise ValueError("not a JWT (%s)" % exc.__class__.__name__)
    if not isinstance(data, dict) or "exp" not in data:
        raise ValueError("not an introduction token (no exp claim)")
    return data


def describe(jwt, requested_ns):
    c = claims(jwt)
    start = c.get("nbf") or c.get("iat") or 0
    granted = int(c["exp"] - start) if start else None
    out = {"node_pool": c.get("nomad_node_pool", ""),
           "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c["exp"])),
           "ttl_granted": granted, "ttl_capped": False}
    if requested_ns and granted is not None and granted < requested_ns // 10 ** 9:
        out["ttl_capped"] = True
    return out, c


def main():
    module = NomadModule(
        argument_spec=dict(
            node_pool=dict(type="str", default="default"),
            node_name=dict(type="str"),
            ttl=dict(type="str"),
            current_token=dict(type="str", no_log=True),
            renew_before=dict(type="str", default="2m"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = []
    name_error = nomad_name_error("node_pool", p["node_pool"], pool=True)
    if name_error:
        errors.append(name_error)
    ttl = renew = 0
    for opt in ("ttl", "renew_before"):
        if p[opt] in (None, ""):
            continue
        try:
            value = duration_to_ns(p[opt])
            if value <= 0:
                raise ValueError("must be a positive duration")
        except ValueError as exc:
            errors.append("%s: %s" % (opt, exc))
            continue
        if opt == "ttl":
            ttl = value
        else:
            renew = value
    if errors:
        module.fail_json(msg="; ".join(errors))

    result = dict(changed=False, kept=False, node_pool=p["node_pool"])
    if p["current_token"]:
        try:
            info, c = describe(p["current_token"], 0)
        except ValueError:
            info, c = None, {}
        if info and c.get("nomad_node_pool") == p["node_pool"] and (c.get("nomad_node_name") or None) == p["node_name"] \
                and c["exp"] - time.time() > renew / 10.0 ** 9:
            result.update(info, kept=True)
            module.exit_json(**result)

    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    body = {"NodePool": p["node_pool"]}
    if p["node_name"]:
        body["NodeName"] = p["node_name"]
    if ttl:
        body["TTL"] = ttl  # nanoseconds: what api.ACLIdentityClientIntroductionTokenRequest sends (time.Duration)
    client = module.client
    try:
        # creates a token: never retried (a lost answer would leave a second, unused token)
        jwt = (client.post(PATH, body=body, namespaced=False).data or {}).get("JWT")
        try:
            info, dummy = describe(jwt, ttl)
        except ValueError as exc:
            raise NomadStateError("the answer holds no usable token: %s" % exc, method="POST", path=PATH)
    except NomadAPIError as exc:
        module.fail_api(exc)
    result.update(info, jwt=jwt)
    if info["ttl_capped"]:
        module.warn("ttl: asked for %s, the servers granted %ss (their client_introduction.max_identity_ttl "
                    "caps it)" % (p["ttl"], info["ttl_granted"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
