#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_csi_volume
short_description: Register, create, update or deregister a Nomad CSI volume
version_added: 0.1.0
description:
  - For sites that run a CSI plugin. O(mode=register) records a volume that already exists in the storage
    provider (C(PUT /v1/volume/csi/:id)); O(mode=create) has the plugin's controller create it and then
    registers it (C(PUT /v1/volume/csi/:id/create)). Either call on an existing ID updates the volume.
  - The volume is found by O(id) in the O(namespace) (C(GET /v1/volume/csi/:id)).
  - B(What absent means.) O(state=absent) B(deregisters) the volume (C(DELETE /v1/volume/csi/:id)) - Nomad
    forgets it, the storage and its data stay in the provider and can be registered again. Deleting the
    storage itself is a separate, explicit choice, O(delete_from_provider=true)
    (C(DELETE /v1/volume/csi/:id/delete)), because it destroys the data.
  - Nomad never answers with a volume's secrets and answers non-empty mount flags as C([REDACTED]), so
    the module cannot compare them; O(force_update=true) sends the volume even when nothing it can compare
    changed (to rotate secrets).
  - B(An update replaces the stored secrets and mount options) with what the task sends (Nomad's
    C(CSIVolume.Merge)). Give O(secrets) on every run that may update a volume that has secrets; the module
    refuses to update a volume whose mount flags it cannot see unless O(mount_options.mount_flags) is given.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  id:
    description: Nomad's ID of the volume (what a job's C(volume) block names in C(source)).
    type: str
    required: true
  name:
    description:
      - Display name; with O(mode=create) the name the provider gets. Defaults to O(id) for a new volume.
        Cannot change.
    type: str
  state:
    description:
      - V(present) registers or creates the volume, or updates it; V(absent) deregisters it (see
        O(delete_from_provider)). A missing volume is fine for V(absent).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - V(register) - the volume exists in the provider (O(external_id) required for a new volume).
      - V(create) - the controller plugin creates it (needs a plugin with a healthy controller that can create
        volumes).
    type: str
    choices: [register, create]
    default: register
  plugin_id:
    description: ID of the CSI plugin (as the plugin job registers it). Required for a new volume. Cannot change.
    type: str
  external_id:
    description: The provider's ID of the volume (O(mode=register) only). Required for a new volume. Cannot change.
    type: str
  capabilities:
    description:
      - Access and attachment modes jobs may claim the volume with. At least one for a new volume; compared as a set.
    type: list
    elements: dict
    suboptions:
      access_mode:
        description: How allocations share the volume.
        type: str
        required: true
        choices: [single-node-reader-only, single-node-writer, multi-node-reader-only, multi-node-single-writer,
                  multi-node-multi-writer]
      attachment_mode:
        description: File system or raw block device.
        type: str
        required: true
        choices: [file-system, block-device]
  capacity_min:
    description:
      - Smallest size, bytes or with a unit (V(10GiB) = 10 * 1024^3, V(10GB) = 10 * 1000^3). A larger value
        than the current capacity makes Nomad expand the volume (when the plugin can).
    type: str
  capacity_max:
    description: Largest size, same units. Nomad refuses a value below the current capacity.
    type: str
  mount_options:
    description: Default mount options for jobs that do not set their own.
    type: dict
    suboptions:
      fs_type:
        description: File system type, for example V(ext4).
        type: str
      mount_flags:
        description: Mount flags. Nomad never shows them again (C([REDACTED])), so they are not compared.
        type: list
        elements: str
  secrets:
    description:
      - Secrets the plugin gets with every call for this volume. Never shown, never compared (see O(force_update)).
      - With O(state=absent) and O(delete_from_provider=true), sent in the C(X-Nomad-CSI-Secrets) header, which
        Nomad splits at commas and at the first C(=), so keys and values must not contain commas.
    type: dict
  parameters:
    description: Plugin parameters (strings). Cannot change on an existing volume.
    type: dict
  context:
    description: Plugin context (strings) for O(mode=register) (the provider's own attributes of the volume).
    type: dict
  topology_request:
    description: Where the volume must (C(required)) or should (C(preferred)) be accessible from.
    type: dict
    suboptions:
      required:
        description: A list of topology segments, each a dict of segment keys and values (for example C(rack) and C(zone)).
        type: list
        elements: dict
      preferred:
        description: A list of topology segments, in order of preference.
        type: list
        elements: dict
  snapshot_id:
    description: O(mode=create) from this snapshot. Only one of O(snapshot_id) and O(clone_id). Cannot change.
    type: str
  clone_id:
    description: O(mode=create) as a clone of this volume. Cannot change.
    type: str
  policy_override:
    description: Override a soft-mandatory Sentinel policy (Enterprise; needs the C(sentinel-override) capability).
    type: bool
    default: false
  force_update:
    description: Send the volume even when nothing the module can compare differs (new O(secrets) or mount flags).
    type: bool
    default: false
  force:
    description: With O(state=absent), deregister even when Nomad still counts claims on the volume (C(?force=true)).
    type: bool
    default: false
  delete_from_provider:
    description:
      - With O(state=absent), B(delete the volume and its data in the storage provider), then deregister it
        (C(DELETE /v1/volume/csi/:id/delete), with O(secrets)). Needs a controller plugin that can delete.
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
notes:
  - Needs C(plugin:read) and the namespace capability C(csi-write-volume) (a namespace C(write) policy has it).
  - Before writing, the module reads the plugin (C(GET /v1/plugin/csi/:plugin_id)) and stops when it is not
    registered or, when it needs a controller, has no healthy one - the checks Nomad makes.
"""

EXAMPLES = r"""
- name: Register an existing EBS volume for the database
  edgeops.nomad.nomad_csi_volume:
    id: database
    namespace: edge
    plugin_id: aws-ebs0
    external_id: vol-0b756b75620d63af5
    capabilities:
      - access_mode: single-node-writer
        attachment_mode: file-system
    mount_options:
      fs_type: ext4

- name: Have the controller create a 20 GiB volume
  edgeops.nomad.nomad_csi_volume:
    id: media
    mode: create
    plugin_id: hostpath-plugin0
    capacity_min: 20GiB
    capacity_max: 40GiB
    capabilities:
      - access_mode: single-node-writer
        attachment_mode: file-system
    secrets: "{{ csi_secrets }}"

- name: Forget the volume in Nomad, keep the data in the provider
  edgeops.nomad.nomad_csi_volume:
    id: database
    namespace: edge
    state: absent

- name: Delete the volume and its data in the provider
  edgeops.nomad.nomad_csi_volume:
    id: media
    state: absent
    delete_from_provider: true
    secrets: "{{ csi_secrets }}"
"""

RETURN = r"""
volume:
  description:
    - The volume as Nomad returns it after the change (as read before it in check mode or when removed).
      C(Secrets) is always null and non-empty C(MountOptions.MountFlags) is C([REDACTED]).
  returned: success
  type: dict
  sample:
    ID: database
    Name: database
    ExternalID: vol-0b756b75620d63af5
    Namespace: edge
    PluginID: aws-ebs0
    Provider: ebs.csi.aws.com
    RequestedCapabilities: [{AccessMode: single-node-writer, AttachmentMode: file-system}]
    RequestedCapacityMin: 0
    RequestedCapacityMax: 0
    Capacity: 0
    MountOptions: {FSType: ext4, MountFlags: null}
    Secrets: null
    Parameters: {}
    Context: {}
    Schedulable: true
    CreateIndex: 1042
    ModifyIndex: 1042
removed:
  description: With O(state=absent), what was done - V(deregistered), V(deleted) (from the provider too) or V(none).
  returned: when O(state=absent)
  type: str
  sample: deregistered
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadInputError,
    NomadStateError,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule, size_to_bytes

REDACTED = "[REDACTED]"  # nomad/structs/csi.go CSIVolume.Sanitize
# Fields Nomad refuses to change (nomad/structs/csi.go CSIVolume.Merge): option -> field, Nomad's text.
IMMUTABLE = (
    ("name", "Name", "volume name cannot be updated"),
    ("external_id", "ExternalID", "volume external ID cannot be updated"),
    ("plugin_id", "PluginID", "volume plugin ID cannot be updated"),
    ("clone_id", "CloneID", "volume clone ID cannot be updated"),
    ("snapshot_id", "SnapshotID", "volume snapshot ID cannot be updated"),
    ("parameters", "Parameters", "volume parameters cannot be updated"),
)


def capabilities(items):
    return sorted((dict(AccessMode=c.get("AccessMode"), AttachmentMode=c.get("AttachmentMode")) for c in items or []),
                  key=lambda c: (c["AccessMode"], c["AttachmentMode"]))


def topology(req):
    if not req:
        return None
    out = {}
    for key in ("Required", "Preferred"):
        items = [dict((str(k), str(v)) for k, v in ((t or {}).get("Segments") or {}).items()) for t in req.get(key) or []]
        out[key] = items
    return out if (out["Required"] or out["Preferred"]) else None


def comparable(vol):
    """What the module compares: the user-settable fields Nomad answers with (no secrets, no mount flags)."""
    if vol is None:
        return None
    mount = vol.get("MountOptions") or {}
    return dict(
        ID=vol.get("ID"), Name=vol.get("Name") or "", ExternalID=vol.get("ExternalID") or "",
        PluginID=vol.get("PluginID") or "",
        RequestedCapabilities=capabilities(vol.get("RequestedCapabilities")),
        RequestedCapacityMin=vol.get("RequestedCapacityMin") or 0,
        RequestedCapacityMax=vol.get("RequestedCapacityMax") or 0,
        FSType=mount.get("FSType") or "",
        Parameters=dict(vol.get("Parameters") or {}), Context=dict(vol.get("Context") or {}),
        RequestedTopologies=topology(vol.get("RequestedTopologies")),
        SnapshotID=vol.get("SnapshotID") or "", CloneID=vol.get("CloneID") or "",
    )


def wanted_fields(p):
    out = {}
    for opt, key in (("name", "Name"), ("external_id", "ExternalID"), ("plugin_id", "PluginID"),
                     ("snapshot_id", "SnapshotID"), ("clone_id", "CloneID")):
        if p[opt] is not None:
            out[key] = p[opt]
    if p["capabilities"] is not None:
        out["RequestedCapabilities"] = capabilities(
            [dict(AccessMode=c["access_mode"], AttachmentMode=c["attachment_mode"]) for c in p["capabilities"]])
    for opt, key in (("capacity_min", "RequestedCapacityMin"), ("capacity_max", "RequestedCapacityMax")):
        if p[opt] is not None:
            out[key] = size_to_bytes(p[opt])
    if p["mount_options"] is not None and p["mount_options"].get("fs_type") is not None:
        out["FSType"] = p["mount_options"]["fs_type"]
    # empty parameters or context change nothing on an update (nomad/structs/csi.go CSIVolume.Merge looks at
    # them only when they are non-empty), so they are not compared either
    for opt, key in (("parameters", "Parameters"), ("context", "Context")):
        if p[opt]:
            out[key] = dict((str(k), str(v)) for k, v in p[opt].items())
    if p["topology_request"] is not None:
        req = p["topology_request"]
        out["RequestedTopologies"] = topology(dict(
            Required=[{"Segments": s} for s in req.get("required") or []],
            Preferred=[{"Segments": s} for s in req.get("preferred") or []]))
    return out


def refuse(p, current, before, wanted):
    """Nomad's refusals of an update, before any write, with the option to fix first."""
    for opt, key, text in IMMUTABLE:
        if key in wanted and wanted[key] != before[key]:
            raise NomadInputError("%s: volume %s has %s %r; Nomad refuses the change (%s)"
                                  % (opt, current["ID"], key, before[key], text))


def refuse_blind_update(p, current):
    """An update replaces the stored mount options (CSIVolume.Merge), but Nomad answers the flags redacted:
    writing without the user's flags would drop them."""
    flags = (current.get("MountOptions") or {}).get("MountFlags") or []
    if flags and ((p["mount_options"] or {}).get("mount_flags") is None):
        raise NomadInputError("mount_options: volume %s has mount flags Nomad does not show (%s); an update replaces "
                              "them, so give mount_options.mount_flags" % (current["ID"], REDACTED))


def new_volume_input(p, wanted):
    missing = []
    if "PluginID" not in wanted:
        missing.append("plugin_id")
    if not wanted.get("RequestedCapabilities"):
        missing.append("capabilities")
    if p["mode"] == "register" and not wanted.get("ExternalID"):
        missing.append("external_id")
    if missing:
        raise NomadInputError("%s: required for a new volume (Nomad: validation: missing plugin id / must include "
                              "at least one capability block; register needs the provider's volume ID)"
                              % ", ".join(missing))


def body_of(p, current, after):
    """The api.CSIVolume to send: every user-settable field (an update replaces secrets and mount options)."""
    vol = dict(ID=p["id"], Name=after["Name"], PluginID=after["PluginID"],
               RequestedCapabilities=after["RequestedCapabilities"],
               RequestedCapacityMin=after["RequestedCapacityMin"], RequestedCapacityMax=after["RequestedCapacityMax"])
    if p["namespace"]:
        vol["Namespace"] = p["namespace"]
    if p["mode"] == "register" or after["ExternalID"]:
        vol["ExternalID"] = after["ExternalID"]
    mount = dict((current or {}).get("MountOptions") or {})
    mount["FSType"] = after["FSType"]
    if p["mount_options"] is not None and p["mount_options"].get("mount_flags") is not None:
        mount["MountFlags"] = p["mount_options"]["mount_flags"]
    mount["MountFlags"] = [f for f in mount.get("MountFlags") or [] if f != REDACTED] or None
    if mount["FSType"] or mount["MountFlags"]:
        vol["MountOptions"] = dict(FSType=mount["FSType"], MountFlags=mount["MountFlags"])
    if p["secrets"]:
        vol["Secrets"] = dict((str(k), str(v)) for k, v in p["secrets"].items())
    for key in ("Parameters", "Context"):
        if after[key]:
            vol[key] = after[key]
    if after["RequestedTopologies"]:
        vol["RequestedTopologies"] = dict(
            (k, [{"Segments": s} for s in after["RequestedTopologies"][k]] or None)
            for k in ("Required", "Preferred"))
    for key in ("SnapshotID", "CloneID"):
        if after[key]:
            vol[key] = after[key]
    return {"Volumes": [vol], "PolicyOverride": p["policy_override"]}


def check_plugin(client, p, plugin_id):
    """The plugin checks Nomad makes (nomad/csi_endpoint.go pluginValidateVolume; create: CSIVolume.Create)."""
    resp = client.get_or_none(client.path("v1", "plugin", "csi", plugin_id), namespaced=False)
    if resp is None:
        raise NomadStateError("plugin_id: no CSI plugin named: %s could be found (GET /v1/plugin/csi/%s answered 404); "
                              "is the plugin job running?" % (plugin_id, plugin_id))
    plugin = resp.data or {}
    if plugin.get("ControllerRequired") and (plugin.get("ControllersHealthy") or 0) < 1:
        raise NomadStateError("plugin_id: no healthy controllers for CSI plugin: %s" % plugin_id)
    if p["mode"] == "create" and not plugin.get("ControllerRequired"):
        raise NomadStateError("plugin_id: %s has no controller, which mode=create needs (Nomad: plugin has no "
                              "controller)" % plugin_id)


def check_input(module):
    p = module.params
    if p["namespace"] == "*":
        module.fail_json(msg="namespace: a volume lives in one namespace, '*' only works for "
                             "edgeops.nomad.nomad_csi_volume_info")
    for opt in ("capacity_min", "capacity_max"):
        if p[opt] is not None:
            try:
                size_to_bytes(p[opt])
            except ValueError as exc:
                module.fail_json(msg="%s: %s" % (opt, exc))
    if p["capacity_min"] and p["capacity_max"] and size_to_bytes(p["capacity_max"]) and \
            size_to_bytes(p["capacity_max"]) < size_to_bytes(p["capacity_min"]):
        module.fail_json(msg="capacity_max: smaller than capacity_min (Nomad: max requested capacity less than or "
                             "equal to min)")
    if p["mode"] == "create" and (p["external_id"] is not None or p["context"] is not None):
        module.fail_json(msg="external_id/context: only with mode=register (with mode=create the provider sets them)")
    if p["mode"] == "register" and (p["snapshot_id"] or p["clone_id"]):
        module.fail_json(msg="snapshot_id/clone_id: only with mode=create")
    if p["snapshot_id"] and p["clone_id"]:
        module.fail_json(msg="snapshot_id/clone_id: only one of snapshot_id and clone_id is allowed")
    if p["delete_from_provider"] and p["state"] != "absent":
        module.fail_json(msg="delete_from_provider: only with state=absent")
    if p["state"] == "absent" and p["delete_from_provider"]:
        bad = [k for k, v in (p["secrets"] or {}).items() if "," in str(k) or "," in str(v) or "=" in str(k)]
        if bad:
            module.fail_json(msg="secrets: Nomad reads the X-Nomad-CSI-Secrets header split at commas and '=': "
                                 "the secrets %s cannot be sent for a delete" % sorted(bad))


def main():
    module = NomadModule(
        argument_spec=dict(
            id=dict(type="str", required=True),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            mode=dict(type="str", default="register", choices=["register", "create"]),
            plugin_id=dict(type="str"),
            external_id=dict(type="str"),
            capabilities=dict(type="list", elements="dict", options=dict(
                access_mode=dict(type="str", required=True,
                                 choices=["single-node-reader-only", "single-node-writer", "multi-node-reader-only",
                                          "multi-node-single-writer", "multi-node-multi-writer"]),
                attachment_mode=dict(type="str", required=True, choices=["file-system", "block-device"]),
            )),
            capacity_min=dict(type="str"),
            capacity_max=dict(type="str"),
            mount_options=dict(type="dict", options=dict(
                fs_type=dict(type="str"),
                mount_flags=dict(type="list", elements="str"),
            )),
            secrets=dict(type="dict", no_log=True),
            parameters=dict(type="dict"),
            context=dict(type="dict"),
            topology_request=dict(type="dict", options=dict(
                required=dict(type="list", elements="dict"),
                preferred=dict(type="list", elements="dict"),
            )),
            snapshot_id=dict(type="str"),
            clone_id=dict(type="str"),
            policy_override=dict(type="bool", default=False),
            force_update=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            delete_from_provider=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    check_input(module)
    p = module.params
    client = module.client
    path = client.path("v1", "volume", "csi", p["id"])
    secret_values = tuple(str(v) for v in (p["secrets"] or {}).values())
    result = dict(volume={})
    try:
        resp = client.get_or_none(path)
        current = resp.data if resp else None
        before = comparable(current)
        result["volume"] = current or {}
        if p["state"] == "absent":
            after = None
            result["removed"] = "none" if current is None else ("deleted" if p["delete_from_provider"] else "deregistered")
        else:
            wanted = wanted_fields(p)
            if current is None:
                new_volume_input(p, wanted)
                after = dict(ID=p["id"], Name=p["id"], ExternalID="", PluginID="", RequestedCapabilities=[],
                             RequestedCapacityMin=0, RequestedCapacityMax=0, FSType="", Parameters={}, Context={},
                             RequestedTopologies=None, SnapshotID="", CloneID="")
                after.update(wanted)
            else:
                refuse(p, current, before, wanted)
                after = dict(before)
                after.update(wanted)

        def write():
            if current is not None and not p["secrets"]:
                module.warn("secrets: not given, and an update replaces the volume's stored secrets (Nomad's "
                            "CSIVolume.Merge): volume %s has none after this write" % p["id"])
            target = client.path("v1", "volume", "csi", p["id"], "create") if p["mode"] == "create" else path
            # register of an ID is an upsert of that ID (safe to retry); a create may call the provider: never retried
            answer = client.put(target, body=body_of(p, current, after), idempotent=p["mode"] == "register",
                                secrets=secret_values).data or {}
            if answer.get("Warnings"):
                module.warn("Nomad: %s" % answer["Warnings"])
            result["volume"] = client.get(path).data

        def delete():
            if p["delete_from_provider"]:
                header = ",".join("%s=%s" % (k, v) for k, v in sorted((p["secrets"] or {}).items()))
                client.delete(path + "/delete", headers={"X-Nomad-CSI-Secrets": header} if header else None,
                              secrets=secret_values)
            else:
                client.delete(path, query={"force": True if p["force"] else None})

        forced = p["force_update"] and current is not None and after is not None and before == after
        if after is not None and (before != after or forced):
            if current is not None:
                refuse_blind_update(p, current)
            check_plugin(client, p, after["PluginID"])  # in check mode too: Nomad would refuse the write
        if forced:
            result["changed"] = True
            module.add_diff(result, before, after)
            if not module.check_mode:
                write()
        else:
            module.ensure(result, before, after, write=write, delete=delete)
    except NomadAPIError as exc:
        module.fail_api(exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
