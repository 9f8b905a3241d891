#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_node
short_description: Drain Nomad client nodes and set their scheduling eligibility
version_added: 0.1.0
description:
  - Starts or cancels a drain (C(POST /v1/node/:id/drain)) and sets scheduling eligibility
    (C(POST /v1/node/:id/eligibility)) of one client node, found by ID or by name.
  - O(drain=true) is satisfied by a node that is draining, or whose last drain completed and that is
    still ineligible, so a re-run after the drain finished changes nothing.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  node:
    description:
      - Node ID (full UUID) or node name.
    type: str
    required: true
  drain:
    description:
      - V(true) drains the node, V(false) cancels a running drain. Left as is when not set.
    type: bool
  deadline:
    description:
      - Drain deadline as a Go duration (V(1h)); V(0) or unset = no deadline; V(-1) = force (stop
        allocations at once).
    type: str
  ignore_system_jobs:
    description:
      - Leave system jobs running during the drain.
    type: bool
    default: false
  drain_meta:
    description:
      - Metadata recorded with the drain (Nomad's C(LastDrain.Meta)), for example a reason.
    type: dict
  eligible:
    description:
      - Scheduling eligibility. With O(drain=false) and O(eligible=true) a cancelled drain also marks the
        node eligible. Nomad refuses V(true) while the node drains. Left as is when not set.
    type: bool
  wait:
    description:
      - After starting a drain, wait until it has completed.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait).
    type: int
    default: 600
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Drain an edge node before patching it, keep system jobs, wait up to 30 minutes
  edgeops.nomad.nomad_node:
    node: "{{ nomad_client_node_name | default(inventory_hostname_short) }}"
    drain: true
    deadline: 30m
    ignore_system_jobs: true
    drain_meta:
      reason: OS patching
    wait: true
    wait_timeout: 1800
  delegate_to: localhost

- name: Put it back into service
  edgeops.nomad.nomad_node:
    node: "{{ nomad_client_node_name | default(inventory_hostname_short) }}"
    drain: false
    eligible: true
  delegate_to: localhost
"""

RETURN = r"""
node_info:
  description: The node after the change (before it in check mode). Large maps (Attributes, Drivers) are kept.
  returned: success
  type: dict
  sample: {ID: f7a3c1d2-8b4e-4c6f-9a1b-3d5e7f9a1b2c, Name: edge-amd64-1, NodePool: edge, Datacenter: dc1,
           Status: ready, SchedulingEligibility: ineligible, DrainStrategy: {Deadline: 3600000000000},
           Meta: {site: plant-7}, Attributes: {kernel.name: linux, cpu.arch: amd64}}
"""

import re

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadStateError,
    poll,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def resolve(client, node):
    if UUID_RE.match(node):
        resp = client.get_or_none(client.path("v1", "node", node), namespaced=False)
        if resp:
            return resp.data
    stubs = [n for n in client.get_all("/v1/nodes", namespaced=False) if n.get("Name") == node]
    if not stubs:
        raise NomadStateError("node: no Nomad node has the ID or name %r" % node)
    if len(stubs) > 1:
        raise NomadStateError("node: %d nodes are named %r; give the node ID" % (len(stubs), node))
    return client.get(client.path("v1", "node", stubs[0]["ID"]), namespaced=False).data


def state_of(node):
    last = (node.get("LastDrain") or {}).get("Status")
    draining = node.get("DrainStrategy") is not None
    return {"drain": draining or (last == "complete" and node.get("SchedulingEligibility") == "ineligible"),
            "draining": draining, "eligible": node.get("SchedulingEligibility") == "eligible"}


def main():
    module = NomadModule(
        argument_spec=dict(
            node=dict(type="str", required=True),
            drain=dict(type="bool"),
            deadline=dict(type="str"),
            ignore_system_jobs=dict(type="bool", default=False),
            drain_meta=dict(type="dict"),
            eligible=dict(type="bool"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=600),
        ),
        required_one_of=[("drain", "eligible")],
        supports_check_mode=True,
    )
    p = module.params
    deadline = 0
    if p["deadline"] not in (None, ""):
        try:
            deadline = duration_to_ns(p["deadline"])
        except ValueError as exc:
            module.fail_json(msg="deadline: %s" % exc)
        if deadline < -1:
            module.fail_json(msg="deadline: use a positive duration, 0 (none) or -1 (force)")
        if deadline == -1 * 10 ** 9 or p["deadline"].strip() == "-1":
            deadline = -1
    if p["drain"] and p["eligible"]:
        module.fail_json(msg="eligible: a draining node cannot be eligible (drain=true, eligible=true)")
    if p["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout: must be 0 or more")

    client = module.client
    try:
        node = resolve(client, p["node"])
        path = client.path("v1", "node", node["ID"])
        before = state_of(node)
        after = dict(before)
        calls = []
        if p["drain"] is True and not before["drain"]:
            after.update(drain=True, draining=True, eligible=False)
            spec = {"Deadline": deadline, "IgnoreSystemJobs": p["ignore_system_jobs"]}
            calls.append(("drain", {"DrainSpec": spec, "MarkEligible": False,
                                    "Meta": dict((str(k), str(v)) for k, v in (p["drain_meta"] or {}).items()) or None}))
        elif p["drain"] is False and before["draining"]:
            after.update(drain=False, draining=False, eligible=bool(p["eligible"]) or False)
            calls.append(("drain", {"DrainSpec": None, "MarkEligible": bool(p["eligible"]), "Meta": None}))
        elif p["drain"] is False and before["drain"]:
            after["drain"] = False  # last drain complete; eligibility below decides
        if p["eligible"] is not None and after["eligible"] != p["eligible"]:
            after["eligible"] = p["eligible"]
            calls.append(("eligibility", {"NodeID": node["ID"],
                                          "Eligibility": "eligible" if p["eligible"] else "ineligible"}))
        if p["drain"] is False and before["drain"] and not before["draining"] and after["eligible"] is False:
            after["drain"] = True  # still ineligible after a drain: nothing we changed
        changed = bool(calls)
        result = dict(changed=changed, node_info=node)
        if changed and not module.check_mode:
            for endpoint, body in calls:
                client.post(path + "/" + endpoint, body=body, namespaced=False, idempotent=True)
            node = client.get(path, namespaced=False).data
            if p["wait"] and p["drain"] and node.get("DrainStrategy") is not None:
                try:
                    node = poll(lambda: client.get(path, namespaced=False).data,
                                lambda n: n.get("DrainStrategy") is None, p["wait_timeout"],
                                "wait_timeout: node %s still draining" % node["Name"])
                except NomadStateError as exc:
                    exc.details = {"node_info": exc.details.get("last")}
                    raise
            result["node_info"] = node
        module.add_diff(result, before, after)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
