#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_autopilot
short_description: Manage Nomad's autopilot configuration
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/autopilot/configuration) and writes the changed settings with
    C(PUT ...?cas=<ModifyIndex>), so a concurrent change fails instead of being overwritten.
  - Options left unset keep their current value.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  cleanup_dead_servers:
    description: Remove dead servers when a new one joins.
    type: bool
  last_contact_threshold:
    description: Go duration (V(200ms)) after which a server without leader contact is unhealthy.
    type: str
  max_trailing_logs:
    description: Raft log entries a server may trail the leader by and stay healthy.
    type: int
  min_quorum:
    description: Minimum number of servers before autopilot prunes dead servers.
    type: int
  server_stabilization_time:
    description: Go duration (V(10s)) a new server must be healthy before it becomes a voter.
    type: str
  enable_redundancy_zones:
    description: Nomad Enterprise only.
    type: bool
  disable_upgrade_migration:
    description: Nomad Enterprise only.
    type: bool
  enable_custom_upgrades:
    description: Nomad Enterprise only.
    type: bool
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Autopilot for a 3-server StatefulSet
  edgeops.nomad.nomad_autopilot:
    cleanup_dead_servers: true
    last_contact_threshold: 200ms
    max_trailing_logs: 250
    server_stabilization_time: 10s
"""

RETURN = r"""
autopilot:
  description: The autopilot configuration after the change (before it in check mode).
  returned: success
  type: dict
  sample: {CleanupDeadServers: true, LastContactThreshold: 200ms, MaxTrailingLogs: 250, MinQuorum: 0,
           ServerStabilizationTime: 10s, CreateIndex: 5, ModifyIndex: 5}
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadStateError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

OPTIONS = {
    "cleanup_dead_servers": "CleanupDeadServers",
    "last_contact_threshold": "LastContactThreshold",
    "max_trailing_logs": "MaxTrailingLogs",
    "min_quorum": "MinQuorum",
    "server_stabilization_time": "ServerStabilizationTime",
    "enable_redundancy_zones": "EnableRedundancyZones",
    "disable_upgrade_migration": "DisableUpgradeMigration",
    "enable_custom_upgrades": "EnableCustomUpgrades",
}
DURATIONS = ("LastContactThreshold", "ServerStabilizationTime")
PATH = "/v1/operator/autopilot/configuration"


def comparable(conf):
    out = dict((k, conf.get(k)) for k in OPTIONS.values())
    for key in DURATIONS:
        if out[key] not in (None, ""):
            out[key] = duration_to_ns(out[key])
    return out


def main():
    spec = dict((opt, dict(type="bool")) for opt in ("cleanup_dead_servers", "enable_redundancy_zones",
                                                     "disable_upgrade_migration", "enable_custom_upgrades"))
    spec.update(last_contact_threshold=dict(type="str"), server_stabilization_time=dict(type="str"),
                max_trailing_logs=dict(type="int"), min_quorum=dict(type="int"))
    module = NomadModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    for opt in ("last_contact_threshold", "server_stabilization_time"):
        if p[opt] is not None:
            try:
                if duration_to_ns(p[opt]) < 0:
                    raise ValueError("must not be negative")
            except ValueError as exc:
                module.fail_json(msg="%s: %s" % (opt, exc))
    for opt in ("max_trailing_logs", "min_quorum"):
        if p[opt] is not None and p[opt] < 0:
            module.fail_json(msg="%s: must be 0 or more" % opt)
    client = module.client
    try:
        resp = client.get(PATH, namespaced=False)
        current = resp.data
        before = comparable(current)
        after = dict(before)
        for opt, key in OPTIONS.items():
            if p[opt] is not None:
                after[key] = duration_to_ns(p[opt]) if key in DURATIONS else p[opt]
        result = dict(autopilot=current)

        def write():
            body = dict((k, v) for k, v in current.items() if k not in ("CreateIndex", "ModifyIndex"))
            for opt, key in OPTIONS.items():
                if p[opt] is not None:
                    body[key] = p[opt]
            # check-and-set: retried after a 5xx, a retry after a write that did apply answers false
            ok = client.put(PATH, body=body, query={"cas": current.get("ModifyIndex", 0)}, namespaced=False).data
            if ok is not True:
                raise NomadStateError("check-and-set failed, the configuration changed meanwhile",
                                      method="PUT", path=PATH)
            result["autopilot"] = client.get(PATH, namespaced=False).data

        module.ensure(result, before, after, write=write)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
