#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_cluster_info
short_description: Read Nomad's leader, peers, autopilot health and Raft configuration
version_added: 0.1.0
description:
  - Reads C(/v1/status/leader), C(/v1/status/peers), C(/v1/operator/autopilot/health) (its
    C(429) answer for an unhealthy cluster is data, not an error), C(/v1/operator/autopilot/configuration)
    and C(/v1/operator/raft/configuration) (needs a management token).
  - Meant for upgrade and restart waits (loop until RV(healthy) is true).
  - Never changes anything.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  gather:
    description: What to read.
    type: list
    elements: str
    choices: [leader, peers, autopilot_health, autopilot_configuration, raft_configuration]
    default: [leader, peers, autopilot_health, autopilot_configuration, raft_configuration]
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Wait until the cluster has a leader and autopilot calls it healthy
  edgeops.nomad.nomad_cluster_info:
    gather: [leader, autopilot_health]
  register: cluster
  until: cluster.healthy
  retries: 30
  delay: 10
"""

RETURN = r"""
leader:
  description: RPC address of the leader; empty when there is no leader.
  returned: when gathered
  type: str
  sample: 10.0.0.1:4647
peers:
  description: Raft peers' RPC addresses.
  returned: when gathered
  type: list
  elements: str
  sample: [10.0.0.1:4647, 10.0.0.2:4647, 10.0.0.3:4647]
autopilot_health:
  description: Autopilot health (Healthy, FailureTolerance, Servers...).
  returned: when gathered
  type: dict
  sample: {Healthy: true, FailureTolerance: 1, Leader: 6a0e2b0c-3b8d-9f61-3c2e-0d5b1f0e7a41,
           Voters: [6a0e2b0c-3b8d-9f61-3c2e-0d5b1f0e7a41], Servers: [{ID: 6a0e2b0c-3b8d-9f61-3c2e-0d5b1f0e7a41,
           Name: nomad-0.global, Address: 10.0.0.1:4647, Healthy: true, Voter: true, Leader: true}]}
autopilot_configuration:
  description: Autopilot configuration.
  returned: when gathered
  type: dict
  sample: {CleanupDeadServers: true, LastContactThreshold: 200ms, MaxTrailingLogs: 250, MinQuorum: 0,
           ServerStabilizationTime: 10s, CreateIndex: 5, ModifyIndex: 5}
raft_configuration:
  description: Raft configuration (Index, Servers with ID, Node, Address, Leader, Voter).
  returned: when gathered
  type: dict
  sample: {Index: 0, Servers: [{ID: 6a0e2b0c-3b8d-9f61-3c2e-0d5b1f0e7a41, Node: nomad-0.global,
           Address: 10.0.0.1:4647, Leader: true, Voter: true, RaftProtocol: "3"}]}
healthy:
  description: A leader is known and (when gathered) autopilot reports the cluster healthy.
  returned: always
  type: bool
  sample: true
"""

import json

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

CHOICES = ["leader", "peers", "autopilot_health", "autopilot_configuration", "raft_configuration"]


def main():
    module = NomadModule(
        argument_spec=dict(gather=dict(type="list", elements="str", choices=CHOICES, default=list(CHOICES))),
        supports_check_mode=True,
    )
    gather = module.params["gather"]
    client = module.client
    result = dict(changed=False)
    try:
        if "leader" in gather or "autopilot_health" not in gather:
            result["leader"] = client.get("/v1/status/leader", namespaced=False).data or ""
        if "peers" in gather:
            result["peers"] = client.get("/v1/status/peers", namespaced=False).data or []
        if "autopilot_health" in gather:
            try:
                result["autopilot_health"] = client.get("/v1/operator/autopilot/health", namespaced=False,
                                                        idempotent=True).data
            except NomadAPIError as exc:
                if exc.status != 429:
                    raise
                result["autopilot_health"] = json.loads(exc.body)
        if "autopilot_configuration" in gather:
            result["autopilot_configuration"] = client.get("/v1/operator/autopilot/configuration",
                                                           namespaced=False).data
        if "raft_configuration" in gather:
            result["raft_configuration"] = client.get("/v1/operator/raft/configuration", namespaced=False).data
    except NomadAPIError as exc:
        module.fail_api(exc)
    healthy = bool(result.get("leader", True))
    if "autopilot_health" in result:
        healthy = healthy and bool(result["autopilot_health"].get("Healthy"))
    result["healthy"] = healthy
    if "leader" not in gather:
        result.pop("leader", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
