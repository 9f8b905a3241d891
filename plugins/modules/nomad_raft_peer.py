#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_raft_peer
short_description: Remove departed servers from Nomad's Raft configuration
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/raft/configuration) and removes every matching server with
    C(DELETE /v1/operator/raft/peer?id=<ID>), the call behind C(nomad operator raft remove-peer -peer-id).
  - For servers that are gone for good (a scaled-down StatefulSet). Removed from the configuration, such a
    server no longer counts towards the quorum. A server that is still alive in Serf is added back
    by the leader's next reconcile (C(nomad/leader.go) C(reconcileMember)), so remove only servers that
    no longer run.
  - Servers are matched by Raft ID, by Serf node name (C(<name>.<region>), the C(Node) column of
    C(nomad operator raft list-peers)) or by Raft address (C(ip:port)). A match that is not in the
    configuration is already absent (no change). Needs a management token.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  state:
    description: Only V(absent) exists; Nomad adds servers itself when they join.
    type: str
    choices: [absent]
    default: absent
  ids:
    description: Raft IDs (the servers' C(node-id)) to remove.
    type: list
    elements: str
    default: []
  nodes:
    description: Serf node names to remove (C(nomad-4.global)).
    type: list
    elements: str
    default: []
  addresses:
    description: Raft addresses to remove (C(10.0.0.5:4647), IPv6 as C([2001:db8::5]:4647)).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Forget the two servers a scale-down from 5 to 3 removed
  edgeops.nomad.nomad_raft_peer:
    nodes: [nomad-3.global, nomad-4.global]
"""

RETURN = r"""
removed:
  description: The Raft servers removed (would be removed in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{ID: 0f6a5b0e-8b51-4c8e-9d4f-7d2f5c1f9a10, Node: nomad-4.global, Address: 10.0.0.5:4647, Voter: true}]
servers:
  description: The Raft servers after the change (before it in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{ID: 6a0e2b0c-3b8d-9f61-3c2e-0d5b1f0e7a41, Node: nomad-0.global, Address: 10.0.0.1:4647, Leader: true,
            Voter: true}]
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

CONFIG = "/v1/operator/raft/configuration"
PEER = "/v1/operator/raft/peer"


def matches(server, ids, nodes, addresses):
    return (server.get("ID") in ids or server.get("Node") in nodes or server.get("Address") in addresses)


def main():
    module = NomadModule(argument_spec=dict(
        state=dict(type="str", choices=["absent"], default="absent"),
        ids=dict(type="list", elements="str", default=[]),
        nodes=dict(type="list", elements="str", default=[]),
        addresses=dict(type="list", elements="str", default=[]),
    ), supports_check_mode=True)
    p = module.params
    ids, nodes, addresses = set(p["ids"]), set(p["nodes"]), set(p["addresses"])
    if not (ids or nodes or addresses):
        module.fail_json(msg="ids, nodes or addresses: name at least one server to remove")
    client = module.client
    try:
        servers = client.get(CONFIG, namespaced=False).data.get("Servers") or []
        gone = [s for s in servers if matches(s, ids, nodes, addresses)]
        keep = [s for s in servers if not matches(s, ids, nodes, addresses)]
        if gone and not [s for s in keep if s.get("Voter")]:
            module.fail_json(msg="ids, nodes, addresses: they match every voter of the Raft configuration (%s); "
                                 "Nomad would be left without a quorum" % ", ".join(s.get("Node", "") for s in gone))
        result = dict(removed=gone, servers=servers)
        before = sorted(s.get("ID") for s in servers)
        after = sorted(s.get("ID") for s in keep)

        def write():
            for server in gone:
                try:
                    client.delete(PEER, query={"id": server["ID"]}, namespaced=False)
                except NomadAPIError as exc:
                    # a retried DELETE whose first try did remove the peer (nomad/operator_endpoint.go
                    # RaftRemovePeerByID: 'id "<id>" was not found in the Raft configuration')
                    if "was not found in the Raft configuration" not in str(exc.body or ""):
                        raise
            result["servers"] = client.get(CONFIG, namespaced=False).data.get("Servers") or []

        module.ensure(result, before, after, write=write)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
