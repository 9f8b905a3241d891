"""Nomad API double: an in-memory stand-in for Nomad's HTTP API, for tests only.

Every behaviour here is taken from the documented facts in /work/shared/nomad/api-endpoints.md
(methods, paths, PascalCase JSON, text/plain error bodies, status codes and texts, X-Nomad-Index,
X-Nomad-Token / Authorization: Bearer, 403 "Permission denied" / "ACL token not found").
Simplifications (documented in README.md): ACL policies are stored and parsed but a non-management
token is only allowed the endpoints that need no capability or "any valid token"; the scheduler is
not simulated (drains and deployments complete after a few reads).

Test-only control endpoints live under /_double/ (never a Nomad path).
"""

import base64
import copy
import fnmatch
import gzip
import hashlib
import io
import json
import re
import ssl
import tarfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import hcl2
except ImportError:  # pragma: no cover - the dev venv has python-hcl2
    hcl2 = None

POOL_RE = re.compile(r"^[a-zA-Z0-9-_]{1,128}$")
NAMESPACE_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
POLICY_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
VAR_PATH_RE = re.compile(r"^[a-zA-Z0-9-_~/]{1,128}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DEPRECATED_GROUP_KEYS = ("MaxClientDisconnect", "StopAfterClientDisconnect", "PreventRescheduleOnLost")

_DUR_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}


class HTTPFailure(Exception):
    """An error answer: text/plain body, like Nomad's HTTP layer."""

    def __init__(self, status, text, body=None):
        super().__init__(text)
        self.status = status
        self.text = text
        self.body = body


def parse_duration(value):
    """Go time.ParseDuration subset -> nanoseconds. Numbers are taken as nanoseconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value:
        raise ValueError("invalid duration %r" % (value,))
    if value == "0":
        return 0
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError('time: invalid duration "%s"' % value)
    return int(sum(float(n) * _DUR_UNITS[u] for n, u in parts))


def format_duration(ns):
    """Go time.Duration.String() for whole values: 86400s -> 24h0m0s, 0.2s -> 200ms."""
    if ns == 0:
        return "0s"
    if ns < 10 ** 9:
        for unit, size in (("ms", 10 ** 6), ("us", 1000)):
            if ns % size == 0:
                return "%d%s" % (ns // size, unit)
        return "%dns" % ns
    secs, rem = divmod(ns, 10 ** 9)
    hours, secs = divmod(secs, 3600)
    mins, secs = divmod(secs, 60)
    sec_text = "%d" % secs if not rem else ("%d.%09d" % (secs, rem)).rstrip("0")
    if hours:
        return "%dh%dm%ss" % (hours, mins, sec_text)
    if mins:
        return "%dm%ss" % (mins, sec_text)
    return "%ss" % sec_text


def field(obj, name, default=None):
    """Go encoding/json matches field names case-insensitively."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if key.lower() == lowered:
            return value
    return default


def pascal(key):
    """HCL snake_case key -> api.Job PascalCase field (with Nomad's acronyms)."""
    special = {"id": "ID", "cpu": "CPU", "memory": "MemoryMB", "memory_max": "MemoryMaxMB",
               "datacenters": "Datacenters", "node_pool": "NodePool"}
    if key in special:
        return special[key]
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


class DoubleState:
    """All server-side state of the double, guarded by one lock."""

    def __init__(self, acl=False, nodes=4, region="global"):
        self.lock = threading.RLock()
        self.region = region
        self.acl_enabled = acl
        self.index = 100
        self.acl_bootstrap_index = 0  # raft index of the bootstrap; 0 = never bootstrapped
        self.acl_reset_index = 0  # operator wrote this into acl-bootstrap-reset
        self.tokens = {}  # AccessorID -> token
        self.policies = {}
        self.namespaces = {}
        self.node_pools = {}
        self.nodes = {}
        self.jobs = {}  # (namespace, id) -> job
        self.deployments = {}  # (namespace, id) -> latest deployment
        self.variables = {}  # (namespace, path) -> variable
        self.autopilot = {"CleanupDeadServers": True, "LastContactThreshold": "200ms", "MaxTrailingLogs": 250,
                          "MinQuorum": 0, "ServerStabilizationTime": "10s", "EnableRedundancyZones": False,
                          "DisableUpgradeMigration": False, "EnableCustomUpgrades": False,
                          "CreateIndex": 5, "ModifyIndex": 5}
        self.autopilot_healthy = True
        self.servers = [("nomad-server-%d" % i, "10.0.0.%d:4647" % (i + 1)) for i in range(3)]
        self.drain_polls = 2  # reads of a draining node before its drain completes
        self.deployment_polls = 1
        self.faults = []
        self.requests = []
        self.issued_secrets = set()  # every SecretID ever handed out, for leak checks
        for name, desc in (("all", "Node pool with all nodes in the cluster."),
                           ("default", "Default node pool.")):
            self.node_pools[name] = {"Name": name, "Description": desc, "Meta": None, "NodeIdentityTTL": "24h0m0s",
                                     "SchedulerConfiguration": None, "CreateIndex": 1, "ModifyIndex": 1}
        self.namespaces["default"] = self._namespace("default", "Default shared namespace", None, 1)
        self.add_nodes(nodes)

    # -- helpers ---------------------------------------------------------------
    def next_index(self):
        self.index += 1
        return self.index

    @staticmethod
    def _namespace(name, description, meta, index):
        return {"Name": name, "Description": description, "Quota": "", "Capabilities": None,
                "NodePoolConfiguration": None, "VaultConfiguration": None, "ConsulConfiguration": None,
                "Meta": meta, "RequiredExtraClaims": None, "OptionalExtraClaims": None,
                "CreateIndex": index, "ModifyIndex": index}

    def add_nodes(self, count, start=0):
        """Deterministic fake client nodes: 4 pools x 2 datacenters x linux/windows x amd64/arm64."""
        pools = ("default", "edge-arm", "edge-x86", "gpu")
        for i in range(start, start + count):
            node_id = str(uuid.UUID(int=(0x5EED << 96) + i))
            pool = pools[i % len(pools)]
            windows = i % 5 == 4
            arch = "arm64" if pool == "edge-arm" else "amd64"
            address = "10.%d.%d.%d" % (10 + (i >> 16) % 200, (i >> 8) % 256, i % 256)
            self.nodes[node_id] = {
                "ID": node_id, "SecretID": "", "Name": "edge-%05d" % i, "Datacenter": "dc%d" % (1 + i % 2),
                "NodePool": pool, "NodeClass": "gpu" if pool == "gpu" else "", "HTTPAddr": address + ":4646",
                "TLSEnabled": False, "Status": "down" if i % 7 == 6 else "ready", "StatusDescription": "",
                "SchedulingEligibility": "eligible", "Drain": False, "DrainStrategy": None, "LastDrain": None,
                "Attributes": {"os.name": "windows" if windows else "ubuntu", "kernel.name": "windows" if windows else "linux",
                               "cpu.arch": arch, "nomad.version": "2.0.5", "unique.network.ip-address": address},
                "Meta": {"rack": "r%d" % (i % 3)},
                "Drivers": {"exec": {"Attributes": None, "Detected": True, "Healthy": True, "HealthDescription": "Healthy",
                                     "UpdateTime": "2026-11-24T10:00:00Z"}},
                "HostVolumes": {}, "CreateIndex": 20 + i, "ModifyIndex": 20 + i,
                "_drain_reads": 0,
            }
            if pool not in self.node_pools:  # a missing pool is created when a node registers in it
                self.node_pools[pool] = {"Name": pool, "Description": "", "Meta": None, "NodeIdentityTTL": "24h0m0s",
                                         "SchedulerConfiguration": None, "CreateIndex": 10, "ModifyIndex": 10}

    def snapshot_tables(self):
        keep = ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "variables",
                "autopilot")
        tables = dict((k, getattr(self, k)) for k in keep)
        tables["jobs"] = [[k[0], k[1], v] for k, v in self.jobs.items()]
        tables["variables"] = [[k[0], k[1], v] for k, v in self.variables.items()]
        return tables

    def restore_tables(self, tables):
        for key in ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "autopilot"):
            setattr(self, key, tables[key])
        self.jobs = dict(((ns, jid), job) for ns, jid, job in tables["jobs"])
        self.variables = dict(((ns, p), var) for ns, p, var in tables["variables"])


def _node_stub(node, with_os, with_resources):
    stub = {k: node[k] for k in ("Address", "ID", "Datacenter", "Name", "NodePool", "NodeClass", "Version", "Drain",
                                 "SchedulingEligibility", "Status", "StatusDescription", "Drivers", "HostVolumes",
                                 "LastDrain", "CreateIndex", "ModifyIndex") if k in node}
    stub["Address"] = node["Attributes"]["unique.network.ip-address"]
    stub["Version"] = node["Attributes"].get("nomad.version", "")
    if with_os:
        stub["Attributes"] = {"os.name": node["Attributes"].get("os.name", "")}
    if with_resources:
        stub["NodeResources"] = {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192}}
        stub["ReservedResources"] = None
    return stub


def bexpr_subset(expression):
    """A small subset of go-bexpr: `Field == "v"` / `Field != "v"` clauses joined by `and`.

    Anything else is answered with 400, so a test never silently passes on an unsupported filter.
    """
    if not expression:
        return lambda obj: True
    clauses = []
    for part in re.split(r"\s+and\s+", expression.strip()):
        found = re.match(r'^([A-Za-z.]+)\s*(==|!=)\s*"([^"]*)"$', part.strip())
        if not found:
            raise HTTPFailure(400, "failed to read filter expression: the Nomad API double only supports "
                                   "'Field == \"v\"' clauses joined by 'and': %s" % part)
        clauses.append(found.groups())

    def lookup(obj, dotted):
        for key in dotted.split("."):
            obj = obj.get(key) if isinstance(obj, dict) else None
        return obj

    return lambda obj: all((str(lookup(obj, f)) == v) == (op == "==") for f, op, v in clauses)


_NS_READ = {"list-jobs", "parse-job", "read-job", "csi-list-volume", "csi-read-volume", "read-job-scaling",
            "list-scaling-policies", "read-scaling-policy", "host-volume-read"}
_NS_WRITE = _NS_READ | {"submit-job", "dispatch-job", "read-logs", "read-fs", "alloc-exec", "alloc-lifecycle",
                        "csi-mount-volume", "csi-write-volume", "submit-recommendation", "scale-job", "plan-job",
                        "register-job", "deregister-job", "purge-job", "revert-job", "host-volume-register"}
_POOL = {"read": {"read"}, "write": {"read", "write", "delete"}, "deny": {"deny"}}


def _unquote(value):
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def policy_grants(rules):
    """ACL policy rules -> {"namespace": [(glob, caps)], "node_pool": [...], "node": [(None, level)], ...}."""
    parsed = hcl2.loads(rules) if rules and rules.strip() else {}
    out = {}
    for kind in ("node", "operator", "agent"):
        for block in parsed.get(kind) or []:
            out.setdefault(kind, []).append((None, _unquote(block.get("policy", "deny"))))
    for kind in ("namespace", "node_pool"):
        for block in parsed.get(kind) or []:
            for label, body in block.items():
                if label == "__is_block__" or not isinstance(body, dict):
                    continue
                level = _unquote(body.get("policy"))
                if kind == "namespace":
                    caps = set(_NS_WRITE if level == "write" else _NS_READ if level == "read" else ())
                else:
                    caps = set(_POOL.get(level, ()))
                if level == "deny":
                    caps = {"deny"}
                caps |= set(_unquote(c) for c in body.get("capabilities") or [])
                out.setdefault(kind, []).append((_unquote(label), caps))
    return out


def _public_node(node):
    return {k: copy.deepcopy(v) for k, v in node.items() if not k.startswith("_")}


class Handler(BaseHTTPRequestHandler):
    server_version = "NomadAPIDouble/2.0.5"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    # -- plumbing ----------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

    @property
    def state(self):
        return self.server.state

    def _dispatch(self):
        parts = urlsplit(self.path)
        self.route_path = parts.path
        self.query = dict((k, v[-1]) for k, v in parse_qs(parts.query, keep_blank_values=True).items())
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.token = self._token()
        with self.state.lock:
            self.state.requests.append({"method": self.command, "path": self.route_path, "query": dict(self.query),
                                        "has_token": bool(self.token)})
        try:
            fault = self._fault()
            if fault:
                raise HTTPFailure(fault["status"], fault.get("body", "injected fault"))
            handler, groups = self._route()
            with self.state.lock:
                result = handler(self, *groups)
            self._answer(*result)
        except HTTPFailure as exc:
            if exc.body is not None:
                self._answer(exc.status, exc.body, {"X-Nomad-Index": str(self.state.index)})
            else:
                self._send(exc.status, exc.text.encode(), "text/plain; charset=utf-8", {})

    def _fault(self):
        with self.state.lock:
            for fault in self.state.faults:
                if fault["remaining"] and self.route_path.startswith(fault["path"]) and \
                        fault.get("method") in (None, self.command):
                    fault["remaining"] -= 1
                    return fault
        return None

    def _token(self):
        token = (self.headers.get("X-Nomad-Token") or "").strip()
        if not token:
            auth = (self.headers.get("Authorization") or "").strip().split(" ")
            if len(auth) >= 2 and auth[0].lower() == "bearer":
                token = auth[1]
        return token

    def _answer(self, status, data, headers=None):
        headers = dict(headers or {})
        if isinstance(data, bytes):
            self._send(status, data, headers.pop("Content-Type", "application/octet-stream"), headers)
            return
        payload = b"" if data is None else json.dumps(data).encode()
        self._send(status, payload, "application/json", headers)

    def _send(self, status, payload, ctype, headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _route(self):
        for methods, regex, handler in ROUTES:
            match = regex.match(self.route_path)
            if match:
                if self.command not in methods:
                    if handler in (Handler.autopilot_config, Handler.autopilot_health):
                        raise HTTPFailure(404, "Invalid method")
                    raise HTTPFailure(405, "Invalid method")
                return handler, [unquote(g) for g in match.groups()]
        raise HTTPFailure(404, "Invalid URL")  # placeholder text for unknown paths

    def json_body(self, required=True):
        if not self.body:
            if required:
                raise HTTPFailure(400, "Request body is empty")
            return None
        try:
            return json.loads(self.body.decode())
        except ValueError as exc:
            raise HTTPFailure(400, "invalid character in request body: %s" % exc)

    def read_headers(self, index=None):
        return {"X-Nomad-Index": str(index if index is not None else self.state.index),
                "X-Nomad-KnownLeader": "true", "X-Nomad-LastContact": "0"}

    def write_headers(self, index):
        return {"X-Nomad-Index": str(index)}

    def namespace(self):
        return self.query.get("namespace") or "default"

    # -- ACL -------------------------------------------------------------------
    def auth(self, need):
        """need: none | any (valid token) | management | (scope, capability[, name]). ACLs off: all pass."""
        st = self.state
        if need == "none" or not st.acl_enabled or getattr(self, "_bypass_auth", False):
            return None
        if not self.token:
            raise HTTPFailure(403, "Permission denied")  # anonymous: no anonymous policy in the double
        token = next((t for t in st.tokens.values() if t["SecretID"] == self.token), None)
        if token is None:
            raise HTTPFailure(403, "ACL token not found")
        if token.get("ExpirationTime") and token["_expires"] < time.time():
            raise HTTPFailure(403, "ACL token expired")
        if need == "any" or token["Type"] == "management":
            return token
        if need == "management" or not self.allowed(token, *need):
            raise HTTPFailure(403, "Permission denied")
        return token

    def allowed(self, token, scope, cap, name=None):
        """Evaluate the token's policies (coarse policy values and capability lists, glob labels)."""
        if token is None or token["Type"] == "management":
            return True
        grants = {}
        for pname in token.get("Policies") or []:
            policy = self.state.policies.get(pname)
            if policy:
                for key, value in policy_grants(policy["Rules"]).items():
                    grants.setdefault(key, []).extend(value)
        if scope in ("node", "operator", "agent"):
            levels = [lvl for (glob, lvl) in grants.get(scope, [])]
            if "deny" in levels:
                return False
            return "write" in levels or (cap == "read" and "read" in levels)
        matches = [(glob != "*", len(glob), caps) for glob, caps in grants.get(scope, []) if fnmatch.fnmatchcase(name or "", glob)]
        if not matches:
            return False
        caps = max(matches, key=lambda m: m[:2])[2]
        if "deny" in caps:
            return False
        return bool(caps) if cap is None else cap in caps

    # -- status / agent ------------------------------------------------------------
    def status_leader(self):
        self.auth("none")
        return 200, self.state.servers[0][1], {}

    def status_peers(self):
        self.auth("none")
        return 200, [addr for dummy, addr in self.state.servers], {}

    def agent_health(self):
        return 200, {"client": {"ok": True, "message": "ok"}, "server": {"ok": True, "message": "ok"}}, {}

    def agent_self(self):
        self.auth(("agent", "read"))
        return 200, {"config": {"Region": self.state.region, "Datacenter": "dc1", "NodeName": "nomad-server-0",
                                "Version": {"Version": "2.0.5", "VersionPrerelease": "", "VersionMetadata": "",
                                            "Revision": "double"},
                                "ACL": {"Enabled": self.state.acl_enabled, "ReplicationToken": "<redacted>"}},
                     "member": {"Name": "nomad-server-0.global", "Addr": "10.0.0.1", "Port": 4648, "Status": "alive",
                                "Tags": {"role": "nomad", "region": self.state.region}},
                     "stats": {"nomad": {"leader": "true"}}}, {}

    # -- ACL endpoints -------------------------------------------------------------
    def acl_bootstrap(self):
        st = self.state
        if not st.acl_enabled:
            raise HTTPFailure(400, "ACL support disabled")
        body = self.json_body(required=False) or {}
        secret = field(body, "BootstrapSecret") or ""
        if st.acl_bootstrap_index:
            if st.acl_reset_index != st.acl_bootstrap_index:
                raise HTTPFailure(400, "ACL bootstrap already done (reset index: %d)" % st.acl_bootstrap_index)
        if secret and not UUID_RE.match(secret):
            raise HTTPFailure(400, "invalid acl token")
        idx = st.next_index()
        token = self._new_token({"Name": "Bootstrap Token", "Type": "management", "Global": True}, idx,
                                secret=secret or None)
        st.acl_bootstrap_index = idx
        st.acl_reset_index = 0
        return 200, self._token_out(token), self.write_headers(idx)

    def _new_token(self, spec, idx, secret=None):
        accessor = str(uuid.uuid4())
        token = {"AccessorID": accessor, "SecretID": secret or str(uuid.uuid4()), "Name": spec.get("Name", ""),
                 "Type": spec.get("Type", "client"), "Policies": spec.get("Policies"), "Roles": spec.get("Roles"),
                 "Global": bool(spec.get("Global")), "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "ExpirationTime": None, "ExpirationTTL": spec.get("ExpirationTTL", 0) or 0, "Hash": "",
                 "CreateIndex": idx, "ModifyIndex": idx, "_expires": 0}
        if token["ExpirationTTL"]:
            token["_expires"] = time.time() + token["ExpirationTTL"] / 1e9
            token["ExpirationTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(token["_expires"]))
        token["Hash"] = base64.b64encode(hashlib.sha256(json.dumps(
            [token["Name"], token["Type"], token["Policies"], token["Global"]]).encode()).digest()).decode()
        self.state.tokens[accessor] = token
        self.state.issued_secrets.add(token["SecretID"])
        return token

    @staticmethod
    def _token_out(token, stub=False):
        out = {k: copy.deepcopy(v) for k, v in token.items() if not k.startswith("_")}
        if stub:
            out.pop("SecretID", None)
            out.pop("ExpirationTTL", None)
        return out

    def acl_policies(self):
        token = self.auth("any")
        prefix = self.query.get("prefix", "")
        visible = [p for p in self.state.policies.values() if p["Name"].startswith(prefix) and (
            token is None or token["Type"] == "management" or p["Name"] in (token["Policies"] or []))]
        return 200, [{k: p[k] for k in ("Name", "Description", "JobACL", "Hash", "CreateIndex", "ModifyIndex")}
                     for p in sorted(visible, key=lambda p: p["Name"])], self.read_headers()

    def acl_policy(self, name):
        if not name:
            raise HTTPFailure(400, "Missing Policy Name")
        if self.command == "GET":
            token = self.auth("any")
            if token and token["Type"] != "management" and name not in (token["Policies"] or []):
                raise HTTPFailure(403, "Permission denied")
            policy = self.state.policies.get(name)
            if policy is None:
                raise HTTPFailure(404, "ACL policy not found")
            return 200, copy.deepcopy(policy), self.read_headers(policy["ModifyIndex"])
        self.auth("management")
        if self.command == "DELETE":
            self.state.policies.pop(name, None)
            return 200, None, self.write_headers(self.state.next_index())
        body = self.json_body()
        pname = field(body, "Name") or ""
        if pname != name:
            raise HTTPFailure(400, "ACL policy name does not match request path")
        if not POLICY_RE.match(pname):
            raise HTTPFailure(400, "policy 0 invalid: invalid name '%s'" % pname)
        description = field(body, "Description") or ""
        if len(description) > 256:
            raise HTTPFailure(400, "policy 0 invalid: description longer than 256")
        rules = field(body, "Rules") or ""
        try:
            parsed = hcl2.loads(rules) if rules.strip() else {}
        except Exception as exc:  # noqa: BLE001 - any parser error is a 400
            raise HTTPFailure(400, "failed to parse rules: %s" % str(exc).splitlines()[0])
        known = {"namespace", "node_pool", "node", "agent", "operator", "quota", "plugin", "host_volume"}
        unknown = set(parsed) - known
        if unknown:
            raise HTTPFailure(400, "failed to parse rules: Unsupported block type %s" % sorted(unknown)[0])
        idx = self.state.next_index()
        old = self.state.policies.get(name)
        self.state.policies[name] = {"Name": name, "Description": description, "Rules": rules,
                                     "JobACL": field(body, "JobACL"),
                                     "Hash": base64.b64encode(hashlib.sha256(rules.encode()).digest()).decode(),
                                     "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx}
        return 200, None, self.write_headers(idx)

    def acl_tokens(self):
        self.auth("management")
        prefix = self.query.get("prefix", "")
        out = [self._token_out(t, stub=True) for t in self.state.tokens.values() if t["AccessorID"].startswith(prefix)]
        return 200, sorted(out, key=lambda t: t["CreateIndex"]), self.read_headers()

    def acl_token_self(self):
        token = self.auth("any")
        if token is None:
            raise HTTPFailure(400, "ACL support disabled")
        return 200, self._token_out(token), self.read_headers(token["ModifyIndex"])

    def acl_token(self, accessor=""):
        st = self.state
        if self.command == "GET":
            caller = self.auth("any")
            if not accessor:
                raise HTTPFailure(400, "Missing Token Accessor")
            if caller and caller["Type"] != "management" and caller["AccessorID"] != accessor:
                raise HTTPFailure(403, "Permission denied")
            token = st.tokens.get(accessor)
            if token is None:
                raise HTTPFailure(404, "ACL token not found")
            return 200, self._token_out(token), self.read_headers(token["ModifyIndex"])
        self.auth("management")
        if self.command == "DELETE":
            st.tokens.pop(accessor, None)
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if accessor and (field(body, "AccessorID") or "") != accessor:
            raise HTTPFailure(400, "ACL token accessor does not match request path")
        spec = {"Name": field(body, "Name") or "", "Type": field(body, "Type") or "client",
                "Policies": field(body, "Policies"), "Roles": field(body, "Roles"), "Global": field(body, "Global"),
                "ExpirationTTL": field(body, "ExpirationTTL") or 0}
        if isinstance(spec["ExpirationTTL"], str):
            try:
                spec["ExpirationTTL"] = parse_duration(spec["ExpirationTTL"])
            except ValueError as exc:
                raise HTTPFailure(400, str(exc))
        if len(spec["Name"]) > 256:
            raise HTTPFailure(500, "token name too long")
        if spec["Type"] not in ("client", "management"):
            raise HTTPFailure(500, "token type must be client or management")
        if spec["Type"] == "client" and not (spec["Policies"] or spec["Roles"]):
            raise HTTPFailure(500, "client token missing policies or roles")
        if spec["Type"] == "management" and (spec["Policies"] or spec["Roles"]):
            raise HTTPFailure(500, "management token cannot be associated with policies or roles")
        for pol in spec["Policies"] or []:
            if pol not in st.policies:
                raise HTTPFailure(500, "cannot find policy %s" % pol)
        idx = st.next_index()
        if accessor:
            token = st.tokens.get(accessor)
            if token is None:
                raise HTTPFailure(500, "Cannot find token %s" % accessor)
            token.update({"Name": spec["Name"], "Policies": spec["Policies"], "Roles": spec["Roles"], "ModifyIndex": idx})
        else:
            token = self._new_token(spec, idx)
        return 200, self._token_out(token), self.write_headers(idx)

    # -- namespaces ------------------------------------------------------------------
    def namespaces_list(self):
        token = self.auth("any")
        prefix = self.query.get("prefix", "")
        out = [copy.deepcopy(n) for name, n in sorted(self.state.namespaces.items()) if name.startswith(prefix)
               and self.allowed(token, "namespace", None, name)]
        return 200, out, self.read_headers()

    def namespace_obj(self, name=""):
        st = self.state
        if self.command == "GET":
            self.auth(("namespace", None, name))
            if not name:
                raise HTTPFailure(400, "Missing Namespace Name")
            ns = st.namespaces.get(name)
            if ns is None:
                raise HTTPFailure(404, "Namespace not found")
            return 200, copy.deepcopy(ns), self.read_headers(ns["ModifyIndex"])
        self.auth("management")
        if self.command == "DELETE":
            if name == "default":
                raise HTTPFailure(500, "can not delete default namespace")
            if any(ns == name and not job["Stop"] for (ns, dummy), job in st.jobs.items()):
                raise HTTPFailure(500, "namespace %q has non-terminal jobs in regions: [%s]".replace("%q", '"%s"')
                                  % (name, st.region))
            if name not in st.namespaces:
                raise HTTPFailure(404, "Namespace not found")
            del st.namespaces[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        nname = field(body, "Name") or ""
        if name and nname != name:
            raise HTTPFailure(400, "Namespace name does not match request path")
        if not NAMESPACE_RE.match(nname):
            raise HTTPFailure(500, 'Invalid namespace "%s": invalid name "%s". Must match regex %s'
                              % (nname, nname, NAMESPACE_RE.pattern))
        description = field(body, "Description") or ""
        if len(description) > 256:
            raise HTTPFailure(500, 'Invalid namespace "%s": description longer than 256' % nname)
        idx = st.next_index()
        old = st.namespaces.get(nname)
        ns = self.state._namespace(nname, description, field(body, "Meta") or None, old["CreateIndex"] if old else idx)
        ns["Capabilities"] = field(body, "Capabilities")
        ns["ModifyIndex"] = idx
        st.namespaces[nname] = ns
        return 200, None, self.write_headers(idx)

    # -- node pools --------------------------------------------------------------------
    def node_pools(self):
        st = self.state
        if self.command == "GET":
            token = self.auth("any")
            prefix = self.query.get("prefix", "")
            out = [copy.deepcopy(p) for name, p in sorted(st.node_pools.items()) if name.startswith(prefix)
                   and self.allowed(token, "node_pool", "read", name)]
            return 200, out, self.read_headers()
        return self.node_pool(None)

    def node_pool(self, name):
        st = self.state
        cap = {"GET": "read", "DELETE": "delete"}.get(self.command, "write")
        self.auth(("node_pool", cap, name if name is not None else field(self.json_body(required=False), "Name") or ""))
        if self.command == "GET":
            pool = st.node_pools.get(name)
            if pool is None:
                raise HTTPFailure(404, "node pool not found")
            return 200, copy.deepcopy(pool), self.read_headers(pool["ModifyIndex"])
        if self.command == "DELETE":
            if not name:
                raise HTTPFailure(400, "node pool name is empty")
            if name in ("all", "default"):
                raise HTTPFailure(400, 'modifying node pool "%s" is not allowed' % name)
            if name not in st.node_pools:
                raise HTTPFailure(404, "node pool not found")
            if any(n["NodePool"] == name for n in st.nodes.values()):
                raise HTTPFailure(500, 'node pool "%s" has nodes in regions: [%s]' % (name, st.region))
            if any(j["NodePool"] == name and not j["Stop"] for j in st.jobs.values()):
                raise HTTPFailure(500, 'node pool "%s" has non-terminal jobs in regions: [%s]' % (name, st.region))
            del st.node_pools[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        pname = field(body, "Name") or ""
        if name is not None and pname != name:
            raise HTTPFailure(400, "Node pool name does not match request path")
        if not pname:
            raise HTTPFailure(400, "must specify at least one node pool")
        if pname in ("all", "default"):
            raise HTTPFailure(400, 'modifying node pool "%s" is not allowed' % pname)
        errors = []
        if not POOL_RE.match(pname):
            errors.append('invalid name "%s", must match regex %s' % (pname, POOL_RE.pattern))
        description = field(body, "Description") or ""
        if len(description) > 256:
            errors.append("description longer than 256")
        sched = field(body, "SchedulerConfiguration")
        if sched is not None:
            algo = field(sched, "SchedulerAlgorithm") or ""
            if algo not in ("", "binpack", "spread"):
                errors.append("invalid scheduler algorithm: %s" % algo)
            sched = {"SchedulerAlgorithm": algo, "MemoryOversubscriptionEnabled": field(sched, "MemoryOversubscriptionEnabled")}
        ttl = field(body, "NodeIdentityTTL")
        try:
            ttl_ns = parse_duration(ttl) if ttl not in (None, "", 0) else 24 * 3600 * 10 ** 9
        except ValueError as exc:
            errors.append(str(exc))
            ttl_ns = 0
        if errors:
            raise HTTPFailure(400, 'invalid node pool "%s": %s' % (pname, "; ".join(errors)))
        idx = st.next_index()
        old = st.node_pools.get(pname)
        st.node_pools[pname] = {"Name": pname, "Description": description, "Meta": field(body, "Meta") or None,
                                "NodeIdentityTTL": format_duration(ttl_ns), "SchedulerConfiguration": sched,
                                "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx}
        return 200, None, self.write_headers(idx)

    # -- nodes -----------------------------------------------------------------------
    def nodes_list(self):
        self.auth(("node", "read"))
        prefix = self.query.get("prefix", "")
        with_os = self.query.get("os") == "true"
        with_res = self.query.get("resources") == "true"
        match = bexpr_subset(self.query.get("filter"))
        nodes = sorted((n for n in self.state.nodes.values() if n["ID"].startswith(prefix)
                        and match(_node_stub(n, True, False))), key=lambda n: n["ID"])
        headers = self.read_headers()
        per_page = int(self.query.get("per_page") or 0)
        next_token = self.query.get("next_token")
        if next_token:
            nodes = [n for n in nodes if n["ID"] >= next_token]
        if per_page and len(nodes) > per_page:
            headers["X-Nomad-NextToken"] = nodes[per_page]["ID"]
            nodes = nodes[:per_page]
        return 200, [_node_stub(n, with_os, with_res) for n in nodes], headers

    def node_get(self, node_id):
        self.auth(("node", "read"))
        node = self.state.nodes.get(node_id)
        if node is None:
            raise HTTPFailure(404, "node not found")
        if node["DrainStrategy"] is not None and not getattr(self, "_bypass_auth", False):  # stand-in for time
            node["_drain_reads"] += 1
            if node["_drain_reads"] >= self.state.drain_polls:
                self._finish_drain(node, "complete")
        return 200, _public_node(node), self.read_headers(node["ModifyIndex"])

    def _finish_drain(self, node, status):
        node["DrainStrategy"] = None
        node["Drain"] = False
        node["ModifyIndex"] = self.state.next_index()
        if node["LastDrain"]:
            node["LastDrain"]["Status"] = status
            node["LastDrain"]["UpdatedAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def node_drain(self, node_id):
        self.auth(("node", "write"))
        body = self.json_body()
        node = self.state.nodes.get(node_id)
        if node is None:
            raise HTTPFailure(500, "node not found")
        spec = field(body, "DrainSpec")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if spec is not None:
            deadline = int(field(spec, "Deadline") or 0)
            node["DrainStrategy"] = {"Deadline": deadline, "IgnoreSystemJobs": bool(field(spec, "IgnoreSystemJobs")),
                                     "ForceDeadline": "0001-01-01T00:00:00Z", "StartedAt": now}
            node["Drain"] = True
            node["SchedulingEligibility"] = "ineligible"
            node["_drain_reads"] = 0
            node["LastDrain"] = {"StartedAt": now, "UpdatedAt": now, "Status": "draining", "AccessorID": "",
                                 "Meta": field(body, "Meta")}
            idx = self.state.next_index()
            node["ModifyIndex"] = idx
            if deadline < 0:  # force: allocations stopped at once
                self._finish_drain(node, "complete")
        else:
            if node["DrainStrategy"] is not None:
                self._finish_drain(node, "canceled")
            if field(body, "MarkEligible"):
                node["SchedulingEligibility"] = "eligible"
            idx = self.state.next_index()
            node["ModifyIndex"] = idx
        return 200, {"NodeModifyIndex": node["ModifyIndex"], "EvalIDs": [], "EvalCreateIndex": 0,
                     "Index": idx}, self.write_headers(idx)

    def node_eligibility(self, node_id):
        self.auth(("node", "write"))
        body = self.json_body()
        node = self.state.nodes.get(field(body, "NodeID") or node_id)
        if node is None:
            raise HTTPFailure(500, "node not found")
        value = field(body, "Eligibility")
        if value not in ("eligible", "ineligible"):
            raise HTTPFailure(500, 'invalid scheduling eligibility "%s"' % value)
        if value == "eligible" and node["DrainStrategy"] is not None:
            raise HTTPFailure(500, "can not set node's scheduling eligibility to eligible while it is draining")
        node["SchedulingEligibility"] = value
        idx = self.state.next_index()
        node["ModifyIndex"] = idx
        return 200, {"NodeModifyIndex": idx, "EvalIDs": [], "EvalCreateIndex": 0}, self.write_headers(idx)

    # -- jobs ------------------------------------------------------------------------
    def jobs_parse(self):
        self.auth(("namespace", "parse-job", self.namespace()))
        body = self.json_body()
        text = field(body, "JobHCL") or ""
        if not text.strip():
            raise HTTPFailure(400, "Job spec is empty")
        try:
            parsed = hcl2.loads(text)
        except Exception as exc:  # noqa: BLE001
            raise HTTPFailure(400, "Failed to parse job: input.hcl: %s" % str(exc).splitlines()[0])
        jobs = parsed.get("job") or []
        if len(jobs) != 1:
            raise HTTPFailure(400, "Failed to parse job: input.hcl: exactly one job block is required")
        (job_id, spec), = jobs[0].items()
        job = hcl_job_to_api(job_id.strip('"'), spec)
        if field(body, "Canonicalize"):
            canonicalize(job)
        return 200, job, {}

    def _job_key(self, job_id):
        return (self.namespace(), job_id)

    def jobs_list(self):
        if self.command != "GET":
            return self.job_register(None)
        self.auth(("namespace", "list-jobs", self.namespace()))
        ns = self.namespace()
        prefix = self.query.get("prefix", "")
        out = []
        for (jns, jid), job in sorted(self.state.jobs.items()):
            if (ns == "*" or jns == ns) and jid.startswith(prefix):
                out.append({k: job.get(k) for k in ("ID", "ParentID", "Name", "Namespace", "Datacenters", "NodePool",
                                                    "Multiregion", "Type", "Priority", "Periodic", "ParameterizedJob",
                                                    "Stop", "Status", "StatusDescription", "CreateIndex",
                                                    "ModifyIndex", "JobModifyIndex", "SubmitTime")})
        return 200, out, self.read_headers()

    def job_register(self, job_id):
        st = self.state
        self.auth(("namespace", "submit-job", self.namespace()))
        body = self.json_body()
        job = field(body, "Job")
        if not job:
            raise HTTPFailure(400, "Job must be specified")
        jid = field(job, "ID")
        if not jid:
            raise HTTPFailure(400, "Job ID hasn't been provided")
        if job_id is not None and jid != job_id:
            raise HTTPFailure(400, "Job ID does not match name")
        job = canonicalize(copy.deepcopy(job))
        job["Namespace"] = self.namespace() if self.namespace() != "*" else "default"
        if not job.get("TaskGroups"):
            raise HTTPFailure(500, "1 error occurred:\n\t* Missing job task groups\n\n")
        if job["NodePool"] not in st.node_pools:
            raise HTTPFailure(500, 'job "%s" is in nonexistent node pool "%s"' % (jid, job["NodePool"]))
        if job["Namespace"] not in st.namespaces:
            raise HTTPFailure(500, 'job "%s" is in nonexistent namespace "%s"' % (jid, job["Namespace"]))
        key = (job["Namespace"], jid)
        old = st.jobs.get(key)
        if field(body, "EnforceIndex"):
            want = int(field(body, "JobModifyIndex") or 0)
            have = old["JobModifyIndex"] if old else 0
            if want != have:
                raise HTTPFailure(500, "Enforcing job modify index %d: job exists with conflicting job modify index: %d"
                                  % (want, have))
        idx = st.next_index()
        changed = old is None or job_spec(old) != job_spec(job)
        if changed:
            job.update({"Status": "pending" if job["Type"] != "batch" else "running", "StatusDescription": "",
                        "Version": (old["Version"] + 1) if old else 0, "SubmitTime": time.time_ns(),
                        "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx, "JobModifyIndex": idx,
                        "Stable": False})
            st.jobs[key] = job
            if job["Type"] == "service":
                st.deployments[key] = {"ID": str(uuid.uuid4()), "Namespace": key[0], "JobID": jid,
                                       "JobVersion": job["Version"], "Status": "running",
                                       "StatusDescription": "Deployment is running", "_reads": 0,
                                       "CreateIndex": idx, "ModifyIndex": idx}
        else:
            old["ModifyIndex"] = idx
        cur = st.jobs[key]
        return 200, {"EvalID": str(uuid.uuid4()), "EvalCreateIndex": idx, "JobModifyIndex": cur["JobModifyIndex"],
                     "Warnings": "", "Index": idx, "LastContact": 0, "KnownLeader": False}, self.write_headers(idx)

    def job_obj(self, job_id):
        st = self.state
        if self.command in ("PUT", "POST"):
            return self.job_register(job_id)
        self.auth(("namespace", "read-job" if self.command == "GET" else "submit-job", self.namespace()))
        key = self._job_key(job_id)
        job = st.jobs.get(key)
        if job is None:
            raise HTTPFailure(404, "job not found")
        if self.command == "GET":
            return 200, copy.deepcopy(job), self.read_headers(job["ModifyIndex"])
        purge = self.query.get("purge", "false")
        if purge not in ("true", "false", ""):
            raise HTTPFailure(500, 'Failed to parse value of "purge" (%s) as a bool: invalid syntax' % purge)
        idx = st.next_index()
        if purge == "true":
            del st.jobs[key]
        else:
            job.update({"Stop": True, "Status": "dead", "ModifyIndex": idx, "JobModifyIndex": idx,
                        "Version": job["Version"] + 1})
        return 200, {"EvalID": str(uuid.uuid4()), "EvalCreateIndex": idx, "JobModifyIndex": idx, "Index": idx}, \
            self.write_headers(idx)

    def job_plan(self, job_id):
        self.auth(("namespace", "submit-job", self.namespace()))
        body = self.json_body()
        job = field(body, "Job")
        if not job:
            raise HTTPFailure(400, "Job must be specified")
        if not field(job, "ID"):
            raise HTTPFailure(400, "Job must have a valid ID")
        if field(job, "ID") != job_id:
            raise HTTPFailure(400, "Job ID does not match")
        job = canonicalize(copy.deepcopy(job))
        job["Namespace"] = self.namespace()
        old = self.state.jobs.get((job["Namespace"], job_id))
        diff = plan_diff(old, job)
        updates = {}
        for tg in job["TaskGroups"]:
            old_tg = next((g for g in (old or {}).get("TaskGroups", []) if g["Name"] == tg["Name"]), None)
            place = tg.get("Count", 1) if old_tg is None else 0
            same = old_tg is not None and old_tg == tg
            updates[tg["Name"]] = {"Ignore": tg.get("Count", 1) if same else 0, "Place": place,
                                   "DestructiveUpdate": 0 if same or old_tg is None else tg.get("Count", 1),
                                   "Migrate": 0, "Stop": 0, "InPlaceUpdate": 0, "Canary": 0, "Preemptions": 0}
        return 200, {"JobModifyIndex": old["JobModifyIndex"] if old else 0, "CreatedEvals": None,
                     "Diff": diff if field(body, "Diff") else None,
                     "Annotations": {"DesiredTGUpdates": updates, "PreemptedAllocs": None},
                     "FailedTGAllocs": None, "NextPeriodicLaunch": "0001-01-01T00:00:00Z", "Warnings": ""}, {}

    def job_deployment(self, job_id):
        self.auth(("namespace", "read-job", self.namespace()))
        dep = self.state.deployments.get(self._job_key(job_id))
        if dep is None:
            return 200, None, self.read_headers()
        dep["_reads"] += 1
        if dep["Status"] == "running" and dep["_reads"] > self.state.deployment_polls:
            dep["Status"] = "successful"
            dep["StatusDescription"] = "Deployment completed successfully"
        return 200, {k: v for k, v in dep.items() if not k.startswith("_")}, self.read_headers(dep["ModifyIndex"])

    # -- variables -----------------------------------------------------------------------
    def vars_list(self):
        self.auth("management")
        ns = self.namespace()
        prefix = self.query.get("prefix", "")
        out = [{k: v for k, v in var.items() if k != "Items"} for (vns, path), var in sorted(self.state.variables.items())
               if (ns == "*" or vns == ns) and path.startswith(prefix)]
        return 200, out, self.read_headers()

    def var_obj(self, path):
        st = self.state
        self.auth("management")
        if not path:
            raise HTTPFailure(400, "missing variable path")
        ns = self.namespace()
        key = (ns, path)
        cur = st.variables.get(key)
        if self.command == "GET":
            if cur is None:
                raise HTTPFailure(404, "variable not found")
            return 200, copy.deepcopy(cur), self.read_headers(cur["ModifyIndex"])
        cas = self.query.get("cas")
        if cas is not None:
            try:
                cas = int(cas)
            except ValueError as exc:
                raise HTTPFailure(400, "can not parse cas: %s" % exc)
            have = cur["ModifyIndex"] if cur else 0
            if cas != have:
                conflict = copy.deepcopy(cur) if cur else {"Namespace": ns, "Path": path, "CreateIndex": 0,
                                                           "ModifyIndex": 0, "CreateTime": 0, "ModifyTime": 0}
                if self.command == "DELETE" and conflict.get("Items") is not None:
                    conflict.pop("Items")
                raise HTTPFailure(409, "cas error", body=conflict)
        if self.command == "DELETE":
            st.variables.pop(key, None)
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if not VAR_PATH_RE.match(path) or ("/" + path + "/").startswith("/nomad/") and not re.match(
                r"^nomad/(jobs|job-templates|sentinel)(/|$)", path):
            raise HTTPFailure(400, 'invalid path "%s"' % path)
        items = field(body, "Items")
        if not items:
            raise HTTPFailure(400, "variable missing required Items object")
        if len(json.dumps(items)) > 64 * 1024:
            raise HTTPFailure(400, "variables are limited to 64KiB in total size")
        idx = st.next_index()
        now = time.time_ns()
        var = {"Namespace": ns, "Path": path, "CreateIndex": cur["CreateIndex"] if cur else idx, "ModifyIndex": idx,
               "CreateTime": cur["CreateTime"] if cur else now, "ModifyTime": now,
               "Items": dict((str(k), str(v)) for k, v in items.items())}
        st.variables[key] = var
        return 200, copy.deepcopy(var), self.write_headers(idx)

    # -- operator --------------------------------------------------------------------
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

    def autopilot_health(self):
        st = self.state
        self.auth(("operator", "read"))
        servers = [{"ID": str(uuid.UUID(int=i + 1)), "Name": name, "Address": addr, "SerfStatus": "alive",
                    "Version": "2.0.5", "Leader": i == 0, "LastContact": "0s" if i == 0 else "12ms", "LastTerm": 2,
                    "LastIndex": st.index, "Healthy": st.autopilot_healthy or i != 2, "Voter": True,
                    "StableSince": "2026-11-24T10:00:00Z"} for i, (name, addr) in enumerate(st.servers)]
        body = {"Healthy": st.autopilot_healthy, "FailureTolerance": 1 if st.autopilot_healthy else 0,
                "Voters": [s["ID"] for s in servers], "Leader": servers[0]["ID"], "Servers": servers}
        return (200 if st.autopilot_healthy else 429), body, self.read_headers()

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

    # -- test-only control ---------------------------------------------------------------
    def control(self, what):
        body = self.json_body(required=False) or {}
        st = self.state
        if what == "fault":
            st.faults.append({"path": body["path"], "method": body.get("method"), "status": body.get("status", 500),
                              "body": body.get("body", "injected fault"), "remaining": body.get("count", 1)})
        elif what == "drain-polls":
            st.drain_polls = int(body.get("reads", 2))
        elif what == "autopilot-health":
            st.autopilot_healthy = bool(body.get("healthy", True))
        elif what == "acl-bootstrap-reset":
            st.acl_reset_index = st.acl_bootstrap_index
        elif what == "requests":
            return 200, list(st.requests), {}
        elif what == "secrets":  # every SecretID the double knows, for leak checks in test output
            return 200, sorted(st.issued_secrets | set(t["SecretID"] for t in st.tokens.values())), {}
        elif what == "peek":  # read-only look at server state without a token (tests verify check mode)
            target = self.query.get("path", "")
            saved = (self.route_path, self.command, self.query)
            self.route_path, self.command = urlsplit(target).path, "GET"
            self.query = dict((k, v[-1]) for k, v in parse_qs(urlsplit(target).query).items())
            self._bypass_auth = True
            try:
                handler, groups = self._route()
                status, data = handler(self, *groups)[:2]
                return 200, {"status": status, "data": data}, {}
            except HTTPFailure as exc:
                return 200, {"status": exc.status, "error": exc.text}, {}
            finally:
                self.route_path, self.command, self.query = saved
                self._bypass_auth = False
        elif what == "clear-requests":
            st.requests = []
        else:
            raise HTTPFailure(404, "unknown double control %s" % what)
        return 200, {"ok": True}, {}


DURATION_FIELDS = {"MaxClientDisconnect", "StopAfterClientDisconnect", "LostAfter", "StopOnClientAfter", "KillTimeout",
                   "ShutdownDelay", "Delay", "Interval", "MinHealthyTime", "HealthyDeadline", "ProgressDeadline",
                   "StaggerPeriod"}


def hcl_value(key, value):
    if isinstance(value, str):
        value = value.strip('"') if value.startswith('"') and value.endswith('"') else value
        if key in DURATION_FIELDS:
            try:
                return parse_duration(value)
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        value = dict((k, v) for k, v in value.items() if k != "__is_block__")
        if key in ("Meta", "Env", "Config"):
            return dict((k, hcl_value(k, v)) for k, v in value.items())
        return dict((pascal(k), hcl_value(pascal(k), v)) for k, v in value.items())
    if isinstance(value, list):
        return [hcl_value(key, v) for v in value]
    return value


def hcl_job_to_api(job_id, spec):
    """HCL2 (python-hcl2 dict) -> api.Job JSON shape: PascalCase fields, labeled blocks as Name."""
    job = {"ID": job_id, "Name": job_id}
    spec = dict((k, v) for k, v in spec.items() if k != "__is_block__")
    for key, value in spec.items():
        if key == "group":
            groups = []
            for block in value:
                for gname, gspec in block.items():
                    group = {"Name": gname.strip('"')}
                    for gkey, gval in gspec.items():
                        if gkey == "__is_block__":
                            continue
                        if gkey == "task":
                            tasks = []
                            for tblock in gval:
                                for tname, tspec in tblock.items():
                                    task = {"Name": tname.strip('"')}
                                    for tkey, tval in tspec.items():
                                        if tkey == "__is_block__":
                                            continue
                                        tval = tval[0] if isinstance(tval, list) and tkey in (
                                            "config", "resources", "env", "meta") else tval
                                        task[pascal(tkey)] = hcl_value(pascal(tkey), tval)
                                    tasks.append(task)
                            group["Tasks"] = tasks
                        else:
                            gval = gval[0] if isinstance(gval, list) and gkey in (
                                "disconnect", "restart", "update", "meta", "network") else gval
                            group[pascal(gkey)] = hcl_value(pascal(gkey), gval)
                    groups.append(group)
            job["TaskGroups"] = groups
        else:
            value = value[0] if isinstance(value, list) and key in ("meta", "update") else value
            job[pascal(key)] = hcl_value(pascal(key), value)
    return job


def canonicalize(job):
    """Fill defaults like api.Job.Canonicalize does for the fields the double keeps."""
    job.setdefault("Name", job.get("ID"))
    job.setdefault("Type", "service")
    job.setdefault("Priority", 50)
    job.setdefault("Region", "global")
    job.setdefault("Namespace", "default")
    job.setdefault("Datacenters", ["*"])
    if not job.get("NodePool"):
        job["NodePool"] = "default"
    job.setdefault("Stop", False)
    job.setdefault("Meta", None)
    for group in job.get("TaskGroups") or []:
        group.setdefault("Count", 1)
        for task in group.get("Tasks") or []:
            resources = task.setdefault("Resources", {})
            resources.setdefault("CPU", 100)
            resources.setdefault("MemoryMB", 300)
    return job


SERVER_FIELDS = ("Status", "StatusDescription", "Version", "SubmitTime", "CreateIndex", "ModifyIndex", "JobModifyIndex",
                 "Stable", "Namespace")


def job_spec(job):
    return dict((k, v) for k, v in job.items() if k not in SERVER_FIELDS)


def _field_diffs(old, new, prefix=""):
    out = []
    for key in sorted(set(old) | set(new)):
        if key in ("TaskGroups", "Tasks") or key in SERVER_FIELDS:
            continue
        a, b = old.get(key), new.get(key)
        name = prefix + key
        if isinstance(a, dict) or isinstance(b, dict):
            out.extend(_field_diffs(a or {}, b or {}, name + "."))
        elif a != b:
            kind = "Added" if a is None else "Deleted" if b is None else "Edited"
            out.append({"Type": kind, "Name": name, "Old": "" if a is None else json.dumps(a).strip('"'),
                        "New": "" if b is None else json.dumps(b).strip('"'), "Annotations": None})
    return out


def plan_diff(old, new):
    """A JobDiff shaped like Nomad's (Type, ID, Fields, Objects, TaskGroups[{Type, Name, Fields, Tasks}])."""
    old_spec = job_spec(old) if old else {}
    kind = "Added" if old is None else ("None" if old_spec == job_spec(new) else "Edited")
    groups = []
    old_groups = dict((g["Name"], g) for g in (old or {}).get("TaskGroups", []))
    new_groups = dict((g["Name"], g) for g in new.get("TaskGroups", []))
    for name in sorted(set(old_groups) | set(new_groups)):
        a, b = old_groups.get(name), new_groups.get(name)
        gtype = "Added" if a is None else "Deleted" if b is None else ("None" if a == b else "Edited")
        tasks = []
        old_tasks = dict((t["Name"], t) for t in (a or {}).get("Tasks", []))
        new_tasks = dict((t["Name"], t) for t in (b or {}).get("Tasks", []))
        for tname in sorted(set(old_tasks) | set(new_tasks)):
            ta, tb = old_tasks.get(tname), new_tasks.get(tname)
            ttype = "Added" if ta is None else "Deleted" if tb is None else ("None" if ta == tb else "Edited")
            tasks.append({"Type": ttype, "Name": tname, "Fields": _field_diffs(ta or {}, tb or {}), "Objects": None,
                          "Annotations": None})
        groups.append({"Type": gtype, "Name": name, "Fields": _field_diffs(a or {}, b or {}), "Objects": None,
                       "Tasks": tasks, "Updates": None})
    return {"Type": kind, "ID": new["ID"], "Fields": _field_diffs(old_spec, job_spec(new)) if old else [],
            "Objects": None, "TaskGroups": groups}


def _r(methods, pattern, handler):
    return (frozenset(methods.split()), re.compile("^" + pattern + "$"), handler)


H = Handler
ROUTES = [
    _r("GET", r"/v1/status/leader", H.status_leader),
    _r("GET", r"/v1/status/peers", H.status_peers),
    _r("GET", r"/v1/agent/health", H.agent_health),
    _r("GET", r"/v1/agent/self", H.agent_self),
    _r("PUT POST", r"/v1/acl/bootstrap", H.acl_bootstrap),
    _r("GET", r"/v1/acl/policies", H.acl_policies),
    _r("GET PUT POST DELETE", r"/v1/acl/policy/?([^/]*)", H.acl_policy),
    _r("GET", r"/v1/acl/tokens", H.acl_tokens),
    _r("GET", r"/v1/acl/token/self", H.acl_token_self),
    _r("PUT POST", r"/v1/acl/token", H.acl_token),
    _r("GET PUT POST DELETE", r"/v1/acl/token/([^/]*)", H.acl_token),
    _r("GET", r"/v1/namespaces", H.namespaces_list),
    _r("PUT POST", r"/v1/namespace", H.namespace_obj),
    _r("GET PUT POST DELETE", r"/v1/namespace/([^/]*)", H.namespace_obj),
    _r("GET PUT POST", r"/v1/node/pools", H.node_pools),
    _r("GET PUT POST DELETE", r"/v1/node/pool/([^/]+)", H.node_pool),
    _r("GET", r"/v1/nodes", H.nodes_list),
    _r("PUT POST", r"/v1/node/([^/]+)/drain", H.node_drain),
    _r("PUT POST", r"/v1/node/([^/]+)/eligibility", H.node_eligibility),
    _r("GET", r"/v1/node/([^/]+)", H.node_get),
    _r("PUT POST", r"/v1/jobs/parse", H.jobs_parse),
    _r("GET PUT POST", r"/v1/jobs", H.jobs_list),
    _r("PUT POST", r"/v1/job/([^/]+)/plan", H.job_plan),
    _r("GET", r"/v1/job/([^/]+)/deployment", H.job_deployment),
    _r("GET PUT POST DELETE", r"/v1/job/([^/]+)", H.job_obj),
    _r("GET", r"/v1/vars", H.vars_list),
    _r("GET PUT POST DELETE", r"/v1/var/(.+)", H.var_obj),
    _r("GET PUT", r"/v1/operator/autopilot/configuration", H.autopilot_config),
    _r("GET", r"/v1/operator/autopilot/health", H.autopilot_health),
    _r("GET", r"/v1/operator/raft/configuration", H.raft_configuration),
    _r("GET PUT POST", r"/v1/operator/snapshot", H.snapshot),
    _r("GET POST", r"/_double/([a-z-]+)", H.control),
]


class NomadAPIDouble(ThreadingHTTPServer):
    """The double's HTTP(S) server. ``url`` is its base address; run with serve_forever() or start()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state=None, host="127.0.0.1", port=0, tls_cert=None, tls_key=None, tls_client_ca=None):
        self.state = state or DoubleState()
        super().__init__((host, port), Handler)
        scheme = "http"
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            if tls_client_ca:
                ctx.load_verify_locations(tls_client_ca)
                ctx.verify_mode = ssl.CERT_REQUIRED
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
            scheme = "https"
        self.url = "%s://%s:%d" % (scheme, host, self.server_address[1])
        self._thread = None

    def handle_error(self, request, client_address):  # TLS failures from clients are expected in tests
        pass

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def shutdown_from_signal(self):
        threading.Thread(target=self.shutdown, daemon=True).start()
