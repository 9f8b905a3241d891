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
import fcntl
import fnmatch
import gzip
import hashlib
import io
import json
import os
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

from . import rules
from .rules import DEPRECATED_GROUP_KEYS, RuleError, multierror

RECORD_ENV = "NOMAD_API_DOUBLE_RECORD"  # path of a JSONL file: every request body is appended to it
WINDOWS_OS_NAME = "Microsoft Windows Server 2022 Datacenter"  # client/fingerprint/host.go: os.name = Platform
DAY_NS = 24 * 3600 * 10 ** 9  # nomad/structs/node_pool.go DefaultNodePoolNodeIdentityTTL

POOL_RE = re.compile(r"^[a-zA-Z0-9-_]{1,128}$")
NAMESPACE_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
POLICY_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_DUR_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}


JSON_NULL = object()  # a handler's answer that is the JSON literal null (Go encodes a nil pointer so)


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


field = rules.field  # Go encoding/json matches field names case-insensitively


def rules_duration(value):
    """A Go duration string -> nanoseconds (time.ParseDuration's error text on failure)."""
    return parse_duration(value)


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
        self.evals = {}  # eval ID -> evaluation (the scheduler's work item)
        self.roles = {}  # ID -> ACL role
        self.auth_methods = {}  # name -> ACL auth method
        self.binding_rules = {}  # ID -> ACL binding rule
        self.agent_server = True  # the double answers as a server agent (client off), like the pods
        self.agent_client = False
        self.has_leader = True
        self.variables = {}  # (namespace, path) -> variable
        self.autopilot = {"CleanupDeadServers": True, "LastContactThreshold": "200ms", "MaxTrailingLogs": 250,
                          "MinQuorum": 0, "ServerStabilizationTime": "10s", "EnableRedundancyZones": False,
                          "DisableUpgradeMigration": False, "EnableCustomUpgrades": False,
                          "CreateIndex": 5, "ModifyIndex": 5}
        self.autopilot_healthy = True
        self.server_version = "2.0.5"  # what every server reports in Autopilot's view (/_double/servers-version)
        self.servers = [("nomad-server-%d" % i, "10.0.0.%d:4647" % (i + 1)) for i in range(3)]
        self.drain_polls = 2  # reads of a draining node before its drain completes
        self.deployment_polls = 1
        self.eval_polls = 1  # reads (of the eval or of the job's deployment) before an eval completes
        self.faults = []
        self.requests = []
        self.issued_secrets = set()  # every SecretID ever handed out, for leak checks
        for name, desc in (("all", "Node pool with all nodes in the cluster."),
                           ("default", "Default node pool.")):
            self.node_pools[name] = {"Name": name, "Description": desc, "Meta": None, "NodeIdentityTTL": DAY_NS,
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
                "Attributes": {"os.name": WINDOWS_OS_NAME if windows else "ubuntu",
                               "kernel.name": "windows" if windows else "linux",
                               "cpu.arch": arch, "nomad.version": "2.0.5", "unique.network.ip-address": address},
                "Meta": {"rack": "r%d" % (i % 3)},
                "Drivers": {"exec": {"Attributes": None, "Detected": True, "Healthy": True, "HealthDescription": "Healthy",
                                     "UpdateTime": "2026-11-24T10:00:00Z"}},
                "HostVolumes": {}, "CreateIndex": 20 + i, "ModifyIndex": 20 + i,
                "_drain_reads": 0,
            }
            if pool not in self.node_pools:  # a missing pool is created when a node registers in it
                self.node_pools[pool] = {"Name": pool, "Description": "", "Meta": None, "NodeIdentityTTL": DAY_NS,
                                         "SchedulerConfiguration": None, "CreateIndex": 10, "ModifyIndex": 10}

    def snapshot_tables(self):
        keep = ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "variables",
                "autopilot", "roles", "auth_methods", "binding_rules")
        tables = dict((k, getattr(self, k)) for k in keep)
        tables["jobs"] = [[k[0], k[1], v] for k, v in self.jobs.items()]
        tables["variables"] = [[k[0], k[1], v] for k, v in self.variables.items()]
        return tables

    def restore_tables(self, tables):
        for key in ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "autopilot",
                    "roles", "auth_methods", "binding_rules"):
            setattr(self, key, tables.get(key, {}))
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


# acl/policy.go expandNamespacePolicy / expandNodePoolPolicy
_NS_POLICY = {"read": set(rules.NAMESPACE_READ), "write": set(rules.NAMESPACE_WRITE),
              "scale": set(rules.NAMESPACE_SCALE), "deny": {"deny"}}
_POOL = {"read": {"read"}, "write": {"read", "write", "delete"}, "deny": {"deny"}}


def _unquote(value):
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def policy_grants(text):
    """ACL policy rules -> {"namespace": [(glob, caps)], "node_pool": [...], "node": [(None, level)], ...}."""
    parsed = rules.parse_policy(text) if text and text.strip() else {}
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
                    caps = set(_NS_POLICY.get(level, ()))
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
        self._record()
        try:
            fault = self._fault()
            if fault:
                raise HTTPFailure(fault["status"], fault.get("body", "injected fault"))
            handler, groups = self._route()
            with self.state.lock:
                result = handler(self, *groups)
            self._answer(*result)
        except RuleError as exc:
            self._send(exc.status, exc.text.encode(), "text/plain; charset=utf-8", {})
        except HTTPFailure as exc:
            if exc.body is not None:
                self._answer(exc.status, exc.body, {"X-Nomad-Index": str(self.state.index)})
            else:
                self._send(exc.status, exc.text.encode(), "text/plain; charset=utf-8", {})

    def _record(self):
        """With NOMAD_API_DOUBLE_RECORD (or --record) set: append {method, path, query, body} as one JSON
        line, for the contract test (tests/tools/nomad_api_double/contract) that decodes each body into Nomad's api types."""
        path = self.server.record_path
        if not path or self.route_path.startswith("/_double/"):
            return
        try:
            body = json.loads(self.body.decode()) if self.body else None
        except ValueError:
            body = {"_raw_bytes": len(self.body)}  # snapshot archives and other non-JSON bodies
        line = json.dumps({"method": self.command, "path": self.route_path, "query": self.query, "body": body},
                          sort_keys=True) + "\n"
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            fcntl.flock(handle, fcntl.LOCK_UN)

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
        payload = b"null" if data is JSON_NULL else b"" if data is None else json.dumps(data).encode()
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
        names = list(token.get("Policies") or [])
        for link in token.get("Roles") or []:  # a role grants its policies (nomad/acl.go ResolveACLForToken)
            role = self.state.roles.get(link.get("ID"))
            names.extend(p["Name"] for p in (role or {}).get("Policies") or [])
        for pname in names:
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
        if cap is None:
            return bool(caps)
        return any(c in caps for c in (cap if isinstance(cap, tuple) else (cap,)))  # AllowNsOpAnyOf

    # -- status / agent ------------------------------------------------------------
    def status_leader(self):
        self.auth("none")
        return 200, self.state.servers[0][1], {}

    def status_peers(self):
        self.auth("none")
        return 200, [addr for dummy, addr in self.state.servers], {}

    def agent_health(self):
        """command/agent/agent_endpoint.go HealthRequest: ?type= (repeatable) restricts the check and
        reports a role the agent does not run as failed; any failed role -> 500 with the JSON as text."""
        st = self.state
        types = [v for k, values in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()
                 if k == "type" for v in values]
        health = {}
        want_client = want_server = not types
        for kind in types:
            if kind == "client":
                want_client = True
                health["client"] = {"ok": False, "message": "client not enabled"}
            elif kind == "server":
                want_server = True
                health["server"] = {"ok": False, "message": "server not enabled"}
        if want_client and st.agent_client:
            health["client"] = {"ok": True, "message": "ok"}
        if want_server and st.agent_server:
            health["server"] = {"ok": st.has_leader, "message": "ok" if st.has_leader else "no leader"}
        health = dict((k, health[k]) for k in ("client", "server") if k in health)  # Go struct order
        if all(part["ok"] for part in health.values()):
            return 200, health, {}
        raise HTTPFailure(500, json.dumps(health, separators=(",", ":")))

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

    def _new_token(self, spec, idx, secret=None, accessor=None):
        accessor = accessor or str(uuid.uuid4())
        ttl = spec.get("ExpirationTTL", 0) or 0
        token = {"AccessorID": accessor, "SecretID": secret or str(uuid.uuid4()), "Name": spec.get("Name", ""),
                 "Type": spec.get("Type", "client"), "Policies": spec.get("Policies"), "Roles": spec.get("Roles"),
                 "Global": bool(spec.get("Global")), "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "ExpirationTime": None, "ExpirationTTL": ttl, "Hash": "",
                 "CreateIndex": idx, "ModifyIndex": idx, "_expires": 0}
        if ttl:
            token["_expires"] = time.time() + ttl / 1e9
            token["ExpirationTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(token["_expires"]))
        self._hash_token(token)
        self.state.tokens[accessor] = token
        self.state.issued_secrets.add(token["SecretID"])
        return token

    @staticmethod
    def _hash_token(token):
        token["Hash"] = base64.b64encode(hashlib.sha256(json.dumps(
            [token["Name"], token["Type"], token["Policies"], token["Global"], token["Roles"]]).encode()).digest()).decode()

    @staticmethod
    def _token_out(token, stub=False):
        """structs.ACLToken.MarshalJSON: ExpirationTTL is a Go duration string, "" when unset
        (nomad/structs/acl.go); the list stub has neither SecretID nor ExpirationTTL."""
        out = {k: copy.deepcopy(v) for k, v in token.items() if not k.startswith("_")}
        out["ExpirationTTL"] = rules.go_duration(token["ExpirationTTL"]) if token["ExpirationTTL"] else ""
        if stub:
            out.pop("SecretID", None)
            out.pop("ExpirationTTL", None)
        return out

    def _acl_write(self):
        """nomad/acl_endpoint.go: ACL writes need ACLs on (aclDisabled = 400) and a management token."""
        if not self.state.acl_enabled:
            raise HTTPFailure(400, "ACL support disabled")
        self.auth("management")

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
        if self.command == "DELETE":
            self._acl_write()
            if name not in self.state.policies:  # nomad/state/state_store.go DeleteACLPolicies (memdb)
                raise HTTPFailure(500, "deleting acl policy failed: not found")
            self.state.policies.pop(name, None)
            return 200, None, self.write_headers(self.state.next_index())
        body = self.json_body()
        pname = field(body, "Name") or ""
        if pname != name:  # command/agent/acl_endpoint.go aclPolicyUpdate
            raise HTTPFailure(400, "ACL policy name does not match request path")
        self._acl_write()
        description = field(body, "Description") or ""
        text = field(body, "Rules") or ""
        errors = rules.policy_errors(pname, description, text, field(body, "JobACL"))
        if errors:  # nomad/acl_endpoint.go UpsertPolicies
            raise RuleError(400, "policy 0 invalid: %s" % multierror(errors))
        idx = self.state.next_index()
        old = self.state.policies.get(name)
        self.state.policies[name] = {"Name": name, "Description": description, "Rules": text,
                                     "JobACL": field(body, "JobACL"),
                                     "Hash": base64.b64encode(hashlib.sha256(text.encode()).digest()).decode(),
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
        if self.command == "DELETE":
            self._acl_write()
            if accessor not in st.tokens:  # nomad/acl_endpoint.go DeleteTokens
                raise HTTPFailure(400, "Cannot delete nonexistent tokens: %s" % accessor)
            st.tokens.pop(accessor, None)
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        # command/agent/acl_endpoint.go aclTokenUpdate (decode, then the path check), then ACL.UpsertTokens
        ttl = field(body, "ExpirationTTL")
        try:  # structs.ACLToken.UnmarshalJSON: a Go duration string or a number of nanoseconds
            ttl = (rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0))
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        body_accessor = field(body, "AccessorID") or ""
        if accessor and body_accessor != accessor:
            raise HTTPFailure(400, "ACL token accessor does not match request path")
        self._acl_write()
        spec = {"Name": field(body, "Name") or "", "Type": field(body, "Type") or "", "Policies": field(body, "Policies"),
                "Roles": field(body, "Roles"), "Global": bool(field(body, "Global")), "ExpirationTTL": ttl,
                "ExpirationTime": field(body, "ExpirationTime")}
        existing = None
        if body_accessor:
            existing = st.tokens.get(body_accessor)
            secret = field(body, "SecretID") or ""
            if existing is None and (not UUID_RE.match(body_accessor) or not UUID_RE.match(secret)
                                     or spec["Type"] == "management"):
                raise HTTPFailure(400, "cannot find token %s" % body_accessor)
        errors = rules.token_errors(spec, existing)
        if errors:
            raise RuleError(400, "token 0 invalid: %s" % multierror(errors))
        links = []
        for link in spec["Roles"] or []:  # roles by ID or name, stored as {ID, Name: ""}
            rid, rname = field(link, "ID") or "", field(link, "Name") or ""
            role = st.roles.get(rid) if rid else next((r for r in st.roles.values() if r["Name"] == rname), None)
            if role is None:
                raise HTTPFailure(400, "cannot find role %s" % (rid or rname))
            if role["ID"] not in [lk["ID"] for lk in links]:
                links.append({"ID": role["ID"], "Name": ""})
        spec["Roles"] = links or None
        idx = st.next_index()
        if existing is not None:
            existing.update({"Name": spec["Name"], "Type": spec["Type"], "Policies": spec["Policies"],
                             "Roles": spec["Roles"], "ModifyIndex": idx})
            self._hash_token(existing)
            token = existing
        elif body_accessor:  # an operator-supplied AccessorID/SecretID pair (token import)
            token = self._new_token(spec, idx, secret=field(body, "SecretID"), accessor=body_accessor)
        else:
            token = self._new_token(spec, idx)
        return 200, self._token_out(token), self.write_headers(idx)

    # -- ACL roles, auth methods, binding rules, client introduction ------------------------------
    def acl_roles(self):
        self.auth("any")
        prefix = self.query.get("prefix", "")
        out = [copy.deepcopy(r) for r in sorted(self.state.roles.values(), key=lambda r: r["CreateIndex"])
               if r["ID"].startswith(prefix)]
        return 200, out, self.read_headers()

    def acl_role(self, role_id=None, by_name=None):
        """command/agent/acl_endpoint.go ACLRoleSpecificRequest + nomad/acl_endpoint.go UpsertRoles."""
        st = self.state
        if self.command == "GET":
            self.auth("management")
            role = (st.roles.get(role_id) if by_name is None
                    else next((r for r in st.roles.values() if r["Name"] == by_name), None))
            if role is None:
                raise HTTPFailure(404, "ACL role not found")
            return 200, copy.deepcopy(role), self.read_headers(role["ModifyIndex"])
        if by_name is not None:
            raise HTTPFailure(405, "Invalid method")
        if self.command == "DELETE":
            self._acl_write()
            if role_id not in st.roles:  # nomad/state/state_store_acl.go deleteACLRoleByIDTxn
                raise HTTPFailure(500, "ACL role not found")
            del st.roles[role_id]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if role_id is not None and role_id != (field(body, "ID") or ""):
            raise HTTPFailure(400, "ACL role ID does not match request path")
        self._acl_write()
        role = {"ID": field(body, "ID") or "", "Name": field(body, "Name") or "",
                "Description": field(body, "Description") or "",
                "Policies": [{"Name": field(p, "Name") or ""} for p in field(body, "Policies") or []]}
        errors = rules.role_errors(role)
        if errors:
            raise RuleError(400, "role 0 invalid: %s" % multierror(errors))
        if not role["ID"]:
            if any(r["Name"] == role["Name"] for r in st.roles.values()):
                raise HTTPFailure(400, "role with name %s already exists" % role["Name"])
            role["ID"] = str(uuid.uuid4())
            old = None
        else:
            old = st.roles.get(role["ID"])
            if old is None:
                raise HTTPFailure(400, "cannot find role %s" % role["ID"])
        for link in role["Policies"]:
            if link["Name"] not in st.policies:
                raise HTTPFailure(400, "cannot find policy %s" % link["Name"])
        idx = st.next_index()
        role.update({"Hash": base64.b64encode(hashlib.sha256(json.dumps(
            [role["Name"], role["Description"], role["Policies"]]).encode()).digest()).decode(),
            "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.roles[role["ID"]] = role
        return 200, copy.deepcopy(role), self.write_headers(idx)

    def acl_role_by_name(self, name):
        if not name:
            raise HTTPFailure(400, "missing ACL role name")
        return self.acl_role(by_name=name)

    @staticmethod
    def _method_out(method, stub=False):
        """structs.ACLAuthMethod.MarshalJSON: MaxTokenTTL as a Go duration string; the secret redacted."""
        if stub:
            return {k: method[k] for k in ("Name", "Type", "Default", "Hash", "CreateIndex", "ModifyIndex")}
        out = copy.deepcopy(method)
        out["MaxTokenTTL"] = rules.go_duration(method["MaxTokenTTL"]) if method["MaxTokenTTL"] else ""
        if (out.get("Config") or {}).get("OIDCClientSecret"):
            out["Config"]["OIDCClientSecret"] = "redacted"
        return out

    def acl_auth_methods(self):
        self.auth("none")  # nomad/acl_endpoint.go ListAuthMethods: no token needed (login UIs list them)
        out = [self._method_out(m, stub=True) for m in sorted(self.state.auth_methods.values(),
                                                              key=lambda m: m["Name"])]
        return 200, out, self.read_headers()

    def acl_auth_method(self, name=None):
        st = self.state
        if name == "":
            raise HTTPFailure(400, "missing ACL auth-method name")
        if self.command == "GET":
            self.auth("management")
            method = st.auth_methods.get(name)
            if method is None:
                raise HTTPFailure(404, "ACL auth-method not found")
            return 200, self._method_out(method), self.read_headers(method["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if name not in st.auth_methods:  # nomad/state/state_store_acl_sso.go
                raise HTTPFailure(500, "ACL auth method not found")
            del st.auth_methods[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if name is not None and name != (field(body, "Name") or ""):
            raise HTTPFailure(400, "ACL auth-method name does not match request path")
        self._acl_write()
        ttl = field(body, "MaxTokenTTL")
        try:
            ttl = rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        old = st.auth_methods.get(field(body, "Name") or "")
        method = {"Name": field(body, "Name") or "", "Type": field(body, "Type") or "",
                  "TokenLocality": field(body, "TokenLocality") or "",
                  "TokenNameFormat": field(body, "TokenNameFormat") or "",
                  "MaxTokenTTL": ttl, "Default": bool(field(body, "Default")), "Config": field(body, "Config")}
        if old:  # ACLAuthMethod.Merge: unset fields keep the stored values
            for key in ("Type", "TokenLocality", "TokenNameFormat", "MaxTokenTTL", "Config"):
                if not method[key]:
                    method[key] = old[key]
        method["TokenNameFormat"] = method["TokenNameFormat"] or "${auth_method_type}-${auth_method_name}"
        errors = rules.auth_method_errors(method)
        if errors:
            raise RuleError(400, "auth method 0 invalid: %s" % multierror(errors))
        default = next((m for m in st.auth_methods.values() if m["Default"]), None)
        if method["Default"] and default is not None and default["Name"] != method["Name"]:
            raise HTTPFailure(400, "default method already exists: %s" % default["Name"])
        idx = st.next_index()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        method.update({"CreateTime": old["CreateTime"] if old else now, "ModifyTime": now,
                       "Hash": base64.b64encode(hashlib.sha256(json.dumps(method, sort_keys=True).encode())
                                                .digest()).decode(),
                       "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.auth_methods[method["Name"]] = method
        return 200, self._method_out(method), self.write_headers(idx)

    def acl_binding_rules(self):
        self.auth("management")
        out = [{k: r[k] for k in ("ID", "Description", "AuthMethod", "Hash", "CreateIndex", "ModifyIndex")}
               for r in sorted(self.state.binding_rules.values(), key=lambda r: r["CreateIndex"])]
        return 200, out, self.read_headers()

    def acl_binding_rule(self, rule_id=None):
        st = self.state
        if rule_id == "":
            raise HTTPFailure(400, "missing ACL binding rule ID")
        if self.command == "GET":
            self.auth("management")
            rule = st.binding_rules.get(rule_id)
            if rule is None:
                raise HTTPFailure(404, "ACL binding rule not found")
            return 200, copy.deepcopy(rule), self.read_headers(rule["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if rule_id not in st.binding_rules:  # nomad/state/state_store_acl_binding_rule.go
                raise HTTPFailure(500, "ACL binding rule not found")
            del st.binding_rules[rule_id]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        rid = field(body, "ID") or rule_id or ""
        if rule_id is not None and rule_id != rid:
            raise HTTPFailure(400, "ACL binding rule ID does not match request path")
        self._acl_write()
        rule = {"ID": rid, "Description": field(body, "Description") or "",
                "AuthMethod": field(body, "AuthMethod") or "", "Selector": field(body, "Selector") or "",
                "BindType": field(body, "BindType") or "", "BindName": field(body, "BindName") or ""}
        old = None
        if rid:
            old = st.binding_rules.get(rid)
            if old is None:
                raise HTTPFailure(400, "cannot find binding rule %s" % rid)
            for key in ("Description", "AuthMethod", "Selector", "BindType", "BindName"):  # ACLBindingRule.Merge
                if not rule[key]:
                    rule[key] = old[key]
            if rule["AuthMethod"] != old["AuthMethod"]:
                raise HTTPFailure(400, "cannot update auth method for binding rule, create a new rule instead")
        errors = rules.binding_rule_errors(rule)
        if errors:
            raise RuleError(400, "binding rule 0 invalid: %s" % multierror(errors))
        if rule["AuthMethod"] not in st.auth_methods:
            raise HTTPFailure(400, "ACL auth method %s not found" % rule["AuthMethod"])
        idx = st.next_index()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rule["ID"] = rule["ID"] or str(uuid.uuid4())
        rule.update({"CreateTime": old["CreateTime"] if old else now, "ModifyTime": now,
                     "Hash": base64.b64encode(hashlib.sha256(json.dumps(rule, sort_keys=True).encode())
                                              .digest()).decode(),
                     "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.binding_rules[rule["ID"]] = rule
        return 200, copy.deepcopy(rule), self.write_headers(idx)

    def client_introduction_token(self):
        """nomad/acl_endpoint.go CreateClientIntroductionToken: node:write; TTL 0 -> the server's
        default, above the server's maximum -> capped (structs ACLCreateClientIntroductionTokenRequest
        .IdentityTTL); answers {"JWT": ...}. The double's JWT is unsigned test data."""
        self.auth(("node", "write"))
        body = self.json_body(required=False) or {}
        ttl = field(body, "TTL")
        try:
            ttl = rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except (TypeError, ValueError) as exc:
            raise HTTPFailure(400, str(exc))
        ttl = rules.INTRO_DEFAULT_TTL if ttl == 0 else min(ttl, rules.INTRO_MAX_TTL)
        now = int(time.time())
        claims = {"aud": ["nomadproject.io"], "iat": now, "nbf": now, "exp": now + ttl // 10 ** 9,
                  "nomad_node_name": field(body, "NodeName") or "", "nomad_node_pool": field(body, "NodePool")
                  or "default", "nomad_region": self.state.region, "jti": str(uuid.uuid4())}

        def b64(data):
            return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

        jwt = "%s.%s.%s" % (b64({"alg": "none", "typ": "JWT", "kid": "double"}), b64(claims), "double")
        self.state.issued_secrets.add(jwt)
        return 200, {"JWT": jwt}, {}

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
        if name is not None and pname != name:  # command/agent/node_pool_endpoint.go nodePoolUpsert
            raise HTTPFailure(400, "Node pool name does not match request path")
        ttl = field(body, "NodeIdentityTTL")
        try:  # structs.NodePool.UnmarshalJSON: a Go duration string or nanoseconds
            ttl_ns = parse_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        # nomad/node_pool_endpoint.go UpsertNodePools: license check (node_pool_endpoint_ce.go
        # validateLicense) before the request is validated; an uncoded error -> 500
        if field(body, "SchedulerConfiguration") is not None:
            raise HTTPFailure(500, 'Feature "Node Pools Governance" is unlicensed')
        errors = []  # nomad/structs/node_pool.go NodePool.Validate
        if not POOL_RE.match(pname):
            errors.append('invalid name "%s", must match regex %s' % (pname, POOL_RE.pattern))
        description = field(body, "Description") or ""
        if len(description) > 256:
            errors.append("description longer than 256")
        if errors:
            raise RuleError(400, 'invalid node pool "%s": %s' % (pname, multierror(errors)))
        if pname in ("all", "default"):
            raise HTTPFailure(400, 'modifying node pool "%s" is not allowed' % pname)
        idx = st.next_index()
        old = st.node_pools.get(pname)
        # stored and answered as structs.NodePool: no MarshalJSON, so the msgpack JSON codec writes the
        # time.Duration as integer nanoseconds (the api package reads both forms)
        st.node_pools[pname] = {"Name": pname, "Description": description, "Meta": field(body, "Meta") or None,
                                "NodeIdentityTTL": ttl_ns or DAY_NS, "SchedulerConfiguration": None,
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

    def _api_job(self, body, job_id, plan):
        """command/agent/job_endpoint.go jobUpdate / jobPlan: the HTTP checks, then
        apiJobAndRequestToStructs (namespace precedence, api Canonicalize, ApiTgToStructsTG which
        drops the deprecated group keys), then Job.Validate (500, multierror text)."""
        job = field(body, "Job")
        if not job:
            raise HTTPFailure(400, "Job must be specified")
        jid = field(job, "ID")
        if not jid:
            raise HTTPFailure(400, "Job must have a valid ID" if plan else "Job ID hasn't been provided")
        if job_id is not None and jid != job_id:
            raise HTTPFailure(400, "Job ID does not match" if plan else "Job ID does not match name")
        scaled = [g for g in field(job, "TaskGroups") or [] if field(g, "Scaling") is not None]
        if (field(job, "Type") or "") == "system" and scaled:
            raise HTTPFailure(400, "Task groups with job type system do not support scaling blocks")
        namespace = rules.job_namespace(self.query.get("namespace"), body, job)
        job = canonicalize(copy.deepcopy(job))
        job["Namespace"] = namespace
        for group in job.get("TaskGroups") or []:
            for key in list(group):
                if key.lower() in [k.lower() for k in DEPRECATED_GROUP_KEYS]:
                    del group[key]
            group.update({"MaxClientDisconnect": None, "StopAfterClientDisconnect": None,
                          "PreventRescheduleOnLost": False})
        return job, namespace

    def _validate_job(self, job):
        errors = rules.job_errors(job)
        if errors:  # nomad/job_endpoint.go admissionControllers -> jobValidate.Validate; uncoded -> 500
            raise RuleError(500, multierror(errors))

    def _new_eval(self, job, trigger, idx):
        """nomad/job_endpoint.go doRegister: a pending evaluation; the scheduler (here: reads of the
        eval or of the job's deployment, see _tick_eval) completes it and only then creates the
        deployment (CE: multiregionCreateDeployment returns nil)."""
        now = time.time_ns()
        ev = {"ID": str(uuid.uuid4()), "Namespace": job["Namespace"], "Priority": job.get("Priority", 50),
              "Type": job.get("Type", "service"), "TriggeredBy": trigger, "JobID": job["ID"],
              "JobModifyIndex": job.get("JobModifyIndex", idx), "NodeID": "", "NodeModifyIndex": 0,
              "DeploymentID": "", "Status": "pending", "StatusDescription": "", "Wait": 0, "WaitUntil": None,
              "NextEval": "", "PreviousEval": "", "BlockedEval": "", "RelatedEvals": None, "FailedTGAllocs": None,
              "ClassEligibility": None, "QuotaLimitReached": "", "EscapedComputedClass": False,
              "AnnotatePlan": False, "QueuedAllocations": None, "LeaderACL": "", "SnapshotIndex": 0,
              "CreateIndex": idx, "ModifyIndex": idx, "CreateTime": now, "ModifyTime": now,
              "_reads": 0, "_deploy": None}
        self.state.evals[ev["ID"]] = ev
        return ev

    def _tick_eval(self, ev):
        st = self.state
        if ev["Status"] != "pending":
            return
        ev["_reads"] += 1
        if ev["_reads"] <= st.eval_polls:
            return
        idx = st.next_index()
        ev.update({"Status": "complete", "ModifyIndex": idx, "ModifyTime": time.time_ns()})
        version = ev["_deploy"]
        key = (ev["Namespace"], ev["JobID"])
        job = st.jobs.get(key)
        if version is not None and job is not None and job["Version"] == version:
            dep = {"ID": str(uuid.uuid4()), "Namespace": key[0], "JobID": key[1], "JobVersion": version,
                   "JobModifyIndex": job["JobModifyIndex"], "JobSpecModifyIndex": job["JobModifyIndex"],
                   "JobCreateIndex": job["CreateIndex"], "IsMultiregion": False, "TaskGroups": {},
                   "Status": "running", "StatusDescription": "Deployment is running", "EvalPriority": ev["Priority"],
                   "_reads": 0, "CreateIndex": idx, "ModifyIndex": idx}
            st.deployments[key] = dep
            ev["DeploymentID"] = dep["ID"]

    def _tick_job_evals(self, key):
        for ev in list(self.state.evals.values()):
            if (ev["Namespace"], ev["JobID"]) == key:
                self._tick_eval(ev)

    def job_register(self, job_id):
        st = self.state
        body = self.json_body()
        job, namespace = self._api_job(body, job_id, plan=False)
        self.auth(("namespace", "submit-job", namespace))
        jid = job["ID"]
        self._validate_job(job)
        if job["NodePool"] not in st.node_pools:
            raise HTTPFailure(500, 'job "%s" is in nonexistent node pool "%s"' % (jid, job["NodePool"]))
        if namespace not in st.namespaces:
            raise HTTPFailure(500, 'job "%s" is in nonexistent namespace "%s"' % (jid, namespace))
        key = (namespace, jid)
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
        cur = st.jobs[key]
        ev = None
        if not (cur.get("Periodic") or cur.get("ParameterizedJob")):
            ev = self._new_eval(cur, "job-register", idx)
            if changed and cur["Type"] == "service" and not cur.get("Stop"):
                ev["_deploy"] = cur["Version"]
        return 200, {"EvalID": ev["ID"] if ev else "", "EvalCreateIndex": idx if ev else 0,
                     "JobModifyIndex": cur["JobModifyIndex"] if changed else cur["ModifyIndex"],
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
        ev = self._new_eval(dict(job, Namespace=key[0]), "job-deregister", idx)
        return 200, {"EvalID": ev["ID"], "EvalCreateIndex": idx, "JobModifyIndex": idx, "Index": idx}, \
            self.write_headers(idx)

    def job_plan(self, job_id):
        body = self.json_body()
        job, namespace = self._api_job(body, job_id, plan=True)
        self.auth(("namespace", ("submit-job", "plan-job"), namespace))  # nomad/job_endpoint.go Plan
        self._validate_job(job)
        old = self.state.jobs.get((namespace, job_id))
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
        """Job.LatestDeployment: null until the scheduler has processed the registration's eval."""
        self.auth(("namespace", "read-job", self.namespace()))
        key = self._job_key(job_id)
        current = self.state.deployments.get(key)
        if current is not None and not getattr(self, "_bypass_auth", False):
            current["_reads"] += 1
            if current["Status"] == "running" and current["_reads"] > self.state.deployment_polls:
                current["Status"] = "successful"
                current["StatusDescription"] = "Deployment completed successfully"
        if not getattr(self, "_bypass_auth", False):
            self._tick_job_evals(key)  # time passes for the scheduler too
        if current is None:
            return 200, JSON_NULL, self.read_headers()
        return 200, {k: v for k, v in current.items() if not k.startswith("_")}, self.read_headers(current["ModifyIndex"])

    def evaluation(self, eval_id):
        """command/agent/eval_endpoint.go evalQuery: 404 "eval not found"; Eval.GetEval needs read-job."""
        if self.route_path.endswith("/allocations"):
            raise HTTPFailure(404, "Invalid URL")
        ev = self.state.evals.get(eval_id)
        self.auth(("namespace", "read-job", ev["Namespace"] if ev else self.namespace()))
        if ev is None:
            raise HTTPFailure(404, "eval not found")
        if not getattr(self, "_bypass_auth", False):
            self._tick_eval(ev)
        return 200, {k: copy.deepcopy(v) for k, v in ev.items() if not k.startswith("_")}, \
            self.read_headers(ev["ModifyIndex"])

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
        body = None
        if self.command != "DELETE":
            # command/agent/variable_endpoint.go variableUpsert, then nomad/variables_endpoint.go Apply
            # (VariableDecrypted.Validate) before the state store's check-and-set
            body = self.json_body()
            items = field(body, "Items")
            if not items:
                raise HTTPFailure(400, "variable missing required Items object")
            error = rules.variable_path_error(path)
            if error:
                raise HTTPFailure(400, error)
            if sum(len(str(k)) + len(str(v)) for k, v in items.items()) > 64 * 1024:
                raise HTTPFailure(400, "variables are limited to 64KiB in total size")
        cas = self.query.get("cas") or None
        if cas is not None:
            try:
                cas = int(cas)
                if cas < 0:
                    raise ValueError('strconv.ParseUint: parsing "%s": invalid syntax' % cas)
            except ValueError as exc:
                raise HTTPFailure(400, "can not parse cas: %s" % exc)
            have = cur["ModifyIndex"] if cur else 0
            if cas != have:
                conflict = copy.deepcopy(cur) if cur else {"Namespace": ns, "Path": path, "CreateIndex": 0,
                                                           "ModifyIndex": 0, "CreateTime": 0, "ModifyTime": 0}
                if self.command == "DELETE" and conflict.get("Items") is not None:
                    conflict.pop("Items")
                raise HTTPFailure(409, "cas error", body=conflict)
        if self.command == "DELETE":  # variableDelete answers 204 No Content
            st.variables.pop(key, None)
            idx = st.next_index()
            return 204, None, self.write_headers(idx)
        items = field(body, "Items")
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
                    "Version": st.server_version, "Leader": i == 0, "LastContact": "0s" if i == 0 else "12ms", "LastTerm": 2,
                    "LastIndex": st.index, "Healthy": st.autopilot_healthy or i != 2, "Voter": True,
                    "StableSince": "2026-11-24T10:00:00Z"} for i, (name, addr) in enumerate(st.servers)]
        body = {"Healthy": st.autopilot_healthy, "FailureTolerance": 1 if st.autopilot_healthy else 0,
                "Voters": [s["ID"] for s in servers], "Leader": servers[0]["ID"], "Servers": servers}
        return (200 if st.autopilot_healthy else 429), body, self.read_headers()

    def operator_license(self):
        """command/agent/operator_endpoint_ce.go LicenseRequest: the community edition answers GET with
        204 and no body (no ACL check), PUT with 501."""
        if self.command == "PUT":
            raise HTTPFailure(501, "Nomad Enterprise only endpoint")
        return 204, None, {}

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
        elif what == "servers-version":  # the servers came back on another version (a roll's outcome)
            st.server_version = str(body["version"])
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
                return 200, {"status": status, "data": None if data is JSON_NULL else data}, {}
            except HTTPFailure as exc:
                return 200, {"status": exc.status, "error": exc.text}, {}
            finally:
                self.route_path, self.command, self.query = saved
                self._bypass_auth = False
        elif what == "clear-requests":
            st.requests = []
        elif what == "node-attributes":  # a node's agent came back changed (e.g. a new nomad.version)
            node = next((n for n in st.nodes.values() if n["Name"] == body.get("name")), None)
            if node is None:
                raise HTTPFailure(404, "node not found")
            node["Attributes"].update(body.get("attributes") or {})
            node["ModifyIndex"] = st.next_index()
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


def _default(obj, key, value):
    """Set a default where the key is missing or JSON null (api.Job's nil pointers arrive as null)."""
    if obj.get(key) is None:
        obj[key] = value
    return obj[key]


def canonicalize(job):
    """Fill defaults like api.Job.Canonicalize does for the fields the double keeps."""
    _default(job, "Name", job.get("ID"))
    _default(job, "Type", "service")
    _default(job, "Priority", 50)
    _default(job, "Region", "global")
    _default(job, "Namespace", "default")
    _default(job, "Datacenters", ["*"])
    if not job.get("NodePool"):
        job["NodePool"] = "default"
    _default(job, "Stop", False)
    job.setdefault("Meta", None)
    for group in job.get("TaskGroups") or []:
        _default(group, "Count", 1)
        for task in group.get("Tasks") or []:
            resources = _default(task, "Resources", {})
            _default(resources, "CPU", 100)
            _default(resources, "MemoryMB", 300)
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
    _r("GET", r"/v1/acl/roles", H.acl_roles),
    _r("PUT POST", r"/v1/acl/role", H.acl_role),
    _r("GET", r"/v1/acl/role/name/([^/]*)", H.acl_role_by_name),
    _r("GET PUT POST DELETE", r"/v1/acl/role/([^/]+)", H.acl_role),
    _r("GET", r"/v1/acl/auth-methods", H.acl_auth_methods),
    _r("PUT POST", r"/v1/acl/auth-method", H.acl_auth_method),
    _r("GET PUT POST DELETE", r"/v1/acl/auth-method/(.*)", H.acl_auth_method),
    _r("GET", r"/v1/acl/binding-rules", H.acl_binding_rules),
    _r("PUT POST", r"/v1/acl/binding-rule", H.acl_binding_rule),
    _r("GET PUT POST DELETE", r"/v1/acl/binding-rule/(.*)", H.acl_binding_rule),
    _r("PUT POST", r"/v1/acl/identity/client-introduction-token", H.client_introduction_token),
    _r("GET", r"/v1/evaluation/([^/]+)(?:/allocations)?", H.evaluation),
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
    _r("GET PUT", r"/v1/operator/license", H.operator_license),
    _r("GET PUT POST", r"/v1/operator/snapshot", H.snapshot),
    _r("GET POST", r"/_double/([a-z-]+)", H.control),
]


class NomadAPIDouble(ThreadingHTTPServer):
    """The double's HTTP(S) server. ``url`` is its base address; run with serve_forever() or start()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state=None, host="127.0.0.1", port=0, tls_cert=None, tls_key=None, tls_client_ca=None,
                 record=None):
        self.state = state or DoubleState()
        self.record_path = record or os.environ.get(RECORD_ENV) or None
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
