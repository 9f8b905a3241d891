"""What every resource module of the Nomad API double shares: the error answer (HTTPFailure), Go
duration parsing and printing, JSON field lookup, the go-bexpr filter subset, the ACL capability
helpers, and the request helpers every handler calls (body, index headers, namespace, auth)."""

import fnmatch
import json
import re
import time

from . import rules

_DUR_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}


JSON_NULL = object()  # a handler's answer that is the JSON literal null (Go encodes a nil pointer so)


class Streaming:
    """A handler's answer that is a stream: the plumbing calls ``run(request)`` after the state lock is
    released, and ``run`` writes the whole response itself (GET /v1/event/stream writes its status line
    and headers first, as Nomad's hijacked connection does)."""

    def __init__(self, run):
        self.run = run


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
    if value in ("0", "+0", "-0"):
        return 0
    sign, body = (-1, value[1:]) if value[0] == "-" else (1, value[1:] if value[0] == "+" else value)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise ValueError('time: invalid duration "%s"' % value)
    return sign * int(sum(float(n) * _DUR_UNITS[u] for n, u in parts))


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


# acl/policy.go expandNamespaceCapabilities: the host volume capabilities imply others
_NS_CAP_EXPANSION = {
    "host-volume-write": ("host-volume-register", "host-volume-create", "host-volume-delete", "host-volume-read"),
    "host-volume-register": ("host-volume-create", "host-volume-read"),
    "host-volume-create": ("host-volume-read",),
}
# coarse `<scope> { policy = "..." }` blocks (acl/policy.go Policy: Agent, Node, Operator, Quota, Plugin)
COARSE_SCOPES = ("node", "operator", "agent", "quota", "plugin")


def policy_grants(text):
    """ACL policy rules -> {"namespace": [(glob, caps)], "node_pool": [...], "node": [(None, level)], ...}."""
    parsed = rules.parse_policy(text) if text and text.strip() else {}
    out = {}
    for kind in COARSE_SCOPES:
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
                explicit = set(_unquote(c) for c in body.get("capabilities") or [])
                for cap in list(explicit):
                    explicit.update(_NS_CAP_EXPANSION.get(cap, ()) if kind == "namespace" else ())
                caps |= explicit
                out.setdefault(kind, []).append((_unquote(label), caps))
    return out


def route(methods, pattern, handler):
    """One entry of a resource module's ROUTES table: (methods, compiled ^pattern$, handler)."""
    return (frozenset(methods.split()), re.compile("^" + pattern + "$"), handler)


def invalid_method_status(status):
    """Mark a handler whose route answers a method it does not take with `status` "Invalid method"
    instead of the usual 405 (Nomad's operator endpoints answer 404, see operator.py)."""
    def mark(handler):
        handler.invalid_method_status = status
        return handler
    return mark


class RequestHelpers:
    """The helpers every handler calls on its request (mixed into the server's request handler)."""

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
        if scope in COARSE_SCOPES:
            levels = [lvl for (glob, lvl) in grants.get(scope, [])]
            if "deny" in levels:
                return False
            if scope == "plugin":  # acl/acl.go AllowPluginRead (read), AllowPluginList (list or read)
                return "read" in levels or (cap == "list" and "list" in levels)
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

    def enterprise_only(self):
        """The community edition answers every Enterprise-only path with 501 "Nomad Enterprise only endpoint",
        for any method and before any ACL check (command/agent/http_ce.go registerEnterpriseHandlers ->
        entOnly, command/agent/http.go ErrEntOnly). Call it first in the handlers of those paths."""
        if not self.state.enterprise:
            raise HTTPFailure(501, "Nomad Enterprise only endpoint")

    def _acl_write(self):
        """nomad/acl_endpoint.go: ACL writes need ACLs on (aclDisabled = 400) and a management token."""
        if not self.state.acl_enabled:
            raise HTTPFailure(400, "ACL support disabled")
        self.auth("management")
