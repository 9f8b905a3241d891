"""Nodes over time: registration, heartbeats, node identities, client introduction, heartbeat expiry,
allocations on disconnected nodes, node garbage collection, each as Nomad 2.0.5 does it (the file and
function are named beside each rule). Mixed into DoubleState (state.py): these are its state-change
methods, so anything that hooks into DoubleState (an event stream) sees every transition.

Time is the double's Clock (clock.py). Nothing runs in the background: DoubleState.tick() is called on every
request and applies what fell due since the last one, each at its own instant, in time order (a heartbeat
deadline, an allocation's lost_after, a node GC pass); DoubleState.advance(ns) moves the clock through the
same sequence. Nodes whose agent keeps heartbeating during an advance (their timer was still running when
it began) are treated as having heartbeated all along, see advance().
"""

import copy
import fnmatch
import random
import re
import uuid

from . import events as broker
from . import identity
from .common import parse_duration

NS = 10 ** 9
MINUTE = 60 * NS
HOUR = 3600 * NS

POOL_RE = re.compile(r"^[a-zA-Z0-9-_]{1,128}$")
MAX_NODE_EVENTS = 10  # nomad/structs/structs.go MaxRetainedNodeEvents
TERMINAL_CLIENT = ("complete", "failed", "lost")

# Event messages (nomad/node_endpoint.go, nomad/state/state_store.go, nomad/drainer_shims.go)
EV_REGISTERED = "Node registered"
EV_REREGISTERED = "Node re-registered"
EV_MISSED = "Node heartbeat missed"
EV_REREG_HEARTBEAT = "Node reregistered by heartbeat"
EV_WAITING_POOL = "Node registered but waiting for node pool to be created"


class AdvanceRefused(Exception):
    """advance() did not move the clock: a node the caller keeps connected was not heartbeating."""


class RPCError(Exception):
    """An RPC error as the client sees its text (the double's /_double/rpc routes answer it with `status`)."""

    def __init__(self, text, status=500):
        super().__init__(text)
        self.text = text
        self.status = status


PERMISSION_DENIED = "Permission denied"  # nomad/structs/errors.go ErrPermissionDenied


def default_server_config():
    """Server settings that decide a node's life, at Nomad's defaults (nomad/config.go DefaultConfig,
    nomad/structs/node.go DefaultNodeIntroductionConfig)."""
    return {
        "heartbeat_grace": 10 * NS,  # HeartbeatGrace
        "min_heartbeat_ttl": 10 * NS,  # MinHeartbeatTTL
        "max_heartbeats_per_second": 50.0,  # MaxHeartbeatsPerSecond
        "node_gc_threshold": 24 * HOUR,  # NodeGCThreshold
        "node_gc_interval": 5 * MINUTE,  # NodeGCInterval (the leader's periodic node-gc core job)
        "enforcement": "warn",  # client_introduction.enforcement
        "default_identity_ttl": 5 * MINUTE,  # client_introduction.default_identity_ttl
        "max_identity_ttl": 30 * MINUTE,  # client_introduction.max_identity_ttl
        "advertise_rpc": None,  # advertise.rpc: what Register and UpdateStatus replies list in Servers
        "heartbeat_stagger": True,  # the double's switch: resetHeartbeatTimer's RandomStagger on or off
    }


def _go_duration(value, key):
    try:
        return parse_duration(value)
    except ValueError:
        raise RPCError("%s: time: invalid duration %r" % (key, value), 400)


class NodeLifecycle:
    """The node lifecycle part of DoubleState (see the module docstring)."""

    # -- setup -------------------------------------------------------------------------------------
    def _init_lifecycle(self):
        self.server_config = default_server_config()
        self.allocs = {}  # alloc ID -> allocation
        self.signing_keys = {"double-key-1": {"Active": True}}  # the keyring; JWTs name their key (kid)
        self.issued_jwts = set()  # jti of every JWT the double signed
        self.intro_violations = 0  # metric nomad.client.introduction_violation_num
        self.server_log = []  # what the servers would log: {"level", "message", pairs...}
        self._gc_epoch = self.clock.now_ns()  # the leader's periodic GC starts with its leadership
        self._next_due = None  # cached instant of the next transition; None = recompute

    def set_server_config(self, cfg):
        """The servers' agent configuration (the `server` block and `advertise.rpc` as parsed from the
        agent's HCL, or the same keys flat). command/agent/config.go ClientIntroduction.Validate texts."""
        server = dict(cfg.get("server") or {}, **{k: v for k, v in cfg.items()
                                                  if k not in ("server", "advertise", "replace")})
        intro = server.pop("client_introduction", None) or {}
        if isinstance(intro, list):
            intro = intro[0] if intro else {}
        # "replace": the whole configuration of servers that (re)started with it: what it leaves out is Nomad's default
        new = default_server_config() if cfg.get("replace") else dict(self.server_config)
        for key in ("heartbeat_grace", "min_heartbeat_ttl", "node_gc_threshold", "node_gc_interval"):
            if server.get(key) not in (None, ""):
                new[key] = _go_duration(server[key], key)
        if server.get("max_heartbeats_per_second") not in (None, ""):
            new["max_heartbeats_per_second"] = float(server["max_heartbeats_per_second"])
        if "heartbeat_stagger" in server:
            new["heartbeat_stagger"] = bool(server["heartbeat_stagger"])
        if intro.get("enforcement") not in (None, ""):
            if intro["enforcement"] not in ("none", "warn", "strict"):
                raise RPCError("client_introduction.enforcement must be one of [none warn strict]", 400)
            new["enforcement"] = intro["enforcement"]
        for key in ("default_identity_ttl", "max_identity_ttl"):
            if intro.get(key) not in (None, ""):
                new[key] = _go_duration(intro[key], "client_introduction." + key)
        if new["max_identity_ttl"] <= new["default_identity_ttl"]:
            raise RPCError("client_introduction.max_identity_ttl must be greater than default_identity_ttl", 400)
        advertise = cfg.get("advertise") or {}
        if isinstance(advertise, list):
            advertise = advertise[0] if advertise else {}
        if advertise.get("rpc"):
            new["advertise_rpc"] = advertise["rpc"]
        self.server_config = new
        self._next_due = None

    # -- time --------------------------------------------------------------------------------------
    def now_ns(self):
        return self.clock.now_ns()

    def tick(self):
        """Apply every transition that fell due, each at its own instant, in time order."""
        now = self.clock.now_ns()
        while True:
            due, action = self._next_transition(limit=now)
            if action is None:
                return
            self.clock.freeze(due)
            try:
                action()
            finally:
                self.clock.release(self.clock.offset_ns)

    def advance(self, ns, connected=()):
        """Move Nomad's clock ns forward through every transition on the way, in order (a node's heartbeat
        deadline -> down or disconnected; an unknown allocation's lost_after -> lost; the disconnected node's
        next deadline -> down; the first node GC pass past node_gc_threshold -> collected).

        An agent that is still heartbeating when the advance begins (its node's timer is running, and it was
        not silenced with /_double/node-agent) is taken to have heartbeated throughout: its timer does not
        expire, and the identity renewal it would have received on the way (UpdateStatus, less than a third
        of the TTL left) is handed to it with the reply to its next heartbeat, which may present the identity
        it still holds. To take a node offline, cut its agent off and let its timer expire first.

        connected names (or IDs) the nodes whose agents the caller keeps connected throughout: when one of
        them is not heartbeating as the advance begins (a real agent that just missed a heartbeat on a busy
        machine, and is about to come back by heartbeat), nothing moves and AdvanceRefused says which, so
        the caller can wait for it and ask again instead of sending that node offline for the whole step.
        -> the names of the nodes carried through."""
        self.tick()
        start = self.clock.now_ns()
        target = start + ns
        live = [n for n in self.nodes.values() if n.get("_hb_deadline") is not None and not n.get("_silent")
                and n["Status"] not in ("down", "disconnected")]
        live_ids = {n["ID"] for n in live}
        missing = []
        for wanted in connected:
            node = self.node_named(wanted)
            if node is None:
                missing.append("%s (not in the state)" % wanted)
            elif node["ID"] not in live_ids:
                missing.append("%s (%s%s)" % (wanted, node["Status"], ", agent silenced" if node.get("_silent") else ""))
        if missing:
            raise AdvanceRefused("not heartbeating as the advance began: " + ", ".join(missing))
        for node in live:
            node["_carried"] = True
        self._next_due = None
        try:
            while True:
                due, action = self._next_transition(limit=target)
                if action is None:
                    break
                self.clock.freeze(due)
                action()
        finally:
            self.clock.release(self.clock.offset_ns + ns)
        now = self.clock.now_ns()
        for node in live:
            node.pop("_carried", None)
            if node["ID"] not in self.nodes:
                continue
            node["_hb_deadline"] = now + node.get("_hb_ttl", self.server_config["min_heartbeat_ttl"]) \
                + self.server_config["heartbeat_grace"]
            claims = node.get("_identity")
            if node["_agent"] == "rpc" and claims is not None:
                ttl = self.pool_identity_ttl(node["NodePool"])
                if identity.is_expiring(claims, now, ttl):  # renewed by a heartbeat on the way
                    jwt, fresh = self._issue_node_identity(node, ttl)
                    node["_carried_jti"] = claims["jti"]
                    node["_pending_identity"] = jwt
                    node["_identity"] = fresh
        self._next_due = None
        self.tick()
        return sorted(node["Name"] for node in live)

    def _next_transition(self, limit):
        """(instant, action) of the earliest transition at or before limit, or (None, None)."""
        if self._next_due is not None and self._next_due > limit:
            return None, None
        best = (None, None)

        def consider(at, action):
            nonlocal best
            if at is not None and (best[0] is None or at < best[0]):
                best = (at, action)

        for node in list(self.nodes.values()):
            deadline = node.get("_hb_deadline")
            if deadline is not None and not node.get("_carried"):
                consider(deadline, lambda node=node, at=deadline: self.invalidate_heartbeat(node, at))
        for alloc in list(self.allocs.values()):
            if alloc["ClientStatus"] == "unknown" and alloc["DesiredStatus"] == "run" and alloc["_lost_after"] > 0:
                at = alloc["_last_unknown"] + alloc["_lost_after"]
                consider(at, lambda alloc=alloc: self.expire_alloc(alloc))
        gc_due = self._next_gc_due()
        if gc_due is not None:
            interval = self.server_config["node_gc_interval"]
            passes = max(0, -(-(gc_due - self._gc_epoch) // interval))
            consider(self._gc_epoch + passes * interval, self.node_gc_pass)
        self._next_due = best[0] if best[0] is not None else float("inf")
        if best[0] is None or best[0] > limit:
            return None, None
        return best

    def _changed(self):
        """Something a transition depends on changed: recompute the next one."""
        self._next_due = None

    # -- node helpers --------------------------------------------------------------------------------
    def node_named(self, name_or_id):
        """The node with this name or ID, or None (the test-only endpoints and advance() name nodes either way)."""
        return next((n for n in self.nodes.values() if name_or_id in (n["Name"], n["ID"])), None)

    def pool_identity_ttl(self, pool_name):
        """The pool's node_identity_ttl, or DefaultNodePoolNodeIdentityTTL (24h) while the pool does not exist
        (nomad/node_endpoint.go Register and UpdateStatus)."""
        pool = self.node_pools.get(pool_name)
        return pool["NodeIdentityTTL"] if pool else 24 * HOUR

    def node_event(self, node, message, subsystem="Cluster", details=None, index=None):
        """appendNodeEvents: at most MaxRetainedNodeEvents (10) are kept, the oldest dropped."""
        events = node.setdefault("Events", [])
        events.append({"Message": message, "Subsystem": subsystem, "Details": details,
                       "Timestamp": self.clock.rfc3339(), "CreateIndex": index or self.index})
        del events[:-MAX_NODE_EVENTS]

    def _write_node(self, node):
        """A write of the node at a new index; the caller publishes its event (drain, eligibility, ...)."""
        idx = self.next_index()
        node["ModifyIndex"] = idx
        self._changed()
        return idx

    def heartbeat_ttl(self):
        """nomad/heartbeat.go resetHeartbeatTimer: RateScaledInterval(max_heartbeats_per_second,
        min_heartbeat_ttl, number of timers) plus RandomStagger(ttl); the server's timer adds heartbeat_grace
        and the client is told the TTL without it."""
        cfg = self.server_config
        timers = sum(1 for n in self.nodes.values() if n["Status"] != "down")
        ttl = cfg["min_heartbeat_ttl"]
        rate = cfg["max_heartbeats_per_second"]
        if rate > 1.0 / 86400:
            ttl = max(ttl, int(timers / rate * NS))
        if cfg["heartbeat_stagger"]:
            ttl += int(random.random() * ttl)
        return ttl

    def reset_heartbeat_timer(self, node):
        ttl = self.heartbeat_ttl()
        node["_hb_ttl"] = ttl
        node["_hb_deadline"] = self.clock.now_ns() + ttl + self.server_config["heartbeat_grace"]
        self._changed()
        return ttl

    def set_agent_heartbeating(self, node, heartbeating):
        """The test's switch for an agent (/_double/node-agent). A simulated agent (the seeded nodes) that stops
        gets a timer that expires like any node's; one that starts again heartbeats (down -> ready). An RPC
        agent (the stand-in) marked silent is not carried through an advance even while its timer runs."""
        node["_silent"] = not heartbeating
        if node["_agent"] == "simulated":
            if heartbeating:
                node["_hb_deadline"] = None
                if node["Status"] != "ready":
                    self.apply_heartbeat_status(node, "ready")
            elif node["Status"] != "down" and node.get("_hb_deadline") is None:
                self.reset_heartbeat_timer(node)
        self._changed()

    def clear_heartbeat_timer(self, node):
        node["_hb_deadline"] = None
        self._changed()

    def _log(self, level, message, **pairs):
        self.server_log.append(dict({"level": level, "message": message}, **pairs))

    def _issue_node_identity(self, node, ttl):
        key_id = next(k for k, v in self.signing_keys.items() if v["Active"])
        claims = identity.node_claims(node, self.region, ttl, self.clock.now_ns())
        self.issued_jwts.add(claims["jti"])
        node["IdentitySigningKeyID"] = key_id
        return identity.encode(claims, key_id), claims

    def issue_intro_token(self, pool, name, ttl):
        """nomad/acl_endpoint.go CreateClientIntroductionToken after the TTL rule (structs.
        ACLCreateClientIntroductionTokenRequest.IdentityTTL): the signed introduction JWT."""
        key_id = next(k for k, v in self.signing_keys.items() if v["Active"])
        claims = identity.intro_claims(self.region, pool, name, ttl, self.clock.now_ns())
        self.issued_jwts.add(claims["jti"])
        return identity.encode(claims, key_id)

    def intro_token_ttl(self, requested):
        """structs.ACLCreateClientIntroductionTokenRequest.IdentityTTL: 0 -> default_identity_ttl; above
        max_identity_ttl -> capped (and a WARN log); anything else, negative included, as asked."""
        cfg = self.server_config
        if requested == 0:
            return cfg["default_identity_ttl"]
        if requested > cfg["max_identity_ttl"]:
            self._log("warn", "node introduction identity TTL request exceeds server maximum, using server maximum")
            return cfg["max_identity_ttl"]
        return requested

    # -- authentication (nomad/auth/auth.go AuthenticateNodeIdentityGenerator) -----------------------
    def authenticate_node(self, token, peer_names=None):
        """-> (identity, auth_error). identity: {"anonymous"} | {"client_id"} | {"claims", "kind"}.
        auth_error: None, or an IdentityError (expired or not), or RPCError(Permission denied)."""
        if peer_names is not None:  # verifyTLS: tls.rpc and verify_server_hostname on the servers
            wanted = ["client.%s.nomad" % self.region, "server.%s.nomad" % self.region]
            if not any(name in wanted for name in peer_names):
                return {}, RPCError("invalid certificate: %s not in expected %s" % (peer_names, wanted))
        if not token:
            return {"anonymous": True}, None
        if re.match(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", token):
            node = next((n for n in self.nodes.values() if n.get("SecretID") == token), None)
            if node is None:
                return {}, RPCError(PERMISSION_DENIED, 403)
            return {"client_id": node["ID"]}, None
        carried = self._carried_identity(token)
        if carried is not None:
            return carried, None
        try:
            claims = identity.verify(token, self.signing_keys, self.issued_jwts, self.clock.now_ns())
        except identity.IdentityError as exc:
            return {}, exc  # the claims are not set when verification fails
        kind = identity.kind(claims)
        if kind is None:
            return {}, RPCError(PERMISSION_DENIED, 403)
        return {"claims": claims, "kind": kind}, None

    def _carried_identity(self, token):
        """An agent that heartbeated through an advance still holds the identity it had: it stands for the
        renewal it would have received (advance())."""
        try:
            dummy, claims = identity.decode(token)
        except identity.IdentityError:
            return None
        node = self.nodes.get(claims.get("nomad_node_id", ""))
        if node is None or not node.get("_carried_jti") or node["_carried_jti"] != claims.get("jti"):
            return None
        return {"claims": node["_identity"], "kind": "node", "carried": True}

    # -- Node.Register (nomad/node_endpoint.go Register) ---------------------------------------------
    def register_node(self, args, token, peer_names=None):
        ident, auth_err = self.authenticate_node(token, peer_names)
        if isinstance(auth_err, RPCError) and auth_err.text.startswith("invalid certificate"):
            raise auth_err
        expired = isinstance(auth_err, identity.IdentityError) and auth_err.expired
        if auth_err is not None and not expired:
            raise RPCError(PERMISSION_DENIED, 403)
        node = copy.deepcopy(args.get("Node") or None)
        _validate_register(node)
        now = self.clock.now_ns()
        if not node.get("Status"):
            node["Status"] = "initializing"
        if node["Status"] not in ("initializing", "ready", "down", "disconnected"):
            raise RPCError("invalid status for node")
        node.setdefault("SchedulingEligibility", "")
        if not node["SchedulingEligibility"]:
            node["SchedulingEligibility"] = "eligible"
        if not node.get("NodePool"):
            node["NodePool"] = "default"
        node["StatusUpdatedAt"] = now // NS
        original = self.nodes.get(node["ID"])
        if original is not None:
            if node.get("SecretID") != original.get("SecretID") and original.get("SecretID"):
                raise RPCError("node secret ID does not match. Not registering node.")
            if original["Status"]:
                node["Status"] = original["Status"]  # only UpdateStatus changes a node's status
        elif not self.new_registration_allowed(node, ident, auth_err):
            raise RPCError(PERMISSION_DENIED, 403)
        pool_missing = node["NodePool"] not in self.node_pools
        ttl = self.pool_identity_ttl(node["NodePool"])
        signed = None
        if self._register_should_generate(node, ident, auth_err, now, ttl):
            signed, claims = self._issue_node_identity(node, ttl)
        elif original is not None:
            node["IdentitySigningKeyID"] = original.get("IdentitySigningKeyID", "")
        pool_events = []
        if pool_missing:  # the authoritative region creates the pool with the node (NodeUpsertWithNodePool)
            pool_events = self.create_pool_for_node(node["NodePool"])
        idx = self.upsert_node(node, original, pool_events)
        stored = self.nodes[node["ID"]]
        if signed is not None:
            stored["_identity"] = claims
            stored.pop("_carried_jti", None)
            stored.pop("_pending_identity", None)
        ttl_reply = 0
        if stored["Status"] != "down":
            ttl_reply = self.reset_heartbeat_timer(stored)
        return self.node_update_response(stored, idx, ttl_reply, signed)

    def new_registration_allowed(self, node, ident, auth_err):
        """nomad/node_endpoint.go newRegistrationAllowed, for a node that is not in the state: the
        enforcement matrix (none allows; an authentication failure or an introduction token for another
        pool or name refuses at warn and strict; no token: warn allows and logs, strict refuses; a valid
        node identity of this node ID allows), the metric and the log lines."""
        level = self.server_config["enforcement"]
        if level == "none":
            return True
        claims = ident.get("claims") or {}
        kind = ident.get("kind")
        match = False
        if kind == "intro":
            match = claims.get("nomad_node_pool") == node["NodePool"] and \
                claims.get("nomad_node_name") in ("", node["Name"])
        if kind == "node":
            match = claims.get("nomad_node_id") == node["ID"]
        if auth_err is None and match:
            return True
        self.intro_violations += 1
        pairs = {"enforcement_level": level, "node_id": node["ID"], "node_pool": node["NodePool"],
                 "node_name": node["Name"]}
        msg = "node registration introduction claims mismatch"
        if auth_err is not None:
            msg = "node registration introduction authentication failure"
            pairs["error"] = str(auth_err)
        elif ident.get("anonymous"):
            msg = "node registration without introduction token"
        if auth_err is not None or (not match and kind == "intro"):
            self._log("error", msg, **pairs)
            return False
        if level == "warn":
            self._log("warn", msg, **pairs)
            return True
        self._log("error", msg, **pairs)
        return False

    @staticmethod
    def _register_should_generate(node, ident, auth_err, now, ttl):
        """structs.NodeRegisterRequest.ShouldGenerateNodeIdentity."""
        if auth_err is not None:
            return getattr(auth_err, "expired", False)
        if not _version_at_least(node.get("Attributes", {}).get("nomad.version", ""), (1, 11, 0)):
            return False
        if ident.get("anonymous") or ident.get("client_id"):
            return True
        claims = ident.get("claims") or {}
        if ident.get("kind") == "intro":
            return True
        if node["NodePool"] != claims.get("nomad_node_pool") or node.get("NodeClass", "") != \
                claims.get("nomad_node_class", "") or node["Datacenter"] != claims.get("nomad_node_datacenter"):
            return True
        return identity.is_expiring(claims, now, ttl)

    def create_pool_for_node(self, name):
        """fetchOrCreateNodePoolTxn, in the registration's transaction: the pool's stream event (Type
        NodeRegistration) is returned for upsert_node to publish beside the node's."""
        idx = self.index + 1  # the index upsert_node writes at
        self.node_pools[name] = {"Name": name, "Description": "", "Meta": None, "NodeIdentityTTL": 24 * HOUR,
                                 "SchedulerConfiguration": None, "CreateIndex": idx, "ModifyIndex": idx}
        return [broker.make_event("NodePool", "NodeRegistration", name, "", {"NodePool": dict(self.node_pools[name])})]

    def upsert_node(self, node, original, also=()):
        """nomad/state/state_store.go upsertNodeTxn: an existing node keeps its events, eligibility, drain
        strategy, last drain and create index; a new one gets the event "Node registered"."""
        idx = self.next_index()
        node["ModifyIndex"] = idx
        node.setdefault("Events", None)
        for key, value in (("DrainStrategy", None), ("LastDrain", None), ("LastMissedHeartbeatIndex", 0),
                           ("LastAllocUpdateIndex", 0), ("IdentitySigningKeyID", ""), ("StatusDescription", ""),
                           ("HostVolumes", {}), ("Drivers", {}), ("Meta", {}), ("NodeClass", ""),
                           ("HTTPAddr", ""), ("TLSEnabled", False)):
            node.setdefault(key, value)
        if original is not None:
            node["CreateIndex"] = original["CreateIndex"]
            if original["Status"] not in ("down", "disconnected") and node["Status"] in ("down", "disconnected"):
                node["LastMissedHeartbeatIndex"] = idx
            node["Events"] = original.get("Events")
            if original["Status"] == "down" and node["Status"] != "down":
                self.node_event(node, EV_REREGISTERED, index=idx)
            for key in ("SchedulingEligibility", "DrainStrategy", "LastDrain"):  # "Retain the eligibility"
                node[key] = original.get(key)
            for key in ("LastMissedHeartbeatIndex", "LastAllocUpdateIndex"):
                node[key] = max(node.get(key) or 0, original.get(key) or 0)
            for key, value in original.items():
                if key.startswith("_"):
                    node.setdefault(key, value)
        else:
            node["CreateIndex"] = idx
            node["Events"] = []
            self.node_event(node, EV_REGISTERED, index=idx)
            node.setdefault("_agent", "rpc")
            node["_drain_reads"] = 0
        self.nodes[node["ID"]] = node
        self._changed()
        self.publish(idx, [self.node_stream_event(node, "NodeRegistration")] + list(also))  # NodeRegisterRequestType
        return idx

    def node_update_response(self, node, idx, ttl, signed):
        """structs.NodeUpdateResponse, Servers/LeaderRPCAddr/NumNodes/SchedulingEligibility as
        constructNodeServerInfoResponse fills them."""
        servers = self.rpc_servers()
        return {"HeartbeatTTL": ttl, "EvalIDs": None, "EvalCreateIndex": 0, "NodeModifyIndex": idx,
                "LeaderRPCAddr": servers[0]["RPCAdvertiseAddr"] if servers else "",
                "NumNodes": len(self.nodes), "Servers": servers, "Features": 0,
                "SchedulingEligibility": node["SchedulingEligibility"],
                "SignedIdentity": signed, "Index": idx, "LastContact": 0, "KnownLeader": True, "NextToken": ""}

    def rpc_servers(self):
        """peersCache.LocalPeersServerInfo: every server of the region at its advertised RPC address."""
        addr = self.server_config.get("advertise_rpc")
        addrs = [addr] * len(self.servers) if addr else [a for dummy, a in self.servers]
        return [{"RPCAdvertiseAddr": a, "RPCMajorVersion": 1, "RPCMinorVersion": 1, "Datacenter": "dc1"}
                for a in addrs]

    # -- Node.UpdateStatus (nomad/node_endpoint.go UpdateStatus) -------------------------------------
    def update_node_status(self, args, token, peer_names=None):
        """The heartbeat of a client (Status ready): authenticate (an expired identity is refused here,
        unlike Register), then the status rules, identity renewal at less than a third of the TTL left, and
        a new heartbeat timer unless the node is down."""
        ident, auth_err = self.authenticate_node(token, peer_names)
        if auth_err is not None:
            raise RPCError(PERMISSION_DENIED, 403)
        node_id = args.get("NodeID") or ""
        owner = ident.get("client_id") or (ident.get("claims") or {}).get("nomad_node_id")
        if ident.get("kind") != "node" and not ident.get("client_id") or owner != node_id:
            raise RPCError(PERMISSION_DENIED, 403)  # auth.AuthorizeSameNode
        if not node_id:
            raise RPCError("missing node ID for client status update")
        status = args.get("Status") or ""
        if status not in ("initializing", "ready", "down", "disconnected"):
            raise RPCError("invalid status for node")
        node = self.nodes.get(node_id)
        if node is None:
            raise RPCError("node not found")
        now = self.clock.now_ns()
        ttl = self.pool_identity_ttl(node["NodePool"])
        signed = None
        if ident.get("carried"):  # the renewal it would have received while the clock was advanced
            signed = node.pop("_pending_identity", None)
            node.pop("_carried_jti", None)
        if signed is None and _version_at_least(node["Attributes"].get("nomad.version", ""), (1, 11, 0)):
            claims = ident.get("claims") or {}
            if ident.get("client_id") or args.get("ForceIdentityRenewal") or identity.is_expiring(claims, now, ttl):
                old_key = node.get("IdentitySigningKeyID")
                signed, fresh = self._issue_node_identity(node, ttl)
                node["_identity"] = fresh
                # a Raft write only when the signing key changed ("we do not cause Raft updates unless we need to")
                node["_index_identity"] = old_key != node["IdentitySigningKeyID"]
        idx = self.apply_heartbeat_status(node, status)
        ttl_reply = 0
        if node["Status"] != "down":
            ttl_reply = self.reset_heartbeat_timer(node)
        return self.node_update_response(node, idx, ttl_reply, signed)

    def apply_heartbeat_status(self, node, status, event=None):
        """The status rules of UpdateStatus: initializing stays so while the node has non-terminal allocations
        it has not updated since it missed a heartbeat, or its non-default pool does not exist; disconnected
        and a ready heartbeat -> initializing; down -> ready records "Node reregistered by heartbeat"."""
        new = status
        if node["Status"] == "initializing" and status == "ready":
            live = [a for a in self.allocs.values() if a["NodeID"] == node["ID"] and not _terminal(a)]
            if live and not node.get("LastAllocUpdateIndex", 0) > node.get("LastMissedHeartbeatIndex", 0):
                new = "initializing"
            if node["NodePool"] not in self.node_pools and node["NodePool"] != "default":
                new = "initializing"
                if not any(e["Message"] == EV_WAITING_POOL for e in node.get("Events") or []):
                    event = (EV_WAITING_POOL, {"node_pool": node["NodePool"]})
        elif node["Status"] == "disconnected" and status == "ready":
            new = "initializing"
        new_key = node.pop("_index_identity", False)
        if node["Status"] == new and event is None and not new_key:
            return 0  # "Only perform a Raft apply if we really have to"
        if node["Status"] == "down" and event is None and new != "down":
            event = (EV_REREG_HEARTBEAT, None)
        return self.set_node_status(node, new, event)

    def set_node_status(self, node, status, event=None):
        """nomad/state/state_store.go updateNodeStatusTxn: StatusUpdatedAt, the event, LastMissedHeartbeatIndex
        set when the node turns down or disconnected and reset when it is ready again; then the scheduler's
        reaction (allocations unknown, lost or placed)."""
        old = node["Status"]
        idx = self.next_index()
        node["Status"] = status
        node["StatusUpdatedAt"] = self.clock.now_ns() // NS
        node["ModifyIndex"] = idx
        if event is not None:
            self.node_event(node, event[0], details=event[1], index=idx)
        if status in ("down", "disconnected") and old not in ("down", "disconnected"):
            node["LastMissedHeartbeatIndex"] = idx
        if status == "ready":
            node["LastMissedHeartbeatIndex"] = 0
        self._changed()
        self.publish(idx, [self.node_stream_event(node, "NodeStreamEvent")])  # NodeUpdateStatusRequestType
        self.host_volumes_follow_node(node)
        if status in ("disconnected", "down") and any(
                a["NodeID"] == node["ID"] and not _terminal(a) for a in self.allocs.values()):
            self.begin_plan()  # the scheduler's plan for the node's allocations
            try:
                if status == "disconnected":
                    self.allocs_unknown(node)
                else:
                    self.allocs_lost(node)
            finally:
                self.end_plan()
        if status != old:
            self.reconcile_jobs()
        return idx

    # -- heartbeat expiry (nomad/heartbeat.go invalidateHeartbeat, disconnectState) -------------------
    def invalidate_heartbeat(self, node, at):
        """The node's timer fired: `down`, or `disconnected` when it is neither down nor initializing and has
        an allocation with disconnect.lost_after > 0 that should run and has not expired. A disconnected node
        gets a new timer (UpdateStatus re-arms it for any status but down) and turns down at the first expiry
        after none of its allocations is pending a reconnect."""
        node["_hb_deadline"] = None
        if node["ID"] not in self.nodes or node["Status"] == "down":
            self._changed()
            return
        self._log("warn", "node TTL expired", node_id=node["ID"])
        can_disconnect, pending = self._disconnect_state(node)
        status = "disconnected" if can_disconnect and pending else "down"
        if status == "disconnected" and node["Status"] == "disconnected":
            # the repeated expiries of a disconnected node change nothing until its pending allocations
            # expire: the double applies the one at or after that instant (its StatusUpdatedAt then)
            period = node.get("_hb_ttl", self.server_config["min_heartbeat_ttl"]) + self.server_config["heartbeat_grace"]
            expiry = min(a["_last_unknown"] + a["_lost_after"] for a in self._pending_reconnect(node))
            steps = max(1, -(-(expiry - at) // period))
            node["_hb_deadline"] = at + steps * period
            self._changed()
            return
        self.set_node_status(node, status, (EV_MISSED, None))
        if status == "disconnected":
            self.reset_heartbeat_timer(node)

    def _pending_reconnect(self, node):
        now = self.clock.now_ns()
        return [a for a in self.allocs.values() if a["NodeID"] == node["ID"] and a["_lost_after"] > 0
                and a["DesiredStatus"] == "run" and not _expired(a, now)]

    def _disconnect_state(self, node):
        if node["Status"] in ("down", "initializing"):
            return False, False
        mine = [a for a in self.allocs.values() if a["NodeID"] == node["ID"]]
        can = any(a["_lost_after"] > 0 for a in mine)
        return can, bool(self._pending_reconnect(node))

    # -- node GC (nomad/core_sched.go nodeGC) ---------------------------------------------------------
    def _gc_candidates(self, threshold):
        cutoff = self.clock.now_ns() - threshold
        out = []
        for node in self.nodes.values():
            if node["Status"] != "down" or node["StatusUpdatedAt"] * NS > cutoff:
                continue
            if any(not _terminal(a) for a in self.allocs.values() if a["NodeID"] == node["ID"]):
                continue  # a non-terminal allocation holds the node back
            out.append(node)
        return out

    def _next_gc_due(self):
        threshold = self.server_config["node_gc_threshold"]
        dues = [n["StatusUpdatedAt"] * NS + threshold for n in self.nodes.values() if n["Status"] == "down"
                and not any(not _terminal(a) for a in self.allocs.values() if a["NodeID"] == n["ID"])]
        return min(dues) if dues else None

    def node_gc_pass(self, threshold=None):
        """One node GC pass: every down node whose StatusUpdatedAt is older than node_gc_threshold and whose
        allocations are all terminal is deleted (nodeReap -> deleteNodeTxn: the record, its SecretID, events,
        eligibility and drain data go; its allocations and pool stay). Returns the IDs collected."""
        gone = [n["ID"] for n in self._gc_candidates(self.server_config["node_gc_threshold"]
                                                     if threshold is None else threshold)]
        for node_id in gone:
            self.delete_node(node_id)
        self._changed()
        return gone

    def force_gc(self):
        """nomad/core_sched.go forceGC: every GC at a 1ms threshold, node GC last."""
        return self.node_gc_pass(threshold=10 ** 6)

    def delete_node(self, node_id):
        """deleteNodeTxn (node GC, Node.Deregister / purge)."""
        node = self.nodes.pop(node_id)
        node["_hb_deadline"] = None
        idx = self.next_index()
        self._changed()
        self.publish(idx, [self.node_stream_event(node, "NodeDeregistration")])  # NodeDeregisterRequestType
        self.reconcile_jobs()
        return node

    # -- allocations and the scheduler's part (scheduler/reconciler) ----------------------------------
    def begin_plan(self, events=()):
        """The scheduler's changes until end_plan() are one plan (ApplyPlanResultsRequestType): one index,
        one frame of PlanResult events. Returns the plan's index."""
        self._plan = (self.next_index(), list(events))
        return self._plan[0]

    def end_plan(self):
        plan, self._plan = getattr(self, "_plan", None), None
        if plan is not None:
            self.publish(*plan)

    def _plan_write(self):
        """The index an allocation change is written at: the open plan's, else one of its own."""
        plan = getattr(self, "_plan", None)
        return plan[0] if plan is not None else self.next_index()

    def _plan_event(self, idx, alloc):
        plan = getattr(self, "_plan", None)
        if plan is not None:
            plan[1].append(self.alloc_event(alloc, "PlanResult"))
        else:
            self.publish(idx, [self.alloc_event(alloc, "PlanResult")])

    def allocs_unknown(self, node):
        """computeDisconnecting -> appendUnknownDisconnectingUpdates: allocations with lost_after > 0 turn
        `unknown` (DesiredStatus stays run) with a follow-up eval at now + lost_after; the others are lost."""
        now = self.clock.now_ns()
        for alloc in self.allocs.values():
            if alloc["NodeID"] != node["ID"] or _terminal(alloc):
                continue
            if alloc["_lost_after"] > 0:
                idx = self._plan_write()
                ev = self._followup_eval(alloc, now + alloc["_lost_after"], idx)
                alloc.update({"ClientStatus": "unknown",
                              "ClientDescription": "alloc is unknown since its node is disconnected",
                              "FollowupEvalID": ev["ID"], "ModifyIndex": idx, "AllocModifyIndex": idx,
                              "ModifyTime": now, "_last_unknown": now})
                alloc["AllocStates"] = (alloc.get("AllocStates") or []) + [
                    {"Field": "ClientStatus", "Value": "unknown", "Time": self.clock.rfc3339(now)}]
                self._plan_event(idx, alloc)
            else:
                self._lose(alloc)
        self._changed()

    def allocs_lost(self, node):
        """A down node: its remaining non-terminal allocations are lost (DesiredStatus stop)."""
        for alloc in self.allocs.values():
            if alloc["NodeID"] == node["ID"] and not _terminal(alloc):
                self._lose(alloc)
        self._changed()

    def expire_alloc(self, alloc):
        """Allocation.Expired: an unknown allocation past LastUnknown + lost_after is lost, whatever replace says."""
        self._lose(alloc)
        node = self.nodes.get(alloc["NodeID"])
        self._changed()
        self.reconcile_jobs()
        return node

    def _lose(self, alloc):
        now = self.clock.now_ns()
        idx = self._plan_write()
        followup = self.evals.get(alloc.get("FollowupEvalID") or "")
        if followup is not None and followup["Status"] == "pending":  # the delayed eval ran
            followup.update({"Status": "complete", "ModifyIndex": idx, "ModifyTime": now})
        alloc.update({"DesiredStatus": "stop", "ClientStatus": "lost",
                      "DesiredDescription": "alloc is lost since its node is down",
                      "ModifyIndex": idx, "AllocModifyIndex": idx, "ModifyTime": now})
        self._plan_event(idx, alloc)  # ApplyPlanResultsRequestType

    def _followup_eval(self, alloc, wait_until, idx):
        job = self.jobs.get((alloc["Namespace"], alloc["JobID"])) or \
            {"ID": alloc["JobID"], "Namespace": alloc["Namespace"]}
        ev = self.new_eval(dict(job, Namespace=alloc["Namespace"]), "max-disconnect-timeout", idx)
        ev.update({"StatusDescription": "created for delayed disconnect timeout",
                   "WaitUntil": self.clock.rfc3339(wait_until), "_reads": -10 ** 9})
        return ev

    def reconcile_jobs(self):
        for key in sorted(self.jobs):
            self.reconcile_job(key)

    def reconcile_job(self, key):
        """The scheduler stand-in: a stopped job's allocations stop; every group of a running job has Count
        allocations that count (an `unknown` one with replace = true does not: it gets a replacement, one with
        replace = false does), placed on ready, eligible, not draining nodes of the job's pool and
        datacenters, spread over them; system jobs one per such node. Only once the job's registration eval
        was processed (the scheduler ran)."""
        job = self.jobs.get(key)
        if job is None or any(ev["Status"] == "pending" for ev in self.evals.values()
                              if (ev["Namespace"], ev["JobID"]) == key and ev["TriggeredBy"] == "job-register"):
            return
        mine = [a for a in self.allocs.values() if (a["Namespace"], a["JobID"]) == key]
        if job.get("Stop"):
            for alloc in mine:
                if not _terminal(alloc):
                    self._stop(alloc, "alloc not needed due to job update", "complete")
            return
        nodes = self._feasible_nodes(job)
        for group in job.get("TaskGroups") or []:
            lost_after, replace = _disconnect_rule(group)
            live = [a for a in mine if a["TaskGroup"] == group["Name"] and not _terminal(a)]
            counting = [a for a in live if not (a["ClientStatus"] == "unknown" and a["_replace"])]
            if job.get("Type") == "system":
                have = set(a["NodeID"] for a in counting)
                targets = [n for n in nodes if n["ID"] not in have]
            else:
                targets = []
                load = dict((n["ID"], sum(1 for a in counting if a["NodeID"] == n["ID"])) for n in nodes)
                for dummy in range(max(0, int(group.get("Count", 1)) - len(counting))):
                    if not nodes:
                        break
                    best = min(nodes, key=lambda n: (load[n["ID"]], n["Name"]))
                    load[best["ID"]] += 1
                    targets.append(best)
            for node in targets:
                previous = next((a for a in live if a["ClientStatus"] == "unknown" and a["_replace"]
                                 and not a.get("NextAllocation")), None)
                self._place(job, group, node, lost_after, replace, previous)

    def _feasible_nodes(self, job):
        pool = job.get("NodePool") or "default"
        dcs = job.get("Datacenters") or ["*"]
        return sorted((n for n in self.nodes.values() if n["Status"] == "ready"
                       and n["SchedulingEligibility"] == "eligible" and n.get("DrainStrategy") is None
                       and (pool == "all" or n["NodePool"] == pool)
                       and any(fnmatch.fnmatchcase(n["Datacenter"], dc) for dc in dcs)), key=lambda n: n["Name"])

    def _place(self, job, group, node, lost_after, replace, previous):
        now = self.clock.now_ns()
        idx = self._plan_write()
        used = set(a["Name"] for a in self.allocs.values() if a["JobID"] == job["ID"] and not _terminal(a))
        slot = next(i for i in range(10 ** 6) if "%s.%s[%d]" % (job["ID"], group["Name"], i) not in used) \
            if previous is None else int(previous["Name"].rsplit("[", 1)[1].rstrip("]"))
        alloc = {"ID": str(uuid.uuid4()), "EvalID": "", "Name": "%s.%s[%d]" % (job["ID"], group["Name"], slot),
                 "Namespace": job["Namespace"], "NodeID": node["ID"], "NodeName": node["Name"], "JobID": job["ID"],
                 "_job_type": job.get("Type", "service"), "_job_version": job.get("Version", 0), "TaskGroup": group["Name"],
                 "TaskStates": None, "DeploymentStatus": None, "RescheduleTracker": None, "PreemptedAllocations": None,
                 "PreemptedByAllocation": "", "DesiredStatus": "run", "DesiredDescription": "",
                 "ClientStatus": "running" if node.get("_agent") == "simulated" else "pending",
                 "ClientDescription": "", "FollowupEvalID": "", "AllocStates": None,
                 "PreviousAllocation": previous["ID"] if previous else "", "NextAllocation": "",
                 "CreateIndex": idx, "ModifyIndex": idx, "AllocModifyIndex": idx, "CreateTime": now,
                 "ModifyTime": now, "_lost_after": lost_after, "_replace": replace, "_last_unknown": None}
        dep = self.deployments.get((job["Namespace"], job["ID"]))
        if dep is not None and dep["JobVersion"] == job.get("Version", 0):
            alloc["DeploymentID"] = dep["ID"]  # placed by the deployment's plan
        if previous is not None:
            previous["NextAllocation"] = alloc["ID"]
        self.allocs[alloc["ID"]] = alloc
        self._changed()
        self._plan_event(idx, alloc)
        return alloc

    def _stop(self, alloc, why, client_status=None):
        now = self.clock.now_ns()
        idx = self._plan_write()
        alloc.update({"DesiredStatus": "stop", "DesiredDescription": why, "ModifyIndex": idx,
                      "AllocModifyIndex": idx, "ModifyTime": now})
        if client_status:
            alloc["ClientStatus"] = client_status
        self._changed()
        self._plan_event(idx, alloc)

    def migrate_allocs(self, node):
        """A completed drain: the node's allocations were migrated (stopped here, replaced elsewhere)."""
        for alloc in self.allocs.values():
            if alloc["NodeID"] == node["ID"] and not _terminal(alloc):
                self._stop(alloc, "alloc is being migrated", "complete")
        self.reconcile_jobs()

    # -- client allocation RPCs (nomad/node_endpoint.go GetClientAllocs, UpdateAlloc) -----------------
    def client_allocs(self, node_id):
        return dict((a["ID"], a["AllocModifyIndex"]) for a in self.allocs.values() if a["NodeID"] == node_id)

    def update_allocs_from_client(self, node, updates):
        """Node.UpdateAlloc: the client's view of its allocations. An `unknown` allocation reported running
        reconnects: its follow-up eval is canceled ("allocs reconnected", cancelFollowupEvalsForReconnect)
        and the reconciler keeps one of original and replacement (the double: the original, the replacement
        stops with "alloc not needed due to disconnected client reconnect"). Sets LastAllocUpdateIndex."""
        idx = self.next_index()
        now = self.clock.now_ns()
        updated = []
        for upd in updates:
            alloc = self.allocs.get(upd.get("ID", ""))
            if alloc is None or alloc["NodeID"] != node["ID"]:
                continue
            status = upd.get("ClientStatus") or alloc["ClientStatus"]
            if alloc["ClientStatus"] == "unknown" and status == "running":
                ev = self.evals.get(alloc.get("FollowupEvalID") or "")
                if ev is not None and ev["Status"] == "pending":
                    ev.update({"Status": "canceled", "StatusDescription": "allocs reconnected", "ModifyIndex": idx})
                alloc["FollowupEvalID"] = ""
                repl = self.allocs.get(alloc.get("NextAllocation") or "")
                if repl is not None and not _terminal(repl):
                    self._stop(repl, "alloc not needed due to disconnected client reconnect", "complete")
                    alloc["NextAllocation"] = ""
            if alloc["ClientStatus"] in TERMINAL_CLIENT and alloc["ClientStatus"] != status and \
                    alloc["DesiredStatus"] == "stop":
                continue  # the server already decided: lost stays lost
            alloc.update({"ClientStatus": status, "ClientDescription": upd.get("ClientDescription", ""),
                          "ModifyIndex": idx, "ModifyTime": now})
            updated.append(alloc)
        node["LastAllocUpdateIndex"] = idx
        self._changed()
        self.publish(idx, [self.alloc_event(a, "AllocationUpdated") for a in updated])  # AllocClientUpdateRequestType
        self.reconcile_jobs()
        return idx


def _validate_register(node):
    """structs.NodeRegisterRequest.Validate, in its order, with its texts."""
    if not node:
        raise RPCError("missing node for client registration")
    if not node.get("ID"):
        raise RPCError("missing node ID for client registration")
    if not node.get("Datacenter"):
        raise RPCError("missing datacenter for client registration")
    if not node.get("Name"):
        raise RPCError("missing node name for client registration")
    if not node.get("Attributes"):
        raise RPCError("missing attributes for client registration")
    if not node.get("SecretID"):
        raise RPCError("missing node secret ID for client registration")
    pool = node.get("NodePool") or ""
    if pool and not POOL_RE.match(pool):
        raise RPCError('invalid node pool: invalid name "%s", must match regex %s' % (pool, POOL_RE.pattern))
    if pool == "all":
        raise RPCError('node is not allowed to register in node pool "all"')


def _version_at_least(version, wanted):
    """meetsMinimumVersion (1.11.0-beta.1 and later carry node identities): a missing version does not."""
    found = re.match(r"^(\d+)\.(\d+)\.(\d+)", version or "")
    return bool(found) and tuple(int(x) for x in found.groups()) >= wanted


def _terminal(alloc):
    """Allocation.TerminalStatus: desired stop/evict, or client complete/failed/lost."""
    return alloc["DesiredStatus"] in ("stop", "evict") or alloc["ClientStatus"] in TERMINAL_CLIENT


def _expired(alloc, now):
    """Allocation.Expired: unknown and LastUnknown + lost_after <= now."""
    return alloc["ClientStatus"] == "unknown" and alloc["_last_unknown"] is not None and \
        alloc["_last_unknown"] + alloc["_lost_after"] <= now


def _disconnect_rule(group):
    """TaskGroup.GetDisconnectLostAfter and the disconnect block's replace (default true)."""
    rule = group.get("Disconnect") or {}
    lost_after = rule.get("LostAfter") or 0
    if isinstance(lost_after, str):
        lost_after = parse_duration(lost_after)
    replace = rule.get("Replace")
    return int(lost_after), True if replace is None else bool(replace)
