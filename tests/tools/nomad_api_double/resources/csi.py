"""/v1/volume/csi/..., the CSI half of /v1/volumes, /v1/plugins and /v1/plugin/csi/<id>: CSI volumes and plugins.
HTTP side command/agent/csi_endpoint.go (CSIVolumeSpecificRequest, csiVolumeGet/Register/Create/Deregister/
Delete, CSIVolumesRequest, CSIPluginsRequest, CSIPluginSpecificRequest, parseCSISecrets); RPC nomad/csi_endpoint.go
(CSIVolume.Register/Create/Get/List/Deregister/Delete, pluginValidateVolume, reconcileVolume, expandVolume,
volAndPluginLookup; CSIPlugin.Get/List); rules nomad/structs/csi.go (CSIVolume.Validate, Merge, Sanitize, Stub);
state nomad/state/state_store.go (UpsertCSIVolume, CSIVolumeDeregister).

CSI plugins are jobs in Nomad; the double has none, so tests seed plugins with /_double/csi-plugin. A plugin's
controller answers every call (ControllerValidateVolume, CreateVolume, DeleteVolume, ExpandVolume) with success."""

import copy
import time
import uuid

from ..common import HTTPFailure, field, route
from ..rules import multierror

REDACTED = "[REDACTED]"
ZERO_TIME = "0001-01-01T00:00:00Z"
STUB_FIELDS = ("ID", "Namespace", "Name", "ExternalID", "Topologies", "AccessMode", "AttachmentMode", "Schedulable",
               "PluginID", "Provider", "ControllerRequired", "ControllersHealthy", "ControllersExpected",
               "NodesHealthy", "NodesExpected", "ResourceExhausted", "CreateIndex", "ModifyIndex")
PLUGIN_STUB_FIELDS = ("ID", "Provider", "ControllerRequired", "ControllersHealthy", "ControllersExpected",
                      "NodesHealthy", "NodesExpected", "CreateIndex", "ModifyIndex")
GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # strconv.ParseBool


def humanize_bytes(size):
    """github.com/dustin/go-humanize Bytes (SI units), as expandVolume prints capacities."""
    if size < 10:
        return "%d B" % size
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
    exp = 0
    while size >= 1000 ** (exp + 1) and exp < len(units) - 1:
        exp += 1
    val = int(size / 1000 ** exp * 10 + 0.5) / 10.0
    return ("%.0f %s" if val >= 10 else "%.1f %s") % (val, units[exp])


def segments(topologies):
    return [dict(field(t, "Segments") or {}) for t in topologies or [] if t is not None]


def topology_request(raw):
    if not raw:
        return None
    return {"Required": [{"Segments": s} for s in segments(field(raw, "Required"))] or None,
            "Preferred": [{"Segments": s} for s in segments(field(raw, "Preferred"))] or None}


def volume_from(raw):
    """One structs.CSIVolume as decoded from a request body (field names case-insensitive)."""
    mount = field(raw, "MountOptions")
    return {
        "ID": field(raw, "ID") or "", "Name": field(raw, "Name") or "", "ExternalID": field(raw, "ExternalID") or "",
        "Namespace": field(raw, "Namespace") or "",
        "RequestedTopologies": topology_request(field(raw, "RequestedTopologies")),
        "Topologies": [{"Segments": s} for s in segments(field(raw, "Topologies"))] or None,
        "AccessMode": "", "AttachmentMode": "",
        "MountOptions": None if mount is None else {"FSType": field(mount, "FSType") or "",
                                                    "MountFlags": field(mount, "MountFlags")},
        "Secrets": field(raw, "Secrets"), "Parameters": field(raw, "Parameters"), "Context": field(raw, "Context"),
        "Capacity": int(field(raw, "Capacity") or 0),
        "RequestedCapacityMin": int(field(raw, "RequestedCapacityMin") or 0),
        "RequestedCapacityMax": int(field(raw, "RequestedCapacityMax") or 0),
        "RequestedCapabilities": [{"AccessMode": field(c, "AccessMode") or "",
                                   "AttachmentMode": field(c, "AttachmentMode") or ""}
                                  for c in field(raw, "RequestedCapabilities") or []],
        "CloneID": field(raw, "CloneID") or "", "SnapshotID": field(raw, "SnapshotID") or "",
        "PluginID": field(raw, "PluginID") or "", "Provider": "", "ProviderVersion": "",
    }


def validate(vol):
    """structs.CSIVolume.Validate: one error, "validation: a, b"."""
    errors = []
    if not vol["ID"]:
        errors.append("missing volume id")
    if not vol["PluginID"]:
        errors.append("missing plugin id")
    if not vol["Namespace"]:
        errors.append("missing namespace")
    if vol["SnapshotID"] and vol["CloneID"]:
        errors.append("only one of snapshot_id and clone_id is allowed")
    if not vol["RequestedCapabilities"]:
        errors.append("must include at least one capability block")
    req = vol["RequestedTopologies"] or {}
    if any(not t["Segments"] for t in req.get("Required") or []):
        errors.append("required topology is missing segments field")
    if any(not t["Segments"] for t in req.get("Preferred") or []):
        errors.append("preferred topology is missing segments field")
    return "validation: %s" % ", ".join(errors) if errors else None


def merge(existing, update):
    """structs.CSIVolume.Merge onto a copy of the stored volume (never in use here: the double has no claims)."""
    errors = []
    if existing["Name"] != update["Name"] and update["Name"]:
        errors.append("volume name cannot be updated")
    if existing["ExternalID"] != update["ExternalID"] and update["ExternalID"]:
        errors.append("volume external ID cannot be updated")
    if existing["PluginID"] != update["PluginID"]:
        errors.append("volume plugin ID cannot be updated")
    if existing["CloneID"] != update["CloneID"] and update["CloneID"]:
        errors.append("volume clone ID cannot be updated")
    if existing["SnapshotID"] != update["SnapshotID"] and update["SnapshotID"]:
        errors.append("volume snapshot ID cannot be updated")
    existing["RequestedCapabilities"] = update["RequestedCapabilities"]
    if existing["Topologies"] and (existing["RequestedTopologies"] or None) != (update["RequestedTopologies"] or None):
        errors.append("volume topology request update was not compatible with existing topology")
    existing["MountOptions"] = update["MountOptions"]  # replaced whole when the volume is not in use
    existing["Secrets"] = update["Secrets"]  # "Secrets can be updated freely": replaced, even by nothing
    if update["Parameters"] and existing["Parameters"] != update["Parameters"]:
        errors.append("volume parameters cannot be updated")
    if update["Context"]:
        existing["Context"] = update["Context"]
    return multierror(errors) if errors else None


class CSI:
    """Handlers of /v1/volume/csi/<id>[/create|/delete|/detach], /v1/plugins and /v1/plugin/csi/<id>."""

    # -- plugins ---------------------------------------------------------------------------------------
    def _csi_plugin_view(self, plugin):
        return dict((k, copy.deepcopy(v)) for k, v in plugin.items() if not k.startswith("_"))

    def csi_plugins(self):
        """CSIPluginsRequest: no type -> []; a type other than csi -> 200 with no body; CSIPlugin.List needs
        plugin list (AllowPluginList: policy list or read)."""
        if "type" not in self.query:
            return 200, [], {}
        if self.query["type"] != "csi":
            return 200, None, {}
        self.auth(("plugin", "list"))
        out = [dict((k, p[k]) for k in PLUGIN_STUB_FIELDS) for dummy, p in sorted(self.state.csi_plugins.items())]
        return 200, out, self.read_headers()

    def csi_plugin(self, suffix):
        """CSIPluginSpecificRequest: GET only (405); more than two path segments 404; CSIPlugin.Get needs
        plugin read (AllowPluginRead); 404 "plugin not found"."""
        if self.command != "GET":
            raise HTTPFailure(405, "Invalid method")
        tokens = suffix.split("/")
        if len(tokens) > 2:
            raise HTTPFailure(404, "resource not found")
        self.auth(("plugin", "read"))
        plugin = self.state.csi_plugins.get(tokens[0])
        if plugin is None:
            raise HTTPFailure(404, "plugin not found")
        return 200, self._csi_plugin_view(plugin), self.read_headers(plugin["ModifyIndex"])

    # -- volumes: reads --------------------------------------------------------------------------------
    def _csi_denormalized(self, vol):
        """CSIVolumeDenormalize + the JSON extension csiVolumeExt (Sanitize: Secrets nil, mount flags redacted)."""
        out = dict((k, copy.deepcopy(v)) for k, v in vol.items() if not k.startswith("_"))
        plugin = self.state.csi_plugins.get(vol["PluginID"]) or {}
        out.update(ControllerRequired=plugin.get("ControllerRequired", False),
                   ControllersHealthy=plugin.get("ControllersHealthy", 0),
                   ControllersExpected=plugin.get("ControllersExpected", 0),
                   NodesHealthy=plugin.get("NodesHealthy", 0), NodesExpected=plugin.get("NodesExpected", 0))
        out["Schedulable"] = bool(plugin) and out["NodesHealthy"] > 0 and \
            (not out["ControllerRequired"] or out["ControllersHealthy"] > 0)
        out["Secrets"] = None
        if out["MountOptions"] and out["MountOptions"].get("MountFlags"):
            out["MountOptions"]["MountFlags"] = [REDACTED]
        out.update(ReadAllocs={}, WriteAllocs={}, Allocations=[], ResourceExhausted=ZERO_TIME)
        return out

    def csi_volume_get(self, vol_id):
        """CSIVolume.Get: csi-read-volume, csi-mount-volume or read-job in the request's namespace."""
        ns = self.namespace()
        self.auth(("namespace", ("csi-read-volume", "csi-mount-volume", "read-job"), ns))
        if not vol_id:
            raise HTTPFailure(500, "missing volume ID")
        vol = self.state.csi_volumes.get((ns, vol_id))
        if vol is None:
            raise HTTPFailure(404, "volume not found")
        return 200, self._csi_denormalized(vol), self.read_headers()

    def csi_volume_list(self):
        """CSIVolume.List: csi-list-volume, csi-read-volume, csi-mount-volume or list-jobs in the request's
        namespace ('*' = every namespace), else 403; prefix (of the ID), plugin_id, node_id."""
        st = self.state
        ns = self.namespace()
        self.auth(("namespace", ("csi-list-volume", "csi-read-volume", "csi-mount-volume", "list-jobs"), ns))
        prefix, plugin_id = self.query.get("prefix", ""), self.query.get("plugin_id", "")
        out = []
        for key in sorted(st.csi_volumes):
            vol = st.csi_volumes[key]
            if (ns != "*" and vol["Namespace"] != ns) or not vol["ID"].startswith(prefix):
                continue
            if (plugin_id and vol["PluginID"] != plugin_id) or self.query.get("node_id"):
                continue  # no claims in the double: no volume is on a node
            full = self._csi_denormalized(vol)
            stub = dict((k, full[k]) for k in STUB_FIELDS)
            stub.update(CurrentReaders=0, CurrentWriters=0)
            out.append(stub)
        return 200, out, self.read_headers()

    # -- volumes: writes -------------------------------------------------------------------------------
    def _csi_decode_volumes(self):
        body = self.json_body()
        return [volume_from(v) for v in field(body, "Volumes") or []], bool(field(body, "PolicyOverride"))

    def _csi_check_writer(self, volumes, override):
        """The checks CSIVolume.Register and Create share: a valid token with plugin read (403), at least
        one volume (500), csi-write-volume (and sentinel-override) in each volume's namespace (403)."""
        token = self.auth("any")
        if not self.allowed(token, "plugin", "read"):
            raise HTTPFailure(403, "Permission denied")
        if not volumes:
            raise HTTPFailure(500, "missing volume definition")
        for vol in volumes:
            vol["Namespace"] = vol["Namespace"] or self.namespace()
            if not self.allowed(token, "namespace", "csi-write-volume", vol["Namespace"]):
                raise HTTPFailure(403, "Permission denied")
            if override and not self.allowed(token, "namespace", "sentinel-override", vol["Namespace"]):
                raise HTTPFailure(403, "Permission denied")

    def _csi_plugin_for(self, vol):
        """pluginValidateVolume."""
        plugin = self.state.csi_plugins.get(vol["PluginID"])
        if plugin is None:
            raise HTTPFailure(500, "no CSI plugin named: %s could be found" % vol["PluginID"])
        if plugin["ControllerRequired"] and plugin["ControllersHealthy"] < 1:
            raise HTTPFailure(500, "no healthy controllers for CSI plugin: %s" % vol["PluginID"])
        vol["Provider"], vol["ProviderVersion"] = plugin["Provider"], plugin["Version"]
        return plugin

    @staticmethod
    def _csi_expand(vol, plugin, new_min, new_max):
        """expandVolume: the requested capacity is stored; a minimum above the capacity expands the volume."""
        if new_min == 0 and new_max == 0:
            return None
        if vol["RequestedCapacityMin"] == new_min and vol["RequestedCapacityMax"] == new_max:
            return None
        if new_max > 0:
            if new_max < new_min:
                return "max requested capacity (%s) less than or equal to min (%s)" % (
                    humanize_bytes(new_max), humanize_bytes(new_min))
            if new_max < vol["Capacity"]:
                return "max requested capacity (%s) less than or equal to current (%s)" % (
                    humanize_bytes(new_max), humanize_bytes(vol["Capacity"]))
        vol["RequestedCapacityMin"], vol["RequestedCapacityMax"] = new_min, new_max
        if new_min <= vol["Capacity"]:
            return None
        if "expand" not in plugin["_capabilities"]:
            return "expand is not implemented by this controller plugin"
        vol["Capacity"] = new_min
        return None

    def _csi_reconcile(self, existing, update, plugin):
        """reconcileVolume: Merge, then expandVolume (capacity is not part of Merge)."""
        merged = copy.deepcopy(existing)
        problem = merge(merged, update)
        if problem is None:
            problem = self._csi_expand(merged, plugin, update["RequestedCapacityMin"], update["RequestedCapacityMax"])
        return merged, problem

    def _csi_store(self, volumes):
        """state_store.go UpsertCSIVolume: the namespace must exist; a stored volume keeps its identity."""
        st = self.state
        idx = st.next_index()
        now = time.time_ns()
        for vol in volumes:
            if vol["Namespace"] not in st.namespaces:
                raise HTTPFailure(500, "volume %s is in nonexistent namespace %s" % (vol["ID"], vol["Namespace"]))
            old = st.csi_volumes.get((vol["Namespace"], vol["ID"]))
            if old is not None:
                if (old["ExternalID"], old["PluginID"], old["Provider"]) != \
                        (vol["ExternalID"], vol["PluginID"], vol["Provider"]):
                    raise HTTPFailure(500, "volume identity cannot be updated: %s" % vol["ID"])
                vol["CreateIndex"], vol["CreateTime"] = old["CreateIndex"], old["CreateTime"]
            else:
                vol["CreateIndex"], vol["CreateTime"] = idx, now
            vol["ModifyIndex"], vol["ModifyTime"] = idx, now
        for vol in volumes:
            st.csi_volumes[(vol["Namespace"], vol["ID"])] = vol
        return idx

    def _csi_answer(self, volumes, idx):
        body = {"Volumes": [self._csi_denormalized(v) for v in volumes], "Warnings": "", "Index": idx, "LastContact": 0,
                "KnownLeader": True, "NextToken": ""}
        return 200, body, self.read_headers(idx)

    def csi_volume_register(self):
        """csiVolumeRegister -> CSIVolume.Register (PUT /v1/volume/csi/<id>: the path's ID is not compared with
        the body's; PUT/POST /v1/volumes)."""
        st = self.state
        volumes, override = self._csi_decode_volumes()
        self._csi_check_writer(volumes, override)
        stored = []
        for vol in volumes:
            problem = validate(vol)
            if problem:
                raise HTTPFailure(500, problem)
            existing = st.csi_volumes.get((vol["Namespace"], vol["ID"]))
            plugin = self._csi_plugin_for(vol)
            if existing is not None:
                merged, problem = self._csi_reconcile(existing, vol, plugin)
                if problem:
                    raise HTTPFailure(500, "unable to update volume: %s" % problem)
                vol = merged
            elif not vol["Topologies"] and vol["RequestedTopologies"]:
                vol["Topologies"] = vol["RequestedTopologies"]["Required"]
            stored.append(vol)
        return self._csi_answer(stored, self._csi_store(stored))

    def csi_volume_create(self):
        """csiVolumeCreate -> CSIVolume.Create: the plugin needs a controller that can create volumes; an
        existing ID is reconciled instead; the provider's errors are collected into one multierror."""
        st = self.state
        volumes, override = self._csi_decode_volumes()
        self._csi_check_writer(volumes, override)
        todo = []
        for vol in volumes:
            problem = validate(vol)
            if problem:
                raise HTTPFailure(500, problem)
            plugin = self._csi_plugin_for(vol)
            if not plugin["ControllerRequired"]:
                raise HTTPFailure(500, "plugin has no controller")
            if "create_delete" not in plugin["_capabilities"]:
                raise HTTPFailure(500, "plugin does not support creating volumes")
            todo.append((vol, plugin, st.csi_volumes.get((vol["Namespace"], vol["ID"]))))
        errors, stored = [], []
        for vol, plugin, current in todo:
            if current is not None:
                merged, problem = self._csi_reconcile(current, vol, plugin)
                if problem:
                    errors.append(problem)
                else:
                    stored.append(merged)
            else:  # createVolume: the controller makes it and answers its ID, capacity and topology
                vol["ExternalID"] = "csi-%s" % uuid.uuid4()
                vol["Capacity"] = vol["RequestedCapacityMin"] or vol["RequestedCapacityMax"]
                vol["Topologies"] = (vol["RequestedTopologies"] or {}).get("Required")
                stored.append(vol)
        idx = self._csi_store(stored) if stored else 0
        if errors:
            raise HTTPFailure(500, multierror(errors))
        return self._csi_answer(stored, idx)

    def csi_volume_deregister(self, vol_id):
        """csiVolumeDeregister (400 invalid force value) -> CSIVolume.Deregister (csi-write-volume) ->
        CSIVolumeDeregister: an unknown volume is an error (500), not a no-op."""
        st = self.state
        raw = self.query.get("force", "")
        if raw and raw not in GO_BOOLS:
            raise HTTPFailure(400, "invalid force value")
        ns = self.namespace()
        self.auth(("namespace", "csi-write-volume", ns))
        if (ns, vol_id) not in st.csi_volumes:
            raise HTTPFailure(500, "volume not found: %s" % vol_id)
        del st.csi_volumes[(ns, vol_id)]
        return 200, None, self.read_headers(st.next_index())

    def csi_volume_delete(self, vol_id):
        """csiVolumeDelete -> CSIVolume.Delete: csi-write-volume and plugin read; volAndPluginLookup (a volume
        whose plugin has no controller cannot be deleted); the controller deletes it with the secrets of the
        X-Nomad-CSI-Secrets header (parseCSISecrets: split at ',' then at the first '='); then deregistered."""
        st = self.state
        ns = self.namespace()
        token = self.auth("any")
        if not (self.allowed(token, "namespace", "csi-write-volume", ns) and self.allowed(token, "plugin", "read")):
            raise HTTPFailure(403, "Permission denied")
        vol = st.csi_volumes.get((ns, vol_id))
        if vol is None:
            raise HTTPFailure(500, "volume not found: %s" % vol_id)
        plugin = st.csi_plugins.get(vol["PluginID"])
        if plugin is not None and not plugin["ControllerRequired"]:
            raise HTTPFailure(500, 'plugin "%s" for volume "%s" not found' % (vol["PluginID"], vol_id))
        if plugin is None:
            raise HTTPFailure(500, "plugin not found: %s" % vol["PluginID"])
        secrets = {}
        for pair in (self.headers.get("X-Nomad-CSI-Secrets") or "").split(","):
            if "=" in pair:
                key, value = pair.split("=", 1)
                secrets[key] = value
        st.csi_provider_deletes.append({"ID": vol_id, "ExternalID": vol["ExternalID"], "Secrets": secrets})
        del st.csi_volumes[(ns, vol_id)]
        return 200, None, self.read_headers(st.next_index())

    def csi_volume_specific(self, suffix):
        """CSIVolumeSpecificRequest: <id> takes GET, PUT (register), DELETE (deregister), else 405;
        <id>/create takes PUT; <id>/delete and <id>/detach take DELETE; another second segment with PUT or
        DELETE, or three segments, 404; any other method with two segments 405."""
        tokens = suffix.split("/")
        vol_id = tokens[0]
        if len(tokens) == 1:
            if self.command == "GET":
                return self.csi_volume_get(vol_id)
            if self.command == "PUT":
                return self.csi_volume_register()
            if self.command == "DELETE":
                return self.csi_volume_deregister(vol_id)
            raise HTTPFailure(405, "Invalid method")
        if len(tokens) == 2:
            if self.command == "PUT":
                if tokens[1] == "create":
                    return self.csi_volume_create()
            elif self.command == "DELETE":
                if tokens[1] == "delete":
                    return self.csi_volume_delete(vol_id)
                if tokens[1] == "detach":
                    if not self.query.get("node"):
                        raise HTTPFailure(400, "detach requires node ID")
                    raise HTTPFailure(501, "the Nomad API double does not model CSI claims, so not detach")
            else:
                raise HTTPFailure(405, "Invalid method")
        raise HTTPFailure(404, "resource not found")


ROUTES = [
    route("GET HEAD PUT POST DELETE PATCH", r"/v1/volume/csi/(.*)", CSI.csi_volume_specific),
    route("GET HEAD PUT POST DELETE PATCH", r"/v1/plugin/csi/(.*)", CSI.csi_plugin),
    route("GET", r"/v1/plugins", CSI.csi_plugins),
]
