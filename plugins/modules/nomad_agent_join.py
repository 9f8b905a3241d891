#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_agent_join
short_description: Make a Nomad server know other regions, joining them when it does not
version_added: 0.1.0
description:
  - Reads C(GET /v1/regions) (the regions with an alive server in this server's Serf pool). When one of O(regions)
    is missing, asks the agent to join O(addresses) (C(PUT /v1/agent/join?address=...)), then reads the regions
    again and fails if one is still missing.
  - Why a check and not only C(server_join.retry_join) in the agent configuration, the retry joiner stops after the
    first round in which one address answered (C(command/agent/retry_join.go), memberlist C(Join)), so a list that
    mixes the local peers and another region's servers can skip the other region for good. Once two regions met,
    Serf keeps them.
  - The join answers 200 even when it failed (C(command/agent/agent_endpoint.go) C(AgentJoinRequest)); the module
    reports Nomad's own error text. Joining one server of a region is enough; gossip spreads the others.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  regions:
    description: The regions that must be known (this server's own region needs no join).
    type: list
    elements: str
    required: true
  addresses:
    description: Serf addresses (C(ip) or C(ip:port), default port 4648) of the other regions' servers.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: The west region's servers know the east region
  edgeops.nomad.nomad_agent_join:
    regions: [east]
    addresses: [192.0.2.51, 192.0.2.52, 192.0.2.53]
"""

RETURN = r"""
regions:
  description: The regions this server knows after the call (before any join in check mode).
  returned: success
  type: list
  elements: str
  sample: [east, west]
missing:
  description: The regions of O(regions) that were missing before the call.
  returned: success
  type: list
  elements: str
  sample: [east]
num_joined:
  description: Servers the join reached (0 when no join was needed).
  returned: success
  type: int
  sample: 1
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def main():
    module = NomadModule(argument_spec=dict(
        regions=dict(type="list", elements="str", required=True),
        addresses=dict(type="list", elements="str", required=True),
    ), supports_check_mode=True)
    p = module.params
    client = module.client
    try:
        known = client.get("/v1/regions", namespaced=False).data or []
        missing = [r for r in p["regions"] if r not in known]
        result = dict(regions=known, missing=missing, num_joined=0, changed=bool(missing))
        if missing and not p["addresses"]:
            module.fail_json(msg="addresses: regions %s are not known and no address to join was given" % missing, **result)
        if missing and not module.check_mode:
            answer = client.put("/v1/agent/join", query={"address": p["addresses"]}, namespaced=False).data or {}
            result["num_joined"] = answer.get("num_joined", 0)
            known = client.get("/v1/regions", namespaced=False).data or []
            result["regions"] = known
            still = [r for r in p["regions"] if r not in known]
            if still:
                module.fail_json(msg="regions %s still unknown after joining %s (joined %d): %s. The other region's servers "
                                     "must be reachable at these addresses on 4648/TCP and 4648/UDP, with the same gossip key"
                                     % (still, ", ".join(p["addresses"]), result["num_joined"],
                                        (answer.get("error") or "no error reported").strip()), **result)
            if answer.get("warning"):
                module.warn("Nomad: %s" % answer["warning"])
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
