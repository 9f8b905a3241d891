"""/v1/operator: autopilot configuration and health, raft configuration, license, snapshot save and
restore (command/agent/operator_endpoint.go, operator_endpoint_ce.go)."""

import base64
import gzip
import hashlib
import io
import json
import tarfile

from ..common import HTTPFailure, field, format_duration, invalid_method_status, parse_duration, route


def _json_kind(value):
    """encoding/json's name of a JSON value's kind in its UnmarshalTypeError text."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Operator:
    """Handlers of /v1/operator/*."""

    # command/agent/operator_endpoint.go OperatorAutopilotConfiguration and OperatorServerHealth answer a
    # method they do not take with 404 "Invalid method" (CodedError(404, ErrInvalidMethod)), not 405
    @invalid_method_status(404)
    def autopilot_config(self):
        """command/agent/operator_endpoint.go OperatorAutopilotConfiguration.

        Neither GET nor PUT sets X-Nomad-Index (the handler calls no setIndex/setMeta). PUT decodes the body
        into api.AutopilotConfiguration (api/operator_autopilot.go UnmarshalJSON: the two durations as Go
        duration strings, "" leaves 0) and copies EVERY field into the request: a field the body omits is
        stored as false, 0 or 0s (nothing is merged with the stored configuration, nothing is validated).
        ?cas=<n> compares with the stored ModifyIndex (nomad/state/autopilot.go AutopilotCASConfig): a mismatch
        answers 200 with the body false; without cas the answer is always true. Every accepted PUT is a Raft
        write with a new ModifyIndex, even when nothing changed."""
        st = self.state
        self.auth(("operator", "read" if self.command == "GET" else "write"))
        if self.command == "GET":
            return 200, dict(st.autopilot), {}
        body = self.json_body()
        if not isinstance(body, dict):
            raise HTTPFailure(400, "Error parsing autopilot config: json: cannot unmarshal %s into Go value of type "
                                   "struct { LastContactThreshold string; ServerStabilizationTime string; *api.Alias }"
                              % _json_kind(body))
        new = {}
        try:
            for key, kind in (("CleanupDeadServers", bool), ("MaxTrailingLogs", int), ("MinQuorum", int),
                              ("EnableRedundancyZones", bool), ("DisableUpgradeMigration", bool),
                              ("EnableCustomUpgrades", bool)):
                value = field(body, key, kind())
                if value is None:  # JSON null leaves the zero value (encoding/json)
                    value = kind()
                if kind is bool and not isinstance(value, bool):
                    raise ValueError("json: cannot unmarshal %s into Go struct field .%s of type bool"
                                     % (_json_kind(value), key))
                if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                    raise ValueError("json: cannot unmarshal %s into Go struct field .%s of type %s"
                                     % (_json_kind(value) + (" %s" % value if isinstance(value, (int, float))
                                                             and not isinstance(value, bool) else ""),
                                        key, "uint64" if key == "MaxTrailingLogs" else "uint"))
                new[key] = value
            for key in ("LastContactThreshold", "ServerStabilizationTime"):
                value = field(body, key, "")
                if value is None:
                    value = ""
                if not isinstance(value, str):
                    raise ValueError("json: cannot unmarshal %s into Go struct field .%s of type string"
                                     % (_json_kind(value), key))
                new[key] = format_duration(parse_duration(value)) if value else "0s"
        except ValueError as exc:
            raise HTTPFailure(400, "Error parsing autopilot config: %s" % exc)
        if "cas" in self.query:
            try:
                cas = int(self.query["cas"])
                if cas < 0:
                    raise ValueError("invalid syntax")
            except ValueError:
                raise HTTPFailure(400, 'Error parsing cas value: strconv.ParseUint: parsing "%s": invalid syntax'
                                  % self.query["cas"])
            if cas != st.autopilot["ModifyIndex"]:
                return 200, False, {}
        idx = st.next_index()
        new["CreateIndex"] = st.autopilot.get("CreateIndex", idx)
        new["ModifyIndex"] = idx
        st.autopilot = dict((k, new[k]) for k in st.autopilot)
        return 200, True, {}

    @invalid_method_status(404)
    def autopilot_health(self):
        st = self.state
        self.auth(("operator", "read"))
        servers = [{"ID": st.server_ids[name], "Name": name, "Address": addr, "SerfStatus": "alive",
                    "Version": st.server_version, "Leader": i == 0, "LastContact": "0s" if i == 0 else "12ms", "LastTerm": 2,
                    "LastIndex": st.index, "Healthy": st.autopilot_healthy or i != 2, "Voter": True,
                    "StableSince": "2026-11-24T10:00:00Z"} for i, (name, addr) in enumerate(st.servers)]
        body = {"Healthy": st.autopilot_healthy, "FailureTolerance": 1 if st.autopilot_healthy else 0,
                "Voters": [s["ID"] for s in servers], "Leader": servers[0]["ID"], "Servers": servers}
        return (200 if st.autopilot_healthy else 429), body, self.read_headers()

    def operator_license(self):
        """command/agent/operator_endpoint_ce.go LicenseRequest: the community edition answers GET with
        204 and no body (no ACL check), PUT with 501.

        Enterprise (not public source): GET answers 200 {"License": {...}, "ConfigOutdated": false}
        (api/operator.go LicenseReply) to a token with operator read (Nomad's docs: operator/license); the
        double does not take license writes."""
        if not self.state.enterprise:
            if self.command == "PUT":
                raise HTTPFailure(501, "Nomad Enterprise only endpoint")
            return 204, None, {}
        if self.command == "PUT":
            raise HTTPFailure(501, "the Nomad API double does not take license writes")
        self.auth(("operator", "read"))
        lic = {"LicenseID": "00000000-0000-4000-8000-000000000001", "CustomerID": "edgeops-tests",
               "InstallationID": "*", "IssueTime": "2026-01-01T00:00:00Z", "StartTime": "2026-01-01T00:00:00Z",
               "ExpirationTime": "2036-01-01T00:00:00Z", "TerminationTime": "2036-01-01T00:00:00Z",
               "NonProduction": False, "Product": "nomad", "Flags": {}, "Modules": ["governance-policy", "multicluster-and-efficiency"],
               "Features": ["Node Pools Governance", "Resource Quotas", "Sentinel Policies"]}
        return 200, {"License": lic, "ConfigOutdated": False}, self.read_headers()

    def raft_configuration(self):
        """nomad/operator_endpoint.go RaftGetConfiguration: management only; one entry per Raft server with its
        ID (the server's node-id), Node (the Serf member name, <name>.<region>), Address, Leader, Voter."""
        self.auth("management")
        servers = [{"ID": self.state.server_ids[name], "Node": name, "Address": addr, "Leader": i == 0, "Voter": True,
                    "RaftProtocol": "3"} for i, (name, addr) in enumerate(self.state.servers)]
        return 200, {"Index": self.state.index, "Servers": servers}, self.read_headers()

    @invalid_method_status(404)
    def raft_peer(self):
        """command/agent/operator_endpoint.go OperatorRaftPeer (DELETE only, 404 Invalid method otherwise; ?address
        and a missing ?id are 400) and nomad/operator_endpoint.go RaftRemovePeerByID (management only; an ID that
        is not a Raft server is an uncoded error, so 500 with its text; success answers 200 with no body)."""
        if "address" in self.query:
            raise HTTPFailure(400, "Removing a peer by address is not supported in the current raft protocol version")
        if "id" not in self.query:
            raise HTTPFailure(400, "Must specify the peer's ID to remove")
        self.auth("management")
        if not self.state.remove_server(self.query["id"]):
            raise HTTPFailure(500, 'id "%s" was not found in the Raft configuration' % self.query["id"])
        return 200, None, {}

    def snapshot(self):
        st = self.state
        self.auth("management")
        if self.command == "GET":
            state_bin = json.dumps(st.snapshot_tables(), sort_keys=True).encode()
            meta = json.dumps({"ID": "double-%d" % st.index, "Index": st.index, "Term": 2, "Version": 1}).encode()
            sums = "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name)
                           for name, data in (("meta.json", meta), ("state.bin", state_bin))).encode()
            raw = io.BytesIO()
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w") as tar:
                    for name, data in (("meta.json", meta), ("state.bin", state_bin), ("SHA256SUMS", sums)):
                        info = tarfile.TarInfo(name)
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
            payload = raw.getvalue()
            digest = base64.b64encode(hashlib.sha256(payload).digest()).decode()
            return 200, payload, {"Content-Type": "application/x-gzip", "Digest": "sha-256=" + digest,
                                  "X-Nomad-Index": str(st.index)}
        if not self.body:
            raise HTTPFailure(400, "Request body is empty")
        try:
            with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BytesIO(self.body)), mode="r") as tar:
                files = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())
            for line in files["SHA256SUMS"].decode().splitlines():
                digest, name = line.split("  ", 1)
                if hashlib.sha256(files[name]).hexdigest() != digest:
                    raise ValueError("sha256 hash mismatch for %s" % name)
            tables = json.loads(files["state.bin"].decode())
        except (OSError, EOFError, KeyError, ValueError, tarfile.TarError) as exc:
            raise HTTPFailure(500, "failed to read snapshot file: %s" % exc)
        st.restore_tables(tables)
        return 200, None, {}


ROUTES = [
    route("GET PUT", r"/v1/operator/autopilot/configuration", Operator.autopilot_config),
    route("GET", r"/v1/operator/autopilot/health", Operator.autopilot_health),
    route("GET", r"/v1/operator/raft/configuration", Operator.raft_configuration),
    route("DELETE", r"/v1/operator/raft/peer", Operator.raft_peer),
    route("GET PUT", r"/v1/operator/license", Operator.operator_license),
    route("GET PUT POST", r"/v1/operator/snapshot", Operator.snapshot),
]
