#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_service_info
short_description: Read Nomad service registrations and, optionally, their health checks
version_added: 0.1.0
description:
  - Without O(name), lists the service names of the O(namespace) (V(*) for every namespace) with
    C(GET /v1/services).
  - With O(name), reads the registrations of that service (C(GET /v1/service/:name)), one per allocation
    instance, with node, address and port. With O(namespace=*) the module first lists the namespaces that
    have the service (Nomad looks a service name up in one namespace only).
  - Registrations carry no health. With O(checks=true) the module also reads the check results of each
    registration's allocation (C(GET /v1/client/allocation/:alloc_id/checks), answered by the node through
    the servers) and sums them up per registration in C(Health). An allocation whose node cannot be reached
    reports C(unknown) with the reason, instead of failing the task.
  - Nomad-native service discovery only (C(provider = "nomad")); Consul services are not in this API.
  - Never changes anything.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description: Service name to read registrations of.
    type: str
  tag:
    description: Only registrations (or, without O(name), services) that carry this tag.
    type: str
  checks:
    description: With O(name), also read each registration's check results (one request per allocation).
    type: bool
    default: false
  choose:
    description:
      - With O(name), let Nomad pick a stable subset of the registrations (C(<number>|<key>), rendezvous
        hashing), as a load balancer's template would.
    type: str
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: The telemetry collector's instances and their checks
  edgeops.nomad.nomad_service_info:
    namespace: edge
    name: telemetry
    checks: true
  register: telemetry

- name: Every instance must be healthy
  ansible.builtin.assert:
    that: telemetry.registrations | rejectattr('Health', 'equalto', 'passing') | list | length == 0
    fail_msg: "{{ telemetry.registrations | rejectattr('Health', 'equalto', 'passing') | map(attribute='NodeID') | list }}"

- name: Every service in every namespace
  edgeops.nomad.nomad_service_info:
    namespace: "*"
  register: all_services
"""

RETURN = r"""
services:
  description: Without O(name), the service names with their tags, one entry per namespace and name.
  returned: when O(name) is not set
  type: list
  elements: dict
  sample: [{Namespace: edge, ServiceName: telemetry, Tags: [metrics]}]
registrations:
  description:
    - With O(name), the registrations, sorted by namespace, node and ID.
    - With O(checks=true) each has C(Checks) (the check results of its service in its allocation),
      C(Health) (V(passing) when every check succeeded, V(failing) when one failed, V(pending), or
      V(unknown) when there are no checks or they could not be read) and, for V(unknown), C(ChecksError).
  returned: when O(name) is set
  type: list
  elements: dict
  sample:
    - ID: _nomad-task-8f2c...-group-telemetry-telemetry-http
      ServiceName: telemetry
      Namespace: edge
      NodeID: 5c1f7a4e-2b3c-4d5e-8f9a-0b1c2d3e4f5a
      Datacenter: factory-1
      JobID: telemetry
      AllocID: 8f2c4a1e-0d3b-4e5f-9a8b-7c6d5e4f3a2b
      Tags: [metrics]
      Address: 10.10.0.1
      Port: 9100
      CreateIndex: 1201
      ModifyIndex: 1201
      Health: passing
      Checks: [{ID: 6d1e..., Check: alive, Group: telemetry, Mode: healthiness, Output: "HTTP: 200 OK", Service: telemetry,
                Task: "", Status: success, StatusCode: 200, Timestamp: 1767225600}]
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadNotFoundError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

# api/tasks.go AllocCheckStatus.Status values (client/serviceregistration/checks: success, failure, pending)
HEALTH_ORDER = (("failure", "failing"), ("pending", "pending"))


def list_services(client, tag=None):
    """GET /v1/services flattened to one entry per namespace and service name."""
    out = []
    for entry in client.get_all("/v1/services"):
        for svc in entry.get("Services") or []:
            if tag is None or tag in (svc.get("Tags") or []):
                out.append(dict(Namespace=entry.get("Namespace"), ServiceName=svc.get("ServiceName"),
                                Tags=svc.get("Tags") or []))
    return sorted(out, key=lambda s: (s["Namespace"] or "", s["ServiceName"] or ""))


def registrations(client, name, namespace, choose):
    """GET /v1/service/:name in one namespace (Nomad's lookup is literal: '*' would match nothing,
    nomad/service_registration_endpoint.go GetService), so '*' is resolved through the list first."""
    if namespace == "*":
        namespaces = sorted(set(s["Namespace"] for s in list_services(client) if s["ServiceName"] == name))
    else:
        namespaces = [None]  # the client's own namespace setting (or Nomad's default)
    found = []
    for ns in namespaces:
        query = {"choose": choose}
        if ns is not None:
            query["namespace"] = ns
        found.extend(client.get_all(client.path("v1", "service", name), query=query))
    return found


def health_of(checks):
    statuses = set(c.get("Status") for c in checks)
    for status, health in HEALTH_ORDER:
        if status in statuses:
            return health
    return "passing" if statuses == {"success"} else "unknown"


def add_checks(client, regs):
    by_alloc = {}
    for reg in regs:
        alloc = reg.get("AllocID")
        if alloc not in by_alloc:
            try:
                by_alloc[alloc] = (client.get(client.path("v1", "client", "allocation", alloc, "checks"),
                                              namespaced=False).data or {}, None)
            except NomadNotFoundError as exc:  # node unreachable or allocation gone (command/agent/alloc_endpoint.go)
                by_alloc[alloc] = (None, "%s (the node may be down or the allocation gone)" % exc)
        results, error = by_alloc[alloc]
        if error:
            reg.update(Checks=[], Health="unknown", ChecksError=error)
            continue
        checks = sorted((c for c in results.values() if c.get("Service") == reg.get("ServiceName")),
                        key=lambda c: (c.get("Check") or "", c.get("ID") or ""))
        reg.update(Checks=checks, Health=health_of(checks) if checks else "unknown")
        if not checks:
            reg["ChecksError"] = "no checks are defined for this service in allocation %s" % alloc


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str"),
            tag=dict(type="str"),
            checks=dict(type="bool", default=False),
            choose=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if (p["checks"] or p["choose"]) and not p["name"]:
        module.fail_json(msg="checks/choose: only with name (they apply to the registrations of one service)")
    client = module.client
    result = dict(changed=False)
    try:
        if not p["name"]:
            result["services"] = list_services(client, p["tag"])
        else:
            regs = registrations(client, p["name"], p["namespace"], p["choose"])
            if p["tag"] is not None:
                regs = [r for r in regs if p["tag"] in (r.get("Tags") or [])]
            regs.sort(key=lambda r: (r.get("Namespace") or "", r.get("NodeID") or "", r.get("ID") or ""))
            if p["checks"]:
                add_checks(client, regs)
            result["registrations"] = regs
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
