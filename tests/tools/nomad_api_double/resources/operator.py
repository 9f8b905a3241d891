"""/v1/operator: autopilot configuration and health, raft configuration, license, snapshot save and
restore (command/agent/operator_endpoint.go, operator_endpoint_ce.go)."""

import base64
import gzip
import hashlib
import io
import json
import tarfile
import uuid

from ..common import HTTPFailure, field, format_duration, invalid_method_status, parse_duration, route


class Operator:
    """Handlers of /v1/operator/*."""

    # command/agent/operator_endpoint.go OperatorAutopilotConfiguration and OperatorServerHealth answer a
    # method they do not take with 404 "Invalid method" (CodedError(404, ErrInvalidMethod)), not 405
    @invalid_method_status(404)
    def autopilot_config(self):
        st = self.state
        self.auth(("operator", "read" if self.command == "GET" else "write"))
        if self.command == "GET":
            return 200, dict(st.autopilot), self.read_headers(st.autopilot["ModifyIndex"])
        body = self.json_body()
        new = dict(st.autopilot)
        try:
            for key in ("CleanupDeadServers", "MaxTrailingLogs", "MinQuorum", "EnableRedundancyZones",
                        "DisableUpgradeMigration", "EnableCustomUpgrades"):
                value = field(body, key, new[key])
                if isinstance(new[key], bool) != isinstance(value, bool):
                    raise ValueError("json: cannot unmarshal %s into Go struct field %s" % (type(value).__name__, key))
                new[key] = value
            for key in ("LastContactThreshold", "ServerStabilizationTime"):
                new[key] = format_duration(parse_duration(field(body, key, new[key])))
        except ValueError as exc:
            raise HTTPFailure(400, "Error parsing autopilot config: %s" % exc)
        if "cas" in self.query:
            try:
                cas = int(self.query["cas"])
            except ValueError as exc:
                raise HTTPFailure(400, "Error parsing cas value: %s" % exc)
            if cas != st.autopilot["ModifyIndex"]:
                return 200, False, self.write_headers(st.index)
        idx = st.next_index()
        new["ModifyIndex"] = idx
        st.autopilot = new
        return 200, True, self.write_headers(idx)

    @invalid_method_status(404)
    def autopilot_health(self):
        st = self.state
        self.auth(("operator", "read"))
        servers = [{"ID": str(uuid.UUID(int=i + 1)), "Name": name, "Address": addr, "SerfStatus": "alive",
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
        self.auth("management")
        servers = [{"ID": str(uuid.UUID(int=i + 1)), "Node": name, "Address": addr, "Leader": i == 0, "Voter": True,
                    "RaftProtocol": "3"} for i, (name, addr) in enumerate(self.state.servers)]
        return 200, {"Index": self.state.index, "Servers": servers}, self.read_headers()

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
    route("GET PUT", r"/v1/operator/license", Operator.operator_license),
    route("GET PUT POST", r"/v1/operator/snapshot", Operator.snapshot),
]
