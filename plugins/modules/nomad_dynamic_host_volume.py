#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_dynamic_host_volume
short_description: Create, register, update or delete a Nomad dynamic host volume
version_added: 0.1.0
description:
  - Dynamic host volumes (Nomad 1.10 or later) give a job local storage on a node without a C(host_volume)
    block in the agent configuration. O(mode=create) lets Nomad place the volume on a node (by O(node_pool)
    and O(constraints), or on O(node_id)) and has the node's host volume plugin make it; O(mode=register)
    records a directory that already exists on O(node_id) at O(host_path).
  - Nomad does not keep volume names unique - a second create of the same name makes a second volume on
    another node. The module therefore finds the volume first (C(GET /v1/volumes?type=host), exact O(name)
    in the O(namespace), narrowed by O(node_id) and O(node_pool) when given) and sends the existing volume's
    C(ID) with an update. More than one match is refused; give O(node_id) to pick one.
  - Writes with C(PUT /v1/volume/host/create) or C(PUT /v1/volume/host/register), then with O(wait=true)
    reads C(GET /v1/volume/host/:id) until the volume is C(ready). Deletes with C(DELETE /v1/volume/host/:id).
  - Only the options that are set are compared, so a second run with the same options changes nothing.
    An update makes Nomad run the plugin again and the volume is C(pending) until the node reports it.
  - One task manages one volume. For a volume of the same name on every node of a pool, loop over the
    node IDs (from M(edgeops.nomad.nomad_node_info)) with O(node_id).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description: Volume name, what a job's C(volume) block asks for with C(source).
    type: str
    required: true
  state:
    description:
      - V(present) creates, registers or updates the volume; V(absent) deletes it. Deleting a volume made by
        a plugin makes the plugin delete it on the node (the built-in V(mkdir) plugin removes the directory
        and its data); a registered volume's directory stays.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - V(create) - Nomad places the volume and the node's plugin (O(plugin_id)) makes it.
      - V(register) - a directory that already exists on O(node_id) at O(host_path); no plugin runs.
    type: str
    choices: [create, register]
    default: create
  plugin_id:
    description:
      - Host volume plugin on the node. V(mkdir) is the plugin built into every Nomad client (a directory
        under the client's C(host_volumes_dir), capacity not enforced); others are executables in the
        client's C(host_volume_plugin_dir).
      - Required with O(mode=create) - Nomad would store an omitted plugin as V(default), which no client
        has unless an executable of that name exists, so the volume could not be placed.
      - Cannot change on an existing volume (the module refuses; delete it first).
    type: str
  node_id:
    description:
      - Node for the volume (a full node ID). Required with O(mode=register).
      - With O(mode=create) optional; Nomad then picks the first feasible node of O(node_pool) (or of all
        nodes) that has no volume of this name yet.
      - Also narrows which existing volume the task manages.
    type: str
  node_pool:
    description:
      - Node pool to place the volume in (O(mode=create) without O(node_id)). Also narrows which existing
        volume the task manages. Cannot change on an existing volume.
    type: str
  constraints:
    description:
      - Placement constraints, evaluated only when the volume is created (Nomad keeps the constraints it
        was placed with and ignores changed ones on an update, so the module refuses a change).
      - C(distinct_hosts) and C(distinct_property) are refused by Nomad (volumes of the same name are always
        on distinct hosts).
    type: list
    elements: dict
    suboptions:
      attribute:
        description: Left side, for example V(${attr.kernel.name}) or V(${meta.storage}).
        type: str
        required: true
      operator:
        description: Constraint operator, as in a job's C(constraint) block.
        type: str
        default: "="
      value:
        description: Right side.
        type: str
        default: ""
  capacity_min:
    description:
      - Smallest acceptable size, as bytes or with a unit (V(500MB) = 500 * 1000^2, V(10GiB) = 10 * 1024^3,
        as Nomad's CLI reads them). The V(mkdir) plugin ignores capacity.
      - Nomad refuses a minimum without a O(capacity_max) at least as large.
    type: str
  capacity_max:
    description: Largest acceptable size (same units). Must not be smaller than O(capacity_min).
    type: str
  capacity:
    description:
      - With O(mode=register), the size of the existing directory to record (same units).
    type: str
  host_path:
    description:
      - With O(mode=register), the directory on O(node_id). Required then. Ignored with O(mode=create) (the
        plugin chooses it).
    type: path
  capabilities:
    description:
      - Attachment and access modes jobs may use. Nomad defaults to one capability V(file-system) +
        V(single-node-writer). Compared as a set.
    type: list
    elements: dict
    suboptions:
      attachment_mode:
        description: How the volume is presented to the task.
        type: str
        choices: [file-system, block-device]
        default: file-system
      access_mode:
        description: How many allocations may use it and how.
        type: str
        choices: [single-node-reader-only, single-node-writer, single-node-single-writer, single-node-multi-writer]
        default: single-node-writer
  parameters:
    description:
      - Plugin parameters (strings). The V(mkdir) plugin knows V(mode) (octal, default V(0700)), V(uid) and
        V(gid); any other key makes it fail.
    type: dict
  policy_override:
    description: Override a soft-mandatory Sentinel policy (Enterprise; needs the C(sentinel-override) capability).
    type: bool
    default: false
  wait:
    description:
      - After a write, and when an unchanged volume is still C(pending), wait until Nomad reports it C(ready).
        C(unavailable) fails the task.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(ready).
    type: int
    default: 120
  force:
    description:
      - With O(state=absent), remove the volume from Nomad even when its node is gone (C(?force=true)).
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
notes:
  - Needs the namespace capabilities C(host-volume-create) (O(mode=create)), C(host-volume-register)
    (O(mode=register)) or C(host-volume-delete) (O(state=absent)), or C(host-volume-write) for all three.
"""

EXAMPLES = r"""
- name: A 10 GiB scratch directory on one edge-arm node, owned by uid 1000
  edgeops.nomad.nomad_dynamic_host_volume:
    name: scratch
    namespace: edge
    plugin_id: mkdir
    node_pool: edge-arm
    constraints:
      - attribute: "${meta.storage}"
        value: ssd
    capacity_min: 10GiB
    parameters:
      mode: "0750"
      uid: "1000"
  register: scratch

- name: Register a directory the client already has
  edgeops.nomad.nomad_dynamic_host_volume:
    name: camera-archive
    mode: register
    node_id: "{{ scratch.volume.NodeID }}"
    host_path: /srv/camera
    capacity: 200GB

- name: Ready nodes of the edge-arm pool
  edgeops.nomad.nomad_node_info:
    node_pool: edge-arm
    status: ready
  register: arm_nodes

- name: A volume named cache on each of them
  edgeops.nomad.nomad_dynamic_host_volume:
    name: cache
    plugin_id: mkdir
    node_id: "{{ item.ID }}"
  loop: "{{ arm_nodes.nodes }}"
  loop_control:
    label: "{{ item.Name }}"

- name: Delete it (the mkdir plugin removes the directory and its data)
  edgeops.nomad.nomad_dynamic_host_volume:
    name: scratch
    namespace: edge
    state: absent
"""

RETURN = r"""
volume:
  description: The volume as Nomad returns it after the change (as read before it in check mode or when deleted).
  returned: success
  type: dict
  sample:
    ID: 0f9d3c1e-5b2a-4c1d-9e8f-7a6b5c4d3e2f
    Name: scratch
    Namespace: edge
    PluginID: mkdir
    NodePool: edge-arm
    NodeID: 5c1f7a4e-2b3c-4d5e-8f9a-0b1c2d3e4f5a
    Constraints: [{LTarget: "${meta.storage}", RTarget: ssd, Operand: "="}]
    RequestedCapacityMinBytes: 10737418240
    RequestedCapacityMaxBytes: 0
    CapacityBytes: 0
    RequestedCapabilities: [{AttachmentMode: file-system, AccessMode: single-node-writer}]
    Parameters: {mode: "0750", uid: "1000"}
    HostPath: /var/lib/nomad/host_volumes/0f9d3c1e-5b2a-4c1d-9e8f-7a6b5c4d3e2f
    State: ready
    CreateIndex: 812
    ModifyIndex: 815
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadInputError,
    NomadStateError,
    poll,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule, size_to_bytes

# Constraint.Validate: operators that need a right-hand side
NEEDS_VALUE = frozenset(("=", "==", "is", "!=", "not", "<", "<=", ">", ">=", "set_contains", "set_contains_all",
                         "set_contains_any"))
DEFAULT_CAPABILITY = {"AttachmentMode": "file-system", "AccessMode": "single-node-writer"}
# nomad/structs/host_volumes.go HostVolumeState*
READY = "ready"
UNAVAILABLE = "unavailable"


def volume_path(client, vol_id):
    return client.path("v1", "volume", "host", vol_id)


def find(client, p):
    """Every volume stub of exactly this name in the namespace (narrowed by node and pool when given).

    Nomad's list filters by name *prefix* (``prefix`` matches Name or ID: command/agent/volumes_endpoint.go
    ListVolumesRequest, nomad/host_volume_endpoint.go List), so the exact name is checked here.
    """
    query = {"type": "host", "prefix": p["name"], "node_id": p["node_id"], "node_pool": p["node_pool"]}
    stubs = client.get_all("/v1/volumes", query=query)
    return [s for s in stubs if s.get("Name") == p["name"]]


def capabilities(items):
    """A capability list as a comparable sorted list of dicts."""
    return sorted((dict(AttachmentMode=c.get("AttachmentMode"), AccessMode=c.get("AccessMode")) for c in items or []),
                  key=lambda c: (c["AttachmentMode"], c["AccessMode"]))


def constraints(items):
    return [dict(LTarget=c.get("LTarget", ""), RTarget=c.get("RTarget", ""), Operand=c.get("Operand", ""))
            for c in items or []]


def comparable(vol, mode):
    """The fields the module manages, as Nomad stores them."""
    if vol is None:
        return None
    out = dict(
        Name=vol.get("Name"), Namespace=vol.get("Namespace"), PluginID=vol.get("PluginID") or "",
        NodeID=vol.get("NodeID") or "", NodePool=vol.get("NodePool") or "",
        Constraints=constraints(vol.get("Constraints")),
        RequestedCapacityMinBytes=vol.get("RequestedCapacityMinBytes") or 0,
        RequestedCapacityMaxBytes=vol.get("RequestedCapacityMaxBytes") or 0,
        RequestedCapabilities=capabilities(vol.get("RequestedCapabilities")),
        Parameters=dict(vol.get("Parameters") or {}),
    )
    if mode == "register":
        out.update(HostPath=vol.get("HostPath") or "", CapacityBytes=vol.get("CapacityBytes") or 0)
    return out


def wanted_fields(p):
    """The options the user set, as Nomad's field names and values (sizes in bytes)."""
    out = {}
    if p["plugin_id"] is not None:
        out["PluginID"] = p["plugin_id"]
    if p["node_id"] is not None:
        out["NodeID"] = p["node_id"]
    if p["node_pool"] is not None:
        out["NodePool"] = p["node_pool"]
    if p["constraints"] is not None:
        out["Constraints"] = [dict(LTarget=c["attribute"], RTarget=c["value"], Operand=c["operator"])
                              for c in p["constraints"]]
    for opt, key in (("capacity_min", "RequestedCapacityMinBytes"), ("capacity_max", "RequestedCapacityMaxBytes")):
        if p[opt] is not None:
            out[key] = size_to_bytes(p[opt])
    if p["capabilities"] is not None:
        out["RequestedCapabilities"] = capabilities(
            [dict(AttachmentMode=c["attachment_mode"], AccessMode=c["access_mode"]) for c in p["capabilities"]])
    if p["parameters"] is not None:
        out["Parameters"] = dict((str(k), str(v)) for k, v in p["parameters"].items())
    if p["mode"] == "register":
        if p["host_path"] is not None:
            out["HostPath"] = p["host_path"]
        if p["capacity"] is not None:
            out["CapacityBytes"] = size_to_bytes(p["capacity"])
    return out


def refuse_immutable(before, wanted, vol_id):
    """Fields Nomad will not change on an existing volume (nomad/structs/host_volumes.go ValidateUpdate:
    node ID and node pool; CanonicalizeForCreate/ForRegister: constraints are replaced by the stored ones,
    silently); a changed plugin would make Nomad run another plugin on the existing volume."""
    for opt, key in (("plugin_id", "PluginID"), ("node_pool", "NodePool"), ("node_id", "NodeID"),
                     ("constraints", "Constraints")):
        if key in wanted and wanted[key] != before[key]:
            raise NomadInputError("%s: volume %s has %s %r; Nomad cannot change it on an existing volume, delete the "
                                  "volume (state=absent) and create it again" % (opt, vol_id, key, before[key]))


def desired(p, before, wanted):
    if before is not None:
        after = dict(before)
        after.update(wanted)
        return after
    after = dict(Name=p["name"], Namespace=p["namespace"] or "default", PluginID="", NodeID="", NodePool="",
                 Constraints=[], RequestedCapacityMinBytes=0, RequestedCapacityMaxBytes=0,
                 RequestedCapabilities=[dict(DEFAULT_CAPABILITY)], Parameters={})
    if p["mode"] == "register":
        after.update(HostPath="", CapacityBytes=0)
    after.update(wanted)
    return after


def body_of(p, after, current):
    """The api.HostVolume to send: the whole volume (an update carries the existing ID)."""
    vol = dict(Name=after["Name"], PluginID=after["PluginID"], NodePool=after["NodePool"], NodeID=after["NodeID"],
               RequestedCapacityMinBytes=after["RequestedCapacityMinBytes"],
               RequestedCapacityMaxBytes=after["RequestedCapacityMaxBytes"],
               RequestedCapabilities=after["RequestedCapabilities"])
    if p["namespace"]:
        vol["Namespace"] = p["namespace"]
    if after["Constraints"]:
        vol["Constraints"] = after["Constraints"]
    if after["Parameters"]:
        vol["Parameters"] = after["Parameters"]
    if p["mode"] == "register":
        vol.update(HostPath=after["HostPath"], CapacityBytes=after["CapacityBytes"])
    if current is not None:
        vol["ID"] = current["ID"]
    return {"Volume": vol, "PolicyOverride": p["policy_override"]}


def wait_ready(client, vol, timeout):
    """Read the volume until it is ready (blocking queries on its index, as Nomad's CLI does in
    command/volume_create_host.go monitorHostVolume); unavailable is a failure."""
    path = volume_path(client, vol["ID"])
    last = {"index": vol.get("ModifyIndex")}

    def fetch():
        resp = client.get(path, query={"index": last["index"], "wait": "5s"})
        last["index"] = resp.index or last["index"]
        return resp.data

    def done(current):
        if current.get("State") == UNAVAILABLE:
            raise NomadStateError("volume %s (%s) is unavailable on node %s: the node is down or no longer reports it"
                                  % (current.get("Name"), current.get("ID"), current.get("NodeID")),
                                  details={"volume": current})
        return current.get("State") == READY

    return poll(fetch, done, timeout,
                lambda v: "volume %s (%s) still %s" % (v.get("Name"), v.get("ID"), v.get("State") or "pending"))


def check_input(module):
    p = module.params
    if p["namespace"] == "*":
        module.fail_json(msg="namespace: a volume lives in one namespace, '*' only works for "
                             "edgeops.nomad.nomad_dynamic_host_volume_info")
    if p["state"] == "absent":
        return
    if p["mode"] == "create" and not p["plugin_id"]:
        module.fail_json(msg="plugin_id: required with mode=create (the plugin built into every Nomad client is "
                             "mkdir; Nomad stores an empty plugin as 'default', which no node has)")
    if p["mode"] == "register":
        missing = [opt for opt in ("node_id", "host_path") if not p[opt]]
        if missing:
            module.fail_json(msg="%s: required with mode=register (Nomad: cannot register volume: node ID is "
                                 "required / host path is required)" % ", ".join(missing))
    elif p["host_path"] is not None or p["capacity"] is not None:
        module.fail_json(msg="host_path/capacity: only with mode=register (with mode=create the plugin sets them)")
    sizes = {}
    for opt in ("capacity_min", "capacity_max", "capacity"):
        if p[opt] is not None:
            try:
                sizes[opt] = size_to_bytes(p[opt])
            except ValueError as exc:
                module.fail_json(msg="%s: %s" % (opt, exc))
    for c in p["constraints"] or []:
        # nomad/structs/structs.go Constraint.Validate, and HostVolume.Validate for the distinct operators
        if c["operator"] in ("distinct_hosts", "distinct_property"):
            module.fail_json(msg="constraints: %s is refused by Nomad (host volumes of the same name are always on "
                                 "distinct hosts)" % c["operator"])
        if c["operator"] in NEEDS_VALUE and not c["value"]:
            module.fail_json(msg="constraints: operator %r on %s needs a value (Nomad: Operator \"%s\" requires an "
                                 "RTarget)" % (c["operator"], c["attribute"], c["operator"]))
        if c["operator"] in ("is_set", "is_not_set") and c["value"]:
            module.fail_json(msg="constraints: operator %r on %s takes no value" % (c["operator"], c["attribute"]))
    if p["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout: must be 1 or more seconds")


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            mode=dict(type="str", default="create", choices=["create", "register"]),
            plugin_id=dict(type="str"),
            node_id=dict(type="str"),
            node_pool=dict(type="str"),
            constraints=dict(type="list", elements="dict", options=dict(
                attribute=dict(type="str", required=True),
                operator=dict(type="str", default="="),
                value=dict(type="str", default=""),
            )),
            capacity_min=dict(type="str"),
            capacity_max=dict(type="str"),
            capacity=dict(type="str"),
            host_path=dict(type="path"),
            capabilities=dict(type="list", elements="dict", options=dict(
                attachment_mode=dict(type="str", default="file-system", choices=["file-system", "block-device"]),
                access_mode=dict(type="str", default="single-node-writer",
                                 choices=["single-node-reader-only", "single-node-writer",
                                          "single-node-single-writer", "single-node-multi-writer"]),
            )),
            parameters=dict(type="dict"),
            policy_override=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=120),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    check_input(module)
    p = module.params
    client = module.client
    result = dict(volume={})
    try:
        matches = find(client, p)
        if len(matches) > 1:
            raise NomadStateError(
                "name: %d volumes named %r in namespace %r (%s); set node_id to pick one"
                % (len(matches), p["name"], p["namespace"] or "default",
                   ", ".join("%s on node %s" % (m["ID"], m.get("NodeID")) for m in matches)))
        current = client.get(volume_path(client, matches[0]["ID"])).data if matches else None
        before = comparable(current, p["mode"])
        result["volume"] = current or {}
        if p["state"] == "absent":
            after = None
        else:
            wanted = wanted_fields(p)
            if before is not None:
                refuse_immutable(before, wanted, current["ID"])
            after = desired(p, before, wanted)
            # nomad/structs/host_volumes.go HostVolume.Validate compares the two whatever is set: a minimum
            # without a maximum (0) is refused
            if after["RequestedCapacityMaxBytes"] < after["RequestedCapacityMinBytes"]:
                raise NomadInputError("capacity_max: %d bytes is less than capacity_min %d bytes; Nomad refuses a "
                                      "minimum without a maximum at least as large (capacity_max (%d) must be larger "
                                      "than capacity_min (%d))" % ((after["RequestedCapacityMaxBytes"],
                                                                    after["RequestedCapacityMinBytes"]) * 2))

        def write():
            kind = "register" if p["mode"] == "register" else "create"
            # an update carries the ID (same volume however often it is sent); a new volume does not, so a
            # retry after a lost answer could make a second volume: never retried
            resp = client.put(client.path("v1", "volume", "host", kind), body=body_of(p, after, current),
                              idempotent=current is not None)
            data = resp.data or {}
            if data.get("Warnings"):
                module.warn("Nomad: %s" % data["Warnings"])
            result["volume"] = data.get("Volume") or {}
            return result["volume"]

        def delete():
            client.delete(volume_path(client, current["ID"]), query={"force": True if p["force"] else None})

        written = module.ensure(result, before, after, write=write, delete=delete)
        ready_check = written or (current if after is not None and not module.check_mode else None)
        if p["wait"] and ready_check and ready_check.get("State") != READY:
            result["volume"] = wait_ready(client, ready_check, p["wait_timeout"])
    except NomadAPIError as exc:
        module.fail_api(exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
