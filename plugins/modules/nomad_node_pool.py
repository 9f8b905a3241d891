#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_node_pool
short_description: Manage Nomad node pools
version_added: 0.1.0
description:
  - Create, update or delete a Nomad node pool (Nomad 1.6 or later), including its metadata,
    node identity TTL and scheduler configuration.
  - Calls C(GET/PUT/DELETE /v1/node/pool/:name).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description:
      - Node pool name. Must match C(^[a-zA-Z0-9-_]{1,128}$). The built-in pools V(all) and V(default)
        cannot be changed.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the pool, V(absent) deletes it (Nomad refuses while nodes or
        non-terminal jobs use it).
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text, at most 256 characters. Left as is when not set.
    type: str
  meta:
    description:
      - Key/value metadata. Replaces the whole metadata map when set; left as is when not set.
    type: dict
  node_identity_ttl:
    description:
      - Lifetime of node identities in this pool as a Go duration, for example V(24h) (Nomad 1.11 or later).
    type: str
  scheduler_algorithm:
    description:
      - Scheduler algorithm for this pool. B(Nomad Enterprise only) ("Node Pools Governance") - the
        community edition refuses any scheduler configuration on a node pool
        (C(nomad/node_pool_endpoint_ce.go) C(validateLicense)), so the module stops before any
        change when the cluster is not Enterprise, see O(enterprise).
    type: str
    choices: [binpack, spread]
  memory_oversubscription:
    description:
      - Allow memory oversubscription in this pool. B(Nomad Enterprise only), like O(scheduler_algorithm).
    type: bool
  enterprise:
    description:
      - Whether the cluster runs Nomad Enterprise. Only consulted when O(scheduler_algorithm) or
        O(memory_oversubscription) is set.
      - When not set, the module asks C(GET /v1/operator/license) - the community edition answers
        C(204 No Content), Enterprise answers with its license; when Enterprise refuses that question to a
        token without C(operator:read), the module asks C(GET /v1/quotas), which the community edition
        answers with C(501 Nomad Enterprise only endpoint) whatever the token.
      - V(false) refuses the scheduler options without asking the cluster; V(true) skips the question.
    type: bool
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Node pool for ARM edge hosts
  edgeops.nomad.nomad_node_pool:
    url: https://nomad.example.com:4646
    token: "{{ nomad_management_token }}"
    name: edge-arm
    description: ARM64 edge gateways
    meta:
      site: factory-1
    scheduler_algorithm: spread

- name: Remove a pool no node uses any more
  edgeops.nomad.nomad_node_pool:
    name: edge-old
    state: absent
"""

RETURN = r"""
node_pool:
  description: The node pool as Nomad returns it after the change (before it, when deleted or in check mode).
  returned: success
  type: dict
  sample:
    Name: edge-arm
    Description: ARM64 edge gateways
    Meta: {site: factory-1}
    NodeIdentityTTL: 24h0m0s
    SchedulerConfiguration: {SchedulerAlgorithm: spread, MemoryOversubscriptionEnabled: null}
    CreateIndex: 120
    ModifyIndex: 120
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_edition import require_enterprise
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns, nomad_name_error
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

FIELDS = ("Name", "Description", "Meta", "NodeIdentityTTL", "SchedulerConfiguration")


def comparable(pool):
    if pool is None:
        return None
    out = dict((k, pool.get(k)) for k in FIELDS)
    out["Meta"] = out["Meta"] or {}
    out["Description"] = out["Description"] or ""
    ttl = out["NodeIdentityTTL"]
    out["NodeIdentityTTL"] = duration_to_ns(ttl) if ttl not in (None, "", 0) else 24 * 3600 * 10 ** 9
    return out


def desired(module, current):
    p = module.params
    after = dict(current) if current else {"Name": p["name"], "Description": "", "Meta": {},
                                           "NodeIdentityTTL": 24 * 3600 * 10 ** 9, "SchedulerConfiguration": None}
    if p["description"] is not None:
        after["Description"] = p["description"]
    if p["meta"] is not None:
        after["Meta"] = dict((str(k), str(v)) for k, v in p["meta"].items())
    if p["node_identity_ttl"] is not None:
        after["NodeIdentityTTL"] = duration_to_ns(p["node_identity_ttl"])
    if p["scheduler_algorithm"] is not None or p["memory_oversubscription"] is not None:
        sched = dict(after.get("SchedulerConfiguration") or {"SchedulerAlgorithm": "", "MemoryOversubscriptionEnabled": None})
        if p["scheduler_algorithm"] is not None:
            sched["SchedulerAlgorithm"] = p["scheduler_algorithm"]
        if p["memory_oversubscription"] is not None:
            sched["MemoryOversubscriptionEnabled"] = p["memory_oversubscription"]
        after["SchedulerConfiguration"] = sched
    return after


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"),
            meta=dict(type="dict"),
            node_identity_ttl=dict(type="str"),
            scheduler_algorithm=dict(type="str", choices=["binpack", "spread"]),
            memory_oversubscription=dict(type="bool"),
            enterprise=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name_error = nomad_name_error("name", p["name"], pool=True)
    if name_error:
        module.fail_json(msg=name_error)
    if p["name"] in ("all", "default"):
        module.fail_json(msg="name: the built-in node pool %r cannot be managed" % p["name"])
    if p["description"] is not None and len(p["description"]) > 256:
        module.fail_json(msg="description: at most 256 characters")
    if p["node_identity_ttl"] is not None:
        try:
            duration_to_ns(p["node_identity_ttl"])
        except ValueError as exc:
            module.fail_json(msg="node_identity_ttl: %s" % exc)

    client = module.client
    path = client.path("v1", "node", "pool", p["name"])
    try:
        if p["state"] == "present" and (p["scheduler_algorithm"] is not None or p["memory_oversubscription"] is not None):
            # the community edition refuses any SchedulerConfiguration on a pool with 500 'Feature "Node Pools
            # Governance" is unlicensed' (nomad/node_pool_endpoint_ce.go validateLicense): ask before the write
            require_enterprise(client, "scheduler_algorithm/memory_oversubscription", p["enterprise"],
                               feature="Node Pools Governance")
        resp = client.get_or_none(path)
        current = resp.data if resp else None
        before = comparable(current)
        after = None if p["state"] == "absent" else desired(module, before)
        result = dict(node_pool=current or {})

        def write():
            body = dict(after)
            body["NodeIdentityTTL"] = "%ds" % (after["NodeIdentityTTL"] // 10 ** 9) \
                if after["NodeIdentityTTL"] % 10 ** 9 == 0 else after["NodeIdentityTTL"]
            client.put(path, body=body, idempotent=True)  # full upsert: safe to retry
            result["node_pool"] = client.get(path).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
