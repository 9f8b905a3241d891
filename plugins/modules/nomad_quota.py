#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_quota
short_description: Manage Nomad Enterprise quota specifications
version_added: 0.1.0
description:
  - Creates, updates or deletes a quota specification (C(GET /v1/quota/:name), C(PUT /v1/quota),
    C(DELETE /v1/quota/:name)) - the limits, per region, of the namespaces whose C(Quota) names it.
  - Attaching the specification to a namespace (the namespace's C(Quota) field) is not an option of
    M(edgeops.nomad.nomad_namespace) yet.
  - B(Nomad Enterprise only.) A community-edition cluster answers every quota path with
    C(501 Nomad Enterprise only endpoint); the module's first read meets that answer and the task fails with
    a message saying so, before anything is written (in check mode too, with any token).
  - The specification is written whole (the limits given replace the stored ones). A resource left out of a
    limit has no limit; Nomad answers it as V(0), which also means unlimited, so the two are the same setting
    here. A negative value forbids the resource (C(api/quota.go)).
  - Quota specifications are replicated from the authoritative region of a federation; writes are forwarded
    there, so any region's address works.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description: Quota specification name.
    type: str
    required: true
  state:
    description: V(present) creates or updates it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Free text. Left as is when not set.
    type: str
  limits:
    description:
      - One entry per region. Required to create a specification; replaces every stored limit when set.
    type: list
    elements: dict
    suboptions:
      region:
        description: Region the limit applies to.
        type: str
        required: true
      region_limit:
        description: The limits in that region.
        type: dict
        required: true
        suboptions:
          cpu:
            description: CPU in MHz.
            type: int
          cores:
            description: Reserved CPU cores.
            type: int
          memory_mb:
            description: Memory in MB.
            type: int
          memory_max_mb:
            description: Memory oversubscription limit (C(memory_max)) in MB.
            type: int
          secrets_mb:
            description: Secrets storage in MB.
            type: int
          variables_mb:
            description: Storage for Nomad variables in MB (C(Storage.VariablesMB)).
            type: int
          host_volumes_mb:
            description: Storage for dynamic host volumes in MB (C(Storage.HostVolumesMB)).
            type: int
          devices:
            description: Device limits.
            type: list
            elements: dict
            suboptions:
              name:
                description: Device name (V(gpu), V(nvidia/gpu), V(nvidia/gpu/GTX2080Ti)).
                type: str
                required: true
              count:
                description: Number of devices.
                type: int
          node_pools:
            description: Limits per node pool inside the region (the same resource keys, and C(node_pool)).
            type: list
            elements: dict
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
notes:
  - Needs a token with C(quota:write) (C(quota:read) to only check).
  - The Enterprise server's own validation (name rules, limit rules) is not public; its refusals are shown as
    Nomad answers them.
"""

EXAMPLES = r"""
- name: Tenant limits for the edge team in two regions
  edgeops.nomad.nomad_quota:
    name: edge-team
    description: Edge team tenant
    limits:
      - region: eu-west
        region_limit:
          cpu: 8000
          memory_mb: 16384
          variables_mb: 100
          node_pools:
            - node_pool: edge-arm
              cpu: 4000
      - region: us-east
        region_limit:
          cpu: 4000
          memory_mb: 8192

- name: Remove the specification
  edgeops.nomad.nomad_quota:
    name: edge-team
    state: absent
"""

RETURN = r"""
quota:
  description: The specification as Nomad returns it after the change (as read before it in check mode or when deleted).
  returned: success
  type: dict
  sample:
    Name: edge-team
    Description: Edge team tenant
    Limits:
      - Region: eu-west
        RegionLimit: {CPU: 8000, MemoryMB: 16384, Storage: {VariablesMB: 100, HostVolumesMB: 0},
                      NodePools: [{NodePool: edge-arm, CPU: 4000}]}
        Hash: 3ZqQ0yVb2c0Q2pQ0E9u6nQ==
    CreateIndex: 140
    ModifyIndex: 152
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadInputError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_edition import enterprise_only
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

# option -> api.QuotaResources / api.NodePoolLimit field (api/quota.go); *int in the api, sent only when set
RESOURCE_INTS = (("cpu", "CPU"), ("cores", "Cores"), ("memory_mb", "MemoryMB"), ("memory_max_mb", "MemoryMaxMB"),
                 ("secrets_mb", "SecretsMB"))
POOL_KEYS = frozenset([opt for opt, dummy in RESOURCE_INTS]
                      + ["node_pool", "variables_mb", "host_volumes_mb", "devices"])


def resources(data):
    """A QuotaResources / NodePoolLimit (as Nomad answers it, or built from options) in comparable form."""
    data = data or {}
    # unset and 0 are one setting: Nomad answers an unset number as 0 (its quota API documentation's answers),
    # and 0 means unlimited (api/quota.go)
    out = dict((key, data.get(key) or 0) for dummy, key in RESOURCE_INTS)
    storage = data.get("Storage") or {}
    out["Storage"] = dict(VariablesMB=storage.get("VariablesMB") or 0, HostVolumesMB=storage.get("HostVolumesMB") or 0)
    if out["Storage"] == dict(VariablesMB=0, HostVolumesMB=0):
        out["Storage"] = None  # unset and all-zero storage both mean no storage limit
    out["Devices"] = sorted((dict(Name=d.get("Name"), Count=d.get("Count")) for d in data.get("Devices") or []),
                            key=lambda d: d["Name"]) or None
    if "NodePool" in data:
        out["NodePool"] = data["NodePool"]
    pools = data.get("NodePools")
    if pools is not None or "NodePool" not in data:
        out["NodePools"] = sorted((resources(pool) for pool in pools or []), key=lambda x: x["NodePool"]) or None
    return out


def comparable(spec):
    if spec is None:
        return None
    limits = [dict(Region=limit.get("Region"), RegionLimit=resources(limit.get("RegionLimit")))
              for limit in spec.get("Limits") or []]
    return dict(Name=spec.get("Name"), Description=spec.get("Description") or "",
                Limits=sorted(limits, key=lambda x: x["Region"]))


def from_options(opts, pool=False):
    """Module options of one region (or node pool) limit -> api field names."""
    out = dict((key, opts.get(opt)) for opt, key in RESOURCE_INTS)
    if opts.get("variables_mb") is not None or opts.get("host_volumes_mb") is not None:
        out["Storage"] = dict(VariablesMB=opts.get("variables_mb") or 0, HostVolumesMB=opts.get("host_volumes_mb") or 0)
    if opts.get("devices"):
        out["Devices"] = [dict(Name=d["name"], Count=d.get("count")) for d in opts["devices"]]
    if pool:
        out["NodePool"] = opts["node_pool"]
    elif opts.get("node_pools"):
        out["NodePools"] = [from_options(p, pool=True) for p in opts["node_pools"]]
    return out


def check_pools(limits):
    for limit in limits or []:
        for pool in limit["region_limit"].get("node_pools") or []:
            unknown = sorted(set(pool) - POOL_KEYS)
            if not pool.get("node_pool") or unknown:
                raise NomadInputError("limits: node_pools entries of region %r need node_pool and take only %s%s"
                                      % (limit["region"], ", ".join(sorted(POOL_KEYS)),
                                         " (unknown: %s)" % ", ".join(unknown) if unknown else ""))
            for key in [opt for opt, dummy in RESOURCE_INTS] + ["variables_mb", "host_volumes_mb"]:
                if pool.get(key) is not None and not isinstance(pool[key], int):
                    raise NomadInputError("limits: node pool %r in region %r: %s must be an integer"
                                          % (pool["node_pool"], limit["region"], key))


def body_of(spec):
    """api.QuotaSpec without the unset pointers (nil in Go)."""
    def clean(data):
        if isinstance(data, dict):
            return dict((k, clean(v)) for k, v in data.items() if v is not None)
        if isinstance(data, list):
            return [clean(v) for v in data]
        return data
    return clean(spec)


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"),
            limits=dict(type="list", elements="dict", options=dict(
                region=dict(type="str", required=True),
                region_limit=dict(type="dict", required=True, options=dict(
                    cpu=dict(type="int"), cores=dict(type="int"), memory_mb=dict(type="int"),
                    memory_max_mb=dict(type="int"), secrets_mb=dict(type="int", no_log=False),
                    variables_mb=dict(type="int"),
                    host_volumes_mb=dict(type="int"),
                    devices=dict(type="list", elements="dict", options=dict(
                        name=dict(type="str", required=True), count=dict(type="int"))),
                    node_pools=dict(type="list", elements="dict"),
                )),
            )),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    path = client.path("v1", "quota", p["name"])
    result = dict(quota={})
    try:
        check_pools(p["limits"])
        regions = [limit["region"] for limit in p["limits"] or []]
        if len(set(regions)) != len(regions):
            raise NomadInputError("limits: one entry per region (%s given more than once)"
                                  % ", ".join(sorted(set(r for r in regions if regions.count(r) > 1))))
        with enterprise_only("quota"):
            resp = client.get_or_none(path, namespaced=False)
        current = resp.data if resp else None
        before = comparable(current)
        result["quota"] = current or {}
        after = None
        if p["state"] == "present":
            if current is None and p["limits"] is None:
                raise NomadInputError("limits: required to create quota specification %r" % p["name"])
            after = dict(before) if before else dict(Name=p["name"], Description="", Limits=[])
            if p["description"] is not None:
                after["Description"] = p["description"]
            if p["limits"] is not None:
                after["Limits"] = comparable(dict(Limits=[dict(Region=limit["region"],
                                                               RegionLimit=from_options(limit["region_limit"]))
                                                          for limit in p["limits"]]))["Limits"]

        def write():
            # a whole-object upsert keyed by name: safe to retry (api/quota.go Quotas.Register)
            client.put("/v1/quota", body=body_of(after), namespaced=False, idempotent=True)
            result["quota"] = client.get(path, namespaced=False).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path, namespaced=False))
    except NomadAPIError as exc:
        module.fail_api(exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
