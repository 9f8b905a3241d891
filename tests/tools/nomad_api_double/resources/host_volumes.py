"""/v1/volume/host/...: dynamic host volumes (Nomad 1.10+). HTTP side command/agent/host_volume_endpoint.go
(HostVolumeSpecificRequest, hostVolumeCreate/Register/Get/Delete, HostVolumesListRequest); RPC
nomad/host_volume_endpoint.go (HostVolume.Create/Register/Get/List/Delete, validateVolumeUpdate,
validateVolumeForState, placeHostVolume, createVolume); rules nomad/structs/host_volumes.go (Validate,
ValidateUpdate, CanonicalizeForCreate/ForRegister); state nomad/state/state_store_host_volumes.go; the client
side client/hostvolumemanager (the built-in mkdir plugin, the one-name-per-node lock).

Every refusal of the RPC layer is an uncoded error, so HTTP 500 with the text (command/agent/http.go wrap)."""

import copy
import re
import time
import uuid

from ..common import HTTPFailure, field, route
from ..rules import constraint_errors, multierror

DEFAULT_PLUGIN = "default"  # structs.DefaultHostVolumePlugin: what an empty PluginID becomes on create
MKDIR = "mkdir"  # client/hostvolumemanager HostVolumePluginMkdirID, built into every client
VOLUMES_DIR = "/var/lib/nomad/host_volumes"  # <data_dir>/host_volumes (command/agent/agent.go convertClientConfig)
ATTACHMENT_MODES = ("file-system", "block-device")  # HostVolumeCapability.Validate
ACCESS_MODES = ("single-node-reader-only", "single-node-writer", "single-node-single-writer",
                "single-node-multi-writer")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MKDIR_PARAMS = ("mode", "uid", "gid")  # host_volume_plugin.go decodeMkdirParams
STUB_FIELDS = ("Namespace", "ID", "Name", "PluginID", "NodePool", "NodeID", "CapacityBytes", "State", "CreateIndex",
               "CreateTime", "ModifyIndex", "ModifyTime")  # structs.HostVolume.Stub
GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # strconv.ParseBool


def public(vol):
    """The volume as Nomad answers it (no double bookkeeping; Constraints, Parameters, Allocations omitempty)."""
    out = dict((k, copy.deepcopy(v)) for k, v in vol.items() if not k.startswith("_"))
    for key in ("Constraints", "Parameters", "Allocations"):
        if not out.get(key):
            out.pop(key, None)
    return out


def validate(vol):
    """structs.HostVolume.Validate; go-multierror flattened (helper.FlattenMultierror: one error = its text)."""
    errors = []
    if vol["ID"] and not UUID_RE.match(vol["ID"]):
        errors.append('invalid ID "%s"' % vol["ID"])
    if not vol["Name"]:
        errors.append("missing name")
    if vol["RequestedCapacityMaxBytes"] < vol["RequestedCapacityMinBytes"]:
        errors.append("capacity_max (%d) must be larger than capacity_min (%d)"
                      % (vol["RequestedCapacityMaxBytes"], vol["RequestedCapacityMinBytes"]))
    for cap in vol["RequestedCapabilities"] or []:
        if cap.get("AttachmentMode") not in ATTACHMENT_MODES:
            errors.append('invalid attachment mode: "%s"' % cap.get("AttachmentMode"))
        if cap.get("AccessMode") not in ACCESS_MODES:
            errors.append('invalid access mode: "%s"' % cap.get("AccessMode"))
    for con in vol["Constraints"] or []:
        problems = constraint_errors(con.get("LTarget", ""), con.get("RTarget", ""), con.get("Operand", ""))
        if problems:  # Constraint.Validate answers a *multierror.Error, printed whole after the prefix
            errors.append("invalid constraint: %s" % multierror(problems))
        if con.get("Operand") in ("distinct_hosts", "distinct_property"):
            errors.append("invalid constraint %s: host volumes of the same name are always on distinct hosts"
                          % con["Operand"])
    if not errors:
        return None
    return errors[0] if len(errors) == 1 else multierror(errors)


def validate_update(vol, existing):
    """structs.HostVolume.ValidateUpdate (a *multierror.Error printed whole)."""
    errors = []
    if existing.get("Allocations"):
        errors.append("cannot update a volume in use: claimed by allocs (%s)"
                      % ", ".join(a["ID"] for a in existing["Allocations"]))
    if vol["NodeID"] and vol["NodeID"] != existing["NodeID"]:
        errors.append("node ID cannot be updated")
    if vol["NodePool"] and vol["NodePool"] != existing["NodePool"]:
        errors.append("node pool cannot be updated")
    if vol["RequestedCapacityMaxBytes"] > 0 and vol["RequestedCapacityMaxBytes"] < existing["CapacityBytes"]:
        errors.append("capacity_max (%d) cannot be less than existing provisioned capacity (%d)"
                      % (vol["RequestedCapacityMaxBytes"], existing["CapacityBytes"]))
    return multierror(errors) if errors else None


def feasible(node, constraints):
    """The constraint checks of placeHostVolume (scheduler/feasible ConstraintChecker), for the operands the
    double's nodes can answer: attribute and meta targets with =, !=, is_set, is_not_set, regexp."""
    def resolve(target):
        found = re.match(r"^\$\{(attr|meta|node)\.(.+)\}$", target or "")
        if not found:
            return target, True
        kind, key = found.groups()
        source = {"attr": node["Attributes"], "meta": node["Meta"] or {},
                  "node": {"unique.id": node["ID"], "unique.name": node["Name"], "datacenter": node["Datacenter"],
                           "class": node["NodeClass"], "pool": node["NodePool"]}}[kind]
        return source.get(key), key in source

    for con in constraints:
        left, ok = resolve(con.get("LTarget"))
        right = resolve(con.get("RTarget"))[0]
        operand = con.get("Operand")
        if operand == "is_set":
            passed = ok
        elif operand == "is_not_set":
            passed = not ok
        elif operand in ("=", "==", "is"):
            passed = ok and left == right
        elif operand in ("!=", "not"):
            passed = left != right
        elif operand == "regexp":
            passed = ok and re.search(right or "", left or "") is not None
        else:
            raise HTTPFailure(500, "the Nomad API double does not evaluate the constraint operand %r" % operand)
        if not passed:
            return False
    return True


class HostVolumes:
    """Handlers of /v1/volume/host/<create|register|id> and the host half of /v1/volumes."""

    def host_volume_specific(self, suffix):
        # HostVolumeSpecificRequest: strings.FieldsFunc on '/', so empty segments vanish; no ID -> 404
        tokens = [t for t in suffix.split("/") if t]
        if not tokens:
            raise HTTPFailure(404, "resource not found")
        if self.command in ("PUT", "POST"):
            if tokens[0] == "create":
                return self.host_volume_write("create")
            if tokens[0] == "register":
                return self.host_volume_write("register")
            raise HTTPFailure(404, "resource not found")
        if self.command == "DELETE":
            return self.host_volume_delete(tokens[0])
        if self.command == "GET":
            return self.host_volume_get(tokens[0])
        raise HTTPFailure(404, "resource not found")  # not 405: the switch falls through

    def _hv_volume_from_body(self):
        """decodeBody into structs.HostVolumeCreateRequest/RegisterRequest (400 with the decoder's text)."""
        body = self.json_body()
        raw = field(body, "Volume")
        if raw is None:
            return None, bool(field(body, "PolicyOverride"))
        caps = field(raw, "RequestedCapabilities")
        vol = {
            "Namespace": field(raw, "Namespace") or "", "ID": field(raw, "ID") or "", "Name": field(raw, "Name") or "",
            "PluginID": field(raw, "PluginID") or "", "NodePool": field(raw, "NodePool") or "",
            "NodeID": field(raw, "NodeID") or "",
            "Constraints": [dict(LTarget=field(c, "LTarget") or "", RTarget=field(c, "RTarget") or "",
                                 Operand=field(c, "Operand") or "") for c in field(raw, "Constraints") or []],
            "RequestedCapacityMinBytes": int(field(raw, "RequestedCapacityMinBytes") or 0),
            "RequestedCapacityMaxBytes": int(field(raw, "RequestedCapacityMaxBytes") or 0),
            "CapacityBytes": int(field(raw, "CapacityBytes") or 0),
            "RequestedCapabilities": [dict(AttachmentMode=field(c, "AttachmentMode") or "",
                                           AccessMode=field(c, "AccessMode") or "") for c in caps or []],
            "Parameters": dict(field(raw, "Parameters") or {}), "HostPath": field(raw, "HostPath") or "",
            "State": "", "CreateIndex": 0, "CreateTime": 0, "ModifyIndex": 0, "ModifyTime": 0,
        }
        return vol, bool(field(body, "PolicyOverride"))

    def host_volume_write(self, kind):
        """HostVolume.Create / HostVolume.Register."""
        st = self.state
        vol, override = self._hv_volume_from_body()
        token = self.auth("any")
        if vol is None:
            raise HTTPFailure(500, "missing volume definition")
        vol["Namespace"] = vol["Namespace"] or self.namespace()
        need = "host-volume-create" if kind == "create" else "host-volume-register"
        if not self.allowed(token, "namespace", need, vol["Namespace"]):
            raise HTTPFailure(403, "Permission denied")
        if override and not self.allowed(token, "namespace", "sentinel-override", vol["Namespace"]):
            raise HTTPFailure(403, "Permission denied")
        if kind == "register":
            if not vol["NodeID"]:
                raise HTTPFailure(500, "cannot register volume: node ID is required")
            if not vol["HostPath"]:
                raise HTTPFailure(500, "cannot register volume: host path is required")
        # validateVolumeUpdate
        problem = validate(vol)
        if problem:
            raise HTTPFailure(500, "volume validation failed: %s" % problem)
        if vol["Namespace"] not in st.namespaces:
            raise HTTPFailure(500, 'volume validation failed: no such namespace "%s"' % vol["Namespace"])
        existing = None
        if vol["ID"]:
            existing = st.host_volumes.get((vol["Namespace"], vol["ID"]))
            if existing is None:
                raise HTTPFailure(500, 'cannot update volume "%s": volume does not exist' % vol["ID"])
            problem = validate_update(vol, existing)
            if problem:
                raise HTTPFailure(500, 'validating volume "%s" update failed: %s' % (vol["ID"], problem))
        now = time.time_ns()
        self._hv_canonicalize(vol, existing, kind, now)
        # validateVolumeForState (Create names the volume by Name, Register by ID)
        label = vol["Name"] if kind == "create" else vol["ID"]
        problem = self._hv_against_state(vol)
        if problem:
            raise HTTPFailure(500, 'validating volume "%s" against state failed: %s' % (label, problem))
        if kind == "create":
            node = self._hv_place(vol)
            self._hv_client_create(vol, node, existing)
        else:
            self._hv_client_register(vol)
        answer = public(vol)  # the RPC answers its own copy: indexes are set by the state store, not here
        idx = st.next_index()
        st.upsert_host_volume(vol, idx)
        return 200, {"Volume": answer, "Warnings": "", "Index": idx}, self.write_headers(idx)

    @staticmethod
    def _hv_canonicalize(vol, existing, kind, now):
        """HostVolume.CanonicalizeForCreate / CanonicalizeForRegister."""
        if existing is None:
            vol["ID"] = str(uuid.uuid4())
            if kind == "create":
                vol["PluginID"] = vol["PluginID"] or DEFAULT_PLUGIN
                vol["CapacityBytes"] = 0
                vol["HostPath"] = ""
            vol["CreateTime"] = now
            if not vol["RequestedCapabilities"]:
                vol["RequestedCapabilities"] = [{"AttachmentMode": "file-system", "AccessMode": "single-node-writer"}]
        else:
            vol["PluginID"] = vol["PluginID"] or existing["PluginID"]
            vol["NodePool"] = vol["NodePool"] or existing["NodePool"]
            vol["NodeID"] = existing["NodeID"]
            vol["Constraints"] = copy.deepcopy(existing["Constraints"])  # a changed constraint is dropped silently
            if kind == "create":
                vol["CapacityBytes"] = existing["CapacityBytes"]
                vol["HostPath"] = existing["HostPath"]
            vol["CreateTime"] = existing["CreateTime"]
        vol["State"] = "pending"  # reset on any change
        vol["ModifyTime"] = now
        vol["Allocations"] = None

    def _hv_against_state(self, vol):
        st = self.state
        pool_of_node = ""
        if vol["NodeID"]:
            node = st.nodes.get(vol["NodeID"])
            if node is None:
                return 'node "%s" does not exist' % vol["NodeID"]
            pool_of_node = node["NodePool"]
        if vol["NodePool"]:
            if vol["NodePool"] not in st.node_pools:
                return 'node pool "%s" does not exist' % vol["NodePool"]
            if pool_of_node and pool_of_node != vol["NodePool"]:
                return 'node ID "%s" is not in pool "%s"' % (vol["NodeID"], vol["NodePool"])
        return None

    def _hv_place(self, vol):
        """placeHostVolume: the plugin's fingerprint attribute is a constraint; with a node ID that node must be
        feasible; otherwise the first node (by ID) of the pool, or of all nodes, without a volume of this name.
        Node pool governance is Enterprise (CE: every pool passes). Node status is not looked at."""
        st = self.state
        constraints = [{"LTarget": "${attr.plugins.host_volume.%s.version}" % vol["PluginID"], "Operand": "is_set",
                        "RTarget": ""}] + vol["Constraints"]
        name = vol["Name"]
        if vol["NodeID"]:
            node = st.nodes.get(vol["NodeID"])
            if node is None:
                raise HTTPFailure(500, 'could not place volume "%s": no such node %s' % (name, vol["NodeID"]))
            if not feasible(node, constraints):
                raise HTTPFailure(500, 'could not place volume "%s": node %s is not feasible for volume'
                                  % (name, vol["NodeID"]))
            vol["NodePool"] = node["NodePool"]
            return node
        existing_name = infeasible = 0
        for node_id in sorted(st.nodes):
            node = st.nodes[node_id]
            if vol["NodePool"] and node["NodePool"] != vol["NodePool"]:
                continue
            if any(v["NodeID"] == node_id and v["Name"] == name for v in st.host_volumes.values()):
                existing_name += 1  # state.NodeHasHostVolume
                continue
            if not feasible(node, constraints):
                infeasible += 1
                continue
            vol["NodeID"], vol["NodePool"] = node_id, node["NodePool"]
            return node
        raise HTTPFailure(500, 'could not place volume "%s": no node meets constraints: %d nodes had existing volume, '
                               '0 nodes filtered by node pool governance, %d nodes were infeasible'
                          % (name, existing_name, infeasible))

    def _hv_client_lock(self, vol):
        """client/hostvolumemanager volLocker.lock: one volume of a name per node (another ID is refused)."""
        for other in self.state.host_volumes.values():
            if other["NodeID"] == vol["NodeID"] and other["Name"] == vol["Name"] and other["ID"] != vol["ID"]:
                raise HTTPFailure(500, "volume name already exists on this node")

    def _hv_client_create(self, vol, node, existing):
        """createVolume -> ClientHostVolume.Create on the node (No path to node when it is down); the mkdir
        plugin makes <host_volumes_dir>/<ID> with capacity 0, decoding its parameters only for a new directory."""
        if node["Status"] == "down":
            raise HTTPFailure(500, "No path to node")
        self._hv_client_lock(vol)
        if existing is None:
            if vol["PluginID"] == MKDIR:
                for key in sorted(vol["Parameters"]):
                    if key not in MKDIR_PARAMS:
                        raise HTTPFailure(500, 'invalid value for "%s": unknown mkdir parameter: "%s"' % (key, key))
            vol["HostPath"] = "%s/%s" % (VOLUMES_DIR, vol["ID"])
            # an external plugin reports what it made; the double's external plugins give the minimum asked
            vol["CapacityBytes"] = 0 if vol["PluginID"] == MKDIR else vol["RequestedCapacityMinBytes"]

    def _hv_client_register(self, vol):
        node = self.state.nodes[vol["NodeID"]]
        if node["Status"] == "down":
            raise HTTPFailure(500, "No path to node")
        self._hv_client_lock(vol)

    def host_volume_get(self, vol_id):
        """HostVolume.Get: host-volume-read in the request's namespace; the volume by (namespace, ID)."""
        st = self.state
        ns = self.namespace()
        self.auth(("namespace", "host-volume-read", ns))
        vol = st.host_volumes.get((ns, vol_id))
        if vol is None:
            raise HTTPFailure(404, "volume not found")
        st.tick_host_volume(vol)
        return 200, public(vol), self.read_headers(vol["ModifyIndex"])

    def host_volume_delete(self, vol_id):
        """hostVolumeDelete (400 invalid force value, before the RPC) -> HostVolume.Delete."""
        st = self.state
        raw = self.query.get("force", "")
        force = False
        if raw:
            if raw not in GO_BOOLS:
                raise HTTPFailure(400, "invalid force value")
            force = GO_BOOLS[raw]
        ns = self.namespace()
        self.auth(("namespace", "host-volume-delete", ns))
        vol = st.host_volumes.get((ns, vol_id))
        if vol is None:
            raise HTTPFailure(500, "no such volume: %s" % vol_id)
        if vol.get("Allocations"):
            raise HTTPFailure(500, "volume %s in use by allocations: [%s]"
                              % (vol_id, " ".join(a["ID"] for a in vol["Allocations"])))
        node = st.nodes.get(vol["NodeID"])
        if (node is None or node["Status"] == "down") and not force:
            raise HTTPFailure(500, "volume cannot be removed from unknown node without force=true")
        idx = st.delete_host_volume(vol)
        return 200, {"Index": idx}, self.write_headers(idx)

    def host_volume_list(self):
        """HostVolumesListRequest -> HostVolume.List: prefix matches Name or ID; node_id, node_pool; the
        namespace ('*' = all); volumes the token may not read (host-volume-read in the request's namespace)
        are left out, not refused; per_page/next_token (token = namespace.ID)."""
        st = self.state
        token = self.auth("any")
        ns = self.namespace()
        if not self.allowed(token, "namespace", "host-volume-read", ns):
            return 200, [], self.read_headers()
        prefix, node_id, pool = self.query.get("prefix", ""), self.query.get("node_id", ""), \
            self.query.get("node_pool", "")
        out = []
        for key in sorted(st.host_volumes):
            vol = st.host_volumes[key]
            if not (vol["Name"].startswith(prefix) or vol["ID"].startswith(prefix)):
                continue
            if (node_id and vol["NodeID"] != node_id) or (pool and vol["NodePool"] != pool):
                continue
            if ns != "*" and vol["Namespace"] != ns:
                continue
            out.append(dict((k, vol[k]) for k in STUB_FIELDS))
        headers = self.read_headers()
        start = self.query.get("next_token")
        if start:
            out = [v for v in out if "%s.%s" % (v["Namespace"], v["ID"]) >= start]
        per_page = int(self.query.get("per_page") or 0)
        if per_page and len(out) > per_page:
            nxt = out[per_page]
            headers["X-Nomad-NextToken"] = "%s.%s" % (nxt["Namespace"], nxt["ID"])
            out = out[:per_page]
        return 200, out, headers


ROUTES = [
    # every method reaches HostVolumeSpecificRequest; the ones it does not take answer 404 "resource not found"
    route("GET PUT POST DELETE HEAD PATCH", r"/v1/volume/host/(.*)", HostVolumes.host_volume_specific),
]
