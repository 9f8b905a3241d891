#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_scheduler_config
short_description: Manage Nomad's scheduler configuration (algorithm, preemption, memory oversubscription)
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/scheduler/configuration), and when an option differs writes the B(whole)
    configuration back with C(PUT ...?cas=<ModifyIndex>).
  - Nomad replaces the whole object on every write (a field left out of the body is stored as false, 0 or
    empty), so the module always sends every field as it read it, changed only where an option is set.
    Options left unset keep their current value.
  - A check-and-set that loses a race (Nomad answers 200 with C(Updated=false), not 409) is retried once
    on a fresh read; a second lost race fails the task without writing.
  - The configuration belongs to one region and is not replicated between federated regions; run the
    task once per region (O(region)).
  - There is no C(state=absent). The configuration always exists; to return to Nomad's defaults set them
    (V(binpack), system preemption only, everything else off).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  scheduler_algorithm:
    description:
      - V(binpack) packs allocations onto as few nodes as possible, V(spread) spreads them evenly.
      - Nomad stores an empty algorithm as V(binpack); the module compares it so.
    type: str
    choices: [binpack, spread]
  memory_oversubscription_enabled:
    description:
      - Let tasks use C(memory_max) above their reserved memory (the cluster-wide switch; the per-node-pool
        override is Enterprise, see M(edgeops.nomad.nomad_node_pool)).
    type: bool
  preemption:
    description:
      - Whether each scheduler may preempt lower-priority allocations. Keys left unset keep their value.
    type: dict
    suboptions:
      system:
        description: Preemption for system jobs (on by default in Nomad).
        type: bool
      sysbatch:
        description: Preemption for sysbatch jobs.
        type: bool
      batch:
        description: Preemption for batch jobs.
        type: bool
      service:
        description: Preemption for service jobs.
        type: bool
  reject_job_registration:
    description:
      - Refuse job registration, dispatch and scaling for every token but management tokens (Nomad answers
        403 C(Job registration, dispatch, and scale are disabled by the scheduler configuration)).
    type: bool
  pause_eval_broker:
    description:
      - Pause the leader's evaluation broker. No evaluation is processed, so nothing is scheduled, until it
        is set back to V(false).
    type: bool
  node_limit_for_feasibility_checks:
    description:
      - How many feasible nodes the scheduler considers for jobs with spread or affinity. Nomad stores V(0)
        and uses 100 for it, so V(0) and V(100) are the same setting here.
    type: int
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Small edge devices - spread, memory oversubscription, preemption for service jobs too
  edgeops.nomad.nomad_scheduler_config:
    scheduler_algorithm: spread
    memory_oversubscription_enabled: true
    preemption:
      service: true

- name: Freeze scheduling during a maintenance window (the other settings stay as they are)
  edgeops.nomad.nomad_scheduler_config:
    pause_eval_broker: true

- name: Every region of a federation
  edgeops.nomad.nomad_scheduler_config:
    region: "{{ item }}"
    memory_oversubscription_enabled: true
  loop: [eu-west, us-east]
"""

RETURN = r"""
scheduler_config:
  description: The scheduler configuration after the change (as read before it in check mode).
  returned: success
  type: dict
  sample:
    SchedulerAlgorithm: spread
    PreemptionConfig: {SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false,
                       BatchSchedulerEnabled: false, ServiceSchedulerEnabled: true}
    MemoryOversubscriptionEnabled: true
    RejectJobRegistration: false
    PauseEvalBroker: false
    NodeLimitForFeasibilityChecks: 0
    CreateIndex: 5
    ModifyIndex: 312
cas_retried:
  description: True when the first check-and-set lost a race with another writer and the module wrote again.
  returned: changed
  type: bool
  sample: false
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadStateError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

PATH = "/v1/operator/scheduler/configuration"
# Nomad's value when NodeLimitForFeasibilityChecks is 0 (nomad/structs/operator.go
# DefaultNodeLimitForFeasibilityChecks, GetNodeLimitForFeasibilityChecks).
DEFAULT_NODE_LIMIT = 100
TOP = {
    "scheduler_algorithm": "SchedulerAlgorithm",
    "memory_oversubscription_enabled": "MemoryOversubscriptionEnabled",
    "reject_job_registration": "RejectJobRegistration",
    "pause_eval_broker": "PauseEvalBroker",
    "node_limit_for_feasibility_checks": "NodeLimitForFeasibilityChecks",
}
PREEMPTION = {
    "system": "SystemSchedulerEnabled",
    "sysbatch": "SysBatchSchedulerEnabled",
    "batch": "BatchSchedulerEnabled",
    "service": "ServiceSchedulerEnabled",
}
# Every field of api.SchedulerConfiguration a write carries (api/operator.go); indexes are not sent:
# only ?cas= counts (command/agent/operator_endpoint.go schedulerUpdateConfig).
WRITTEN = tuple(TOP.values()) + ("PreemptionConfig",)


def comparable(conf):
    """The settings of a SchedulerConfig as Nomad applies them ("" = binpack, limit 0 = 100)."""
    out = dict((key, conf.get(key)) for key in TOP.values())
    out["SchedulerAlgorithm"] = out["SchedulerAlgorithm"] or "binpack"
    for key in ("MemoryOversubscriptionEnabled", "RejectJobRegistration", "PauseEvalBroker"):
        out[key] = bool(out[key])
    out["NodeLimitForFeasibilityChecks"] = out["NodeLimitForFeasibilityChecks"] or DEFAULT_NODE_LIMIT
    preemption = conf.get("PreemptionConfig") or {}
    out["PreemptionConfig"] = dict((key, bool(preemption.get(key))) for key in PREEMPTION.values())
    return out


def merged(params, conf):
    """The whole configuration to write: ``conf`` as read, changed only where an option is set."""
    body = dict((key, conf.get(key)) for key in WRITTEN)
    body["PreemptionConfig"] = dict((key, bool((conf.get("PreemptionConfig") or {}).get(key)))
                                    for key in PREEMPTION.values())
    for opt, key in TOP.items():
        if params[opt] is not None:
            body[key] = params[opt]
    for opt, key in PREEMPTION.items():
        if (params["preemption"] or {}).get(opt) is not None:
            body["PreemptionConfig"][key] = params["preemption"][opt]
    for key in ("MemoryOversubscriptionEnabled", "RejectJobRegistration", "PauseEvalBroker"):
        body[key] = bool(body[key])
    body["SchedulerAlgorithm"] = body["SchedulerAlgorithm"] or ""
    body["NodeLimitForFeasibilityChecks"] = body["NodeLimitForFeasibilityChecks"] or 0
    return body


def read(client):
    return client.get(PATH, namespaced=False).data["SchedulerConfig"]


def cas_write(client, conf, params):
    """PUT the merged configuration with ?cas=<ModifyIndex of conf>; return Nomad's ``Updated``.

    A lost race is 200 with ``Updated: false`` (nomad/state/state_store.go SchedulerCASConfig), never 409.
    Retried by the client after a 5xx (the query carries cas): a retry after a write that did apply
    answers false, and the caller's fresh read then finds the wanted settings.
    """
    resp = client.put(PATH, body=merged(params, conf), query={"cas": conf.get("ModifyIndex", 0)},
                      namespaced=False)
    return bool((resp.data or {}).get("Updated"))


def main():
    module = NomadModule(
        argument_spec=dict(
            scheduler_algorithm=dict(type="str", choices=["binpack", "spread"]),
            memory_oversubscription_enabled=dict(type="bool"),
            preemption=dict(type="dict", options=dict((k, dict(type="bool")) for k in PREEMPTION)),
            reject_job_registration=dict(type="bool"),
            pause_eval_broker=dict(type="bool"),
            node_limit_for_feasibility_checks=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["node_limit_for_feasibility_checks"] is not None and p["node_limit_for_feasibility_checks"] < 0:
        module.fail_json(msg="node_limit_for_feasibility_checks: must be 0 or more (0 means Nomad's 100)")
    client = module.client
    try:
        current = read(client)
        before = comparable(current)
        after = comparable(merged(p, current))
        result = dict(scheduler_config=current)

        def write():
            conf = current
            for attempt in range(2):
                if cas_write(client, conf, p):
                    break
                # lost the race: read again; another writer may already have set what we want
                conf = read(client)
                if comparable(merged(p, conf)) == comparable(conf):
                    break
                if attempt:
                    raise NomadStateError(
                        "the scheduler configuration changed twice while this task wrote it (check-and-set "
                        "at ModifyIndex %s answered Updated=false); nothing was written, run the task again"
                        % conf.get("ModifyIndex"), method="PUT", path=PATH)
                result["cas_retried"] = True
            result.setdefault("cas_retried", False)
            result["scheduler_config"] = read(client)

        module.ensure(result, before, after, write=write)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
