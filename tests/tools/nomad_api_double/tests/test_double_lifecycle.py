"""Nomad's clock and the node lifecycle in the double (lifecycle.py), as Nomad 2.0.5 does them.

Each test names the Nomad source (tag v2.0.5) its expectation comes from. The client side of the RPC is
played here by plain HTTP calls to /_double/rpc/<Method> (the double's carrier for what is msgpack RPC on
4647 in Nomad).
"""

import base64
import json
import urllib.error
import urllib.request
import uuid

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

NS = 10 ** 9
HOUR = 3600 * NS


def call(double, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req) as resp:
            raw = resp.read().decode()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def rpc(double, method, args, token=""):
    return call(double, "PUT", "/_double/rpc/" + method, dict(args, AuthToken=token))


def advance(double, duration):
    status, body = call(double, "POST", "/_double/clock", {"advance": duration})
    assert status == 200, body
    return body


def configure(double, **server):
    status, body = call(double, "POST", "/_double/server-config", {"server": server})
    assert status == 200, body
    return body


def claims_of(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def new_node(name="edge-a", pool="edge", version="2.0.5"):
    return {"ID": str(uuid.uuid4()), "SecretID": str(uuid.uuid4()), "Name": name, "Datacenter": "dc1",
            "NodePool": pool, "HTTPAddr": "10.1.1.1:4646",
            "Attributes": {"nomad.version": version, "os.name": "debian", "kernel.name": "linux",
                           "unique.network.ip-address": "10.1.1.1"}}


def silence(double, node):
    """The node's agent stops heartbeating (its timer then expires; an advance does not carry it along)."""
    assert call(double, "POST", "/_double/node-agent", {"name": node["ID"], "heartbeating": False})[0] == 200


def node_of(double, node_id):
    status, body = call(double, "GET", "/_double/peek?path=/v1/node/" + node_id)
    return body.get("data") if body["status"] == 200 else None


@pytest.fixture()
def double():
    state = DoubleState(acl=False, nodes=0)
    server = NomadAPIDouble(state).start()
    configure(server, heartbeat_stagger=False)  # deterministic TTLs: min_heartbeat_ttl exactly
    yield server
    server.stop()


def intro_token(double, pool="edge", name="", ttl="10m"):
    status, body = call(double, "PUT", "/v1/acl/identity/client-introduction-token",
                        {"NodePool": pool, "NodeName": name, "TTL": ttl})
    assert status == 200, body
    return body["JWT"]


def register(double, node, token=""):
    return rpc(double, "Node.Register", {"Node": node}, token)


def heartbeat(double, node, token):
    return rpc(double, "Node.UpdateStatus", {"NodeID": node["ID"], "Status": "ready"}, token)


def joined(double, node, token=None):
    """A node that registered (with an introduction token) and heartbeated once: ready, its identity held."""
    status, reply = register(double, node, token if token is not None else intro_token(double, node["NodePool"]))
    assert status == 200, reply
    status, beat = heartbeat(double, node, reply["SignedIdentity"])
    assert status == 200, beat
    return reply["SignedIdentity"]


# -- the clock -----------------------------------------------------------------------------------------------
def test_clock_moves_forward_only_and_every_rule_reads_it(double):
    before = call(double, "GET", "/_double/clock")[1]["Now"]
    after = advance(double, "72h")["Now"]
    assert 72 * HOUR <= after - before < 72 * HOUR + 5 * NS
    assert call(double, "POST", "/_double/clock", {"advance": "-1h"})[0] == 400
    # an introduction token's iat/exp come from Nomad's clock (structs GenerateNodeIntroductionIdentityClaims)
    claims = claims_of(intro_token(double, ttl="10m"))
    assert abs(claims["iat"] * NS - after) < 5 * NS and claims["exp"] - claims["iat"] == 600


# -- client introduction tokens (nomad/acl_endpoint.go CreateClientIntroductionToken) -------------------------
def test_intro_token_claims_ttl_default_cap_and_negative(double):
    claims = claims_of(intro_token(double, pool="edge-x86", name="n1", ttl="10m"))
    # GenerateNodeIntroductionIdentityClaims: no region claim, the region is inside sub
    assert claims["sub"] == "node-introduction:global:edge-x86:n1:default"
    assert claims["nomad_node_pool"] == "edge-x86" and claims["nomad_node_name"] == "n1" and "nomad_region" not in claims
    assert claims["aud"] == ["nomadproject.io"]
    default = claims_of(intro_token(double, ttl=""))  # 0 -> default_identity_ttl 5m
    assert default["exp"] - default["iat"] == 300 and default["nomad_node_name"] == ""
    capped = claims_of(intro_token(double, ttl="2h"))  # above max_identity_ttl 30m -> capped
    assert capped["exp"] - capped["iat"] == 1800
    configure(double, client_introduction={"max_identity_ttl": "4h"})
    raised = claims_of(intro_token(double, ttl="2h"))
    assert raised["exp"] - raised["iat"] == 7200
    # a negative TTL is returned unchanged and setExpiry writes no exp: the JWT never expires
    assert "exp" not in claims_of(intro_token(double, ttl="-1m"))


def test_server_config_is_validated_with_nomads_texts(double):
    status, body = call(double, "POST", "/_double/server-config",
                        {"server": {"client_introduction": {"enforcement": "loud"}}})
    assert (status, body) == (400, "client_introduction.enforcement must be one of [none warn strict]")
    status, body = call(double, "POST", "/_double/server-config",
                        {"server": {"client_introduction": {"default_identity_ttl": "1h", "max_identity_ttl": "30m"}}})
    assert (status, body) == (400, "client_introduction.max_identity_ttl must be greater than default_identity_ttl")
    # defaults (nomad/config.go DefaultConfig, nomad/structs/node.go DefaultNodeIntroductionConfig)
    cfg = call(double, "GET", "/_double/server-config")[1]
    assert (cfg["heartbeat_grace"], cfg["min_heartbeat_ttl"], cfg["node_gc_threshold"], cfg["enforcement"]) == \
        ("10s", "10s", "24h0m0s", "warn")


# -- Node.Register: newRegistrationAllowed (nomad/node_endpoint.go) -------------------------------------------
def _gcd_node_with_identity(double, expire):
    """A node that joined, then went down and was garbage-collected; its identity is valid or expired."""
    node = new_node()
    ident = joined(double, node)
    silence(double, node)
    call(double, "POST", "/_double/server-config", {"server": {"node_gc_threshold": "1h"}})
    advance(double, "2h" if not expire else "30h")  # down at 20s, collected at the first pass after 1h
    assert node_of(double, node["ID"]) is None
    return node, ident


def _case(double, case):
    node = new_node()
    if case == "intro":
        return node, intro_token(double)
    if case == "anonymous":
        return node, ""
    if case == "intro-other-pool":
        return node, intro_token(double, pool="other")
    if case == "intro-other-name":
        return node, intro_token(double, name="someone-else")
    if case == "intro-expired":
        token = intro_token(double, ttl="5m")
        advance(double, "10m")
        return node, token
    if case == "identity-same-node":
        return _gcd_node_with_identity(double, expire=False)
    if case == "identity-other-node":
        dummy, ident = _gcd_node_with_identity(double, expire=False)
        return node, ident
    if case == "identity-expired":
        return _gcd_node_with_identity(double, expire=True)
    raise AssertionError(case)


# The matrix of /work/notes/lifecycle-facts.md section 1.4, read in nomad/node_endpoint.go newRegistrationAllowed
# and nomad/node_endpoint_test.go TestNode_newRegistrationAllowed: (case, none, warn, strict, log at warn)
MATRIX = [
    ("intro", True, True, True, None),
    ("anonymous", True, True, False, "node registration without introduction token"),
    ("intro-other-pool", True, False, False, "node registration introduction claims mismatch"),
    ("intro-other-name", True, False, False, "node registration introduction claims mismatch"),
    ("intro-expired", True, False, False, "node registration introduction authentication failure"),
    ("identity-same-node", True, True, True, None),
    ("identity-other-node", True, True, False, "node registration introduction claims mismatch"),
    ("identity-expired", True, False, False, "node registration introduction authentication failure"),
]


@pytest.mark.parametrize("level", ["none", "warn", "strict"])
@pytest.mark.parametrize("case,none,warn,strict,message", MATRIX, ids=[m[0] for m in MATRIX])
def test_new_registration_allowed_matrix(double, level, case, none, warn, strict, message):
    node, token = _case(double, case)
    configure(double, client_introduction={"enforcement": level})
    before = call(double, "GET", "/_double/server-log")[1]
    status, reply = register(double, node, token)
    allowed = {"none": none, "warn": warn, "strict": strict}[level]
    if allowed:
        assert status == 200, reply
        assert node_of(double, node["ID"])["Status"] == "initializing"
        # ShouldGenerateNodeIdentity: a valid identity with more than a third of its TTL left is kept
        assert bool(reply["SignedIdentity"]) == (case not in ("identity-same-node", "identity-other-node"))
    else:
        assert (status, reply) == (403, "Permission denied")
    after = call(double, "GET", "/_double/server-log")[1]
    counted = after["introduction_violation_num"] - before["introduction_violation_num"]
    if level == "none" or message is None:
        assert counted == 0  # enforcement none returns before any metric or log
    else:
        assert counted == 1
        last = after["log"][-1]
        assert last["message"] == message and last["node_id"] == node["ID"] and last["enforcement_level"] == level
        assert last["level"] == ("warn" if allowed else "error")


def test_invalid_jwt_is_refused_at_every_level(double):
    """Register step 2: an authentication error other than expiry is refused before the enforcement level is
    consulted (a JWT the servers did not sign, an unknown SecretID)."""
    configure(double, client_introduction={"enforcement": "none"})
    forged = intro_token(double)
    header, body, sig = forged.split(".")
    claims = claims_of(forged)
    claims["jti"] = "forged"
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert register(double, new_node(), "%s.%s.%s" % (header, body, sig)) == (403, "Permission denied")
    assert register(double, new_node(), str(uuid.uuid4())) == (403, "Permission denied")


def test_register_validation_texts(double):
    """structs.NodeRegisterRequest.Validate, in its order."""
    node = new_node()
    assert register(double, dict(node, Name="")) == (500, "missing node name for client registration")
    assert register(double, dict(node, SecretID="")) == (500, "missing node secret ID for client registration")
    assert register(double, dict(node, NodePool="all")) == (500, 'node is not allowed to register in node pool "all"')
    assert register(double, dict(node, NodePool="a.b")) == (
        500, 'invalid node pool: invalid name "a.b", must match regex ^[a-zA-Z0-9-_]{1,128}$')


def test_node_in_state_needs_its_secret_and_keeps_its_status(double):
    """Register, node in the state: the SecretID must match (enforcement is not consulted); Register never changes
    the node's status; an expired identity passes (tolerated only to reach this check) and a new one is issued."""
    configure(double, client_introduction={"enforcement": "strict"})
    node = new_node()
    joined(double, node)
    status, text = register(double, dict(node, SecretID=str(uuid.uuid4())))
    assert (status, text) == (500, "node secret ID does not match. Not registering node.")
    status, reply = register(double, dict(node, Status="down"), node["SecretID"])
    assert status == 200 and node_of(double, node["ID"])["Status"] == "ready"
    ident = reply["SignedIdentity"]
    silence(double, node)
    configure(double, node_gc_threshold="48h")
    advance(double, "30h")  # the identity (pool TTL 24h) expires; the node is down and still in the state
    status, reply = register(double, node, ident)
    assert status == 200 and reply["SignedIdentity"] and reply["SignedIdentity"] != ident


def test_missing_pool_created_with_the_node_and_default_identity_ttl(double):
    """Register in the authoritative region: a missing pool is created with the node (24h identity TTL)."""
    node = new_node(pool="brand-new")
    status, reply = register(double, node, intro_token(double, pool="brand-new"))
    assert status == 200
    claims = claims_of(reply["SignedIdentity"])
    assert claims["exp"] - claims["iat"] == 24 * 3600 and claims["nomad_node_id"] == node["ID"]
    assert claims["sub"] == "node:global:brand-new:%s:default" % node["ID"]
    assert call(double, "GET", "/v1/node/pool/brand-new")[0] == 200


def test_node_identity_ttl_follows_the_pool(double):
    call(double, "PUT", "/v1/node/pool/edge", {"Name": "edge", "NodeIdentityTTL": "505h"})
    node = new_node()
    claims = claims_of(register(double, node, intro_token(double))[1]["SignedIdentity"])
    assert claims["exp"] - claims["iat"] == 505 * 3600


def test_old_agents_get_no_identity(double):
    """ShouldGenerateNodeIdentity: false below 1.11.0-beta.1."""
    configure(double, client_introduction={"enforcement": "none"})
    status, reply = register(double, new_node(version="1.10.5"))
    assert status == 200 and reply["SignedIdentity"] is None


# -- heartbeats (nomad/heartbeat.go) ----------------------------------------------------------------------------
def test_heartbeat_ttl_grace_down_and_back(double):
    """resetHeartbeatTimer: the client is told min_heartbeat_ttl, the server's timer adds heartbeat_grace;
    invalidateHeartbeat marks the node down with "Node heartbeat missed"; a heartbeat brings it back with
    "Node reregistered by heartbeat" (UpdateStatus)."""
    node = new_node()
    status, reply = register(double, node, intro_token(double))
    assert reply["HeartbeatTTL"] == 10 * NS
    status, beat = heartbeat(double, node, reply["SignedIdentity"])
    assert status == 200 and beat["HeartbeatTTL"] == 10 * NS and beat["SchedulingEligibility"] == "eligible"
    assert node_of(double, node["ID"])["Status"] == "ready"
    at_beat = call(double, "GET", "/_double/clock")[1]["Now"]
    silence(double, node)
    advance(double, "19s")
    assert node_of(double, node["ID"])["Status"] == "ready"
    advance(double, "2s")
    down = node_of(double, node["ID"])
    assert down["Status"] == "down" and down["Events"][-1]["Message"] == "Node heartbeat missed"
    assert abs(down["StatusUpdatedAt"] - (at_beat + 20 * NS) // NS) <= 1  # applied at the deadline, not later
    status, beat = heartbeat(double, node, reply["SignedIdentity"])
    back = node_of(double, node["ID"])
    assert back["Status"] == "ready" and back["Events"][-1]["Message"] == "Node reregistered by heartbeat"


def test_ttl_scales_with_the_number_of_nodes(double):
    """helper.RateScaledInterval: max(min_heartbeat_ttl, nodes / max_heartbeats_per_second)."""
    configure(double, max_heartbeats_per_second=0.1)
    node = new_node()
    assert register(double, node, intro_token(double))[1]["HeartbeatTTL"] == 10 * NS  # 1 node / 0.1 = 10s
    second = new_node("edge-b")
    assert register(double, second, intro_token(double))[1]["HeartbeatTTL"] == 20 * NS


def test_expired_identity_locks_a_running_agent_out(double):
    """UpdateStatus refuses any authentication error, expiry included (Permission denied): a running agent whose
    identity expired never recovers by heartbeating (client/client.go re-registers only on "node not found")."""
    node = new_node()
    ident = joined(double, node)
    silence(double, node)
    advance(double, "25h")
    assert heartbeat(double, node, ident) == (403, "Permission denied")


def test_identity_renewed_below_a_third_of_its_ttl(double):
    """UpdateStatus ShouldGenerateNodeIdentity / IsExpiring: a new identity once less than TTL/3 is left."""
    node = new_node()
    ident = joined(double, node)
    assert heartbeat(double, node, ident)[1]["SignedIdentity"] is None
    advance(double, "15h")  # 9h left of 24h: more than 8h
    assert heartbeat(double, node, ident)[1]["SignedIdentity"] is None
    advance(double, "2h")  # 7h left
    renewed = heartbeat(double, node, ident)[1]["SignedIdentity"]
    assert renewed and claims_of(renewed)["exp"] > claims_of(ident)["exp"]
    status, text = rpc(double, "Node.UpdateStatus", {"NodeID": node["ID"], "Status": "ready"}, intro_token(double))
    assert (status, text) == (403, "Permission denied")  # auth.AuthorizeSameNode: not a node identity


def test_an_agent_heartbeating_through_an_advance_stays_ready(double):
    """advance(): an agent whose timer runs when the advance begins heartbeated all along: it stays ready and
    gets, with its next heartbeat, the renewal it would have received."""
    node = new_node()
    ident = joined(double, node)
    advance(double, "72h")
    assert node_of(double, node["ID"])["Status"] == "ready"
    status, beat = heartbeat(double, node, ident)
    assert status == 200 and beat["SignedIdentity"]
    assert heartbeat(double, node, beat["SignedIdentity"])[0] == 200
    assert heartbeat(double, node, ident) == (403, "Permission denied")  # the old one is spent


def test_an_advance_refuses_to_send_a_connected_node_offline(double):
    """advance(connected=...): a node the caller keeps connected that is down as the advance begins (an agent
    that missed one heartbeat, nomad/heartbeat.go invalidateHeartbeat) would be down for the whole step and
    collected past node_gc_threshold (nomad/core_sched.go nodeGC): 409, the clock does not move, nothing
    changes; once its heartbeat brings it back (UpdateStatus: down -> ready) the advance carries it through."""
    steady, late = new_node("edge-steady"), new_node("edge-late")
    steady_ident, late_ident = joined(double, steady), joined(double, late)
    silence(double, late)
    advance(double, "21s")  # late's timer (10s TTL + 10s grace) expired: down
    before = call(double, "GET", "/_double/clock")[1]["Now"]
    status, text = call(double, "POST", "/_double/clock",
                        {"advance": "720h", "connected": ["edge-steady", "edge-late", "edge-gone"]})
    assert status == 409
    assert "edge-late (down, agent silenced)" in text and "edge-gone (not in the state)" in text
    assert "edge-steady" not in text
    assert call(double, "GET", "/_double/clock")[1]["Now"] - before < 60 * NS
    assert node_of(double, late["ID"])["Status"] == "down"
    assert call(double, "POST", "/_double/node-agent", {"name": late["ID"], "heartbeating": True})[0] == 200
    heartbeat(double, late, late_ident)
    assert node_of(double, late["ID"])["Status"] == "ready"
    body = advance_connected(double, "720h", ["edge-steady", "edge-late"])
    assert body["Carried"] == ["edge-late", "edge-steady"]
    for node, ident in ((steady, steady_ident), (late, late_ident)):
        assert node_of(double, node["ID"])["Status"] == "ready"
        assert heartbeat(double, node, ident)[0] == 200  # the renewal it would have received on the way


def advance_connected(double, duration, names):
    status, body = call(double, "POST", "/_double/clock", {"advance": duration, "connected": names})
    assert status == 200, body
    return body


def test_node_not_found_after_purge_and_register_again(double):
    """PUT /v1/node/:id/purge (Node.Deregister) deletes a live node; its next heartbeat gets "node not found"
    (the client's cue to register again) and its valid identity registers it at every level."""
    configure(double, client_introduction={"enforcement": "strict"})
    node = new_node()
    ident = joined(double, node)
    status, reply = call(double, "PUT", "/v1/node/%s/purge" % node["ID"])
    assert status == 200 and reply["NodeModifyIndex"] > 0
    assert call(double, "PUT", "/v1/node/%s/purge" % node["ID"]) == (500, "node not found")
    assert heartbeat(double, node, ident) == (500, "node not found")
    assert register(double, node, ident)[0] == 200


# -- node GC (nomad/core_sched.go nodeGC) ---------------------------------------------------------------------
def test_node_gc_after_threshold_at_the_next_pass(double):
    node = new_node()
    joined(double, node)
    silence(double, node)
    advance(double, "21s")
    down_at = node_of(double, node["ID"])["StatusUpdatedAt"]
    advance(double, "23h59m")
    assert node_of(double, node["ID"]) is not None, "not before node_gc_threshold (24h)"
    advance(double, "6m")  # past the threshold, and a GC pass (every 5m) ran
    assert node_of(double, node["ID"]) is None
    assert down_at  # collected on StatusUpdatedAt + 24h


def test_node_gc_threshold_is_the_servers_setting(double):
    configure(double, node_gc_threshold="168h")
    node = new_node()
    joined(double, node)
    silence(double, node)
    advance(double, "72h")
    assert node_of(double, node["ID"])["Status"] == "down"
    advance(double, "97h")
    assert node_of(double, node["ID"]) is None


def test_force_gc_needs_management_and_collects_every_down_node():
    """PUT /v1/system/gc: management token; force-gc runs node GC at a 1ms threshold."""
    state = DoubleState(acl=True, nodes=7)  # the seeded node 6 is down
    server = NomadAPIDouble(state).start()
    try:
        root = call(server, "POST", "/v1/acl/bootstrap")[1]["SecretID"]
        assert call(server, "PUT", "/v1/system/gc") == (403, "Permission denied")
        assert call(server, "GET", "/v1/system/gc", token=root)[0] == 405
        assert call(server, "PUT", "/v1/system/gc", token=root) == (200, None)
        assert len(state.nodes) == 6 and all(n["Status"] == "ready" for n in state.nodes.values())
    finally:
        server.stop()


# -- drain and eligibility across re-registration (nomad/state/state_store.go upsertNodeTxn) ---------------------
def test_self_drain_leaves_the_node_ineligible_across_reregistration(double):
    """client/drain.go DrainSelf sends MarkEligible false; the drainer completes the drain and keeps it ineligible;
    re-registration retains the eligibility ("Retain the eligibility") and the heartbeat reply pushes it to the
    client (hashicorp/nomad#17093)."""
    node = new_node()
    ident = joined(double, node)
    drain = {"NodeID": node["ID"], "MarkEligible": False, "Meta": {"message": "shutting down"},
             "DrainStrategy": {"DrainSpec": {"Deadline": 60 * NS, "IgnoreSystemJobs": False}}}
    assert rpc(double, "Node.UpdateDrain", drain, ident)[0] == 200
    while rpc(double, "Node.GetNode", {"NodeID": node["ID"]}, ident)[1]["Node"]["DrainStrategy"] is not None:
        pass
    drained = node_of(double, node["ID"])
    assert drained["SchedulingEligibility"] == "ineligible" and drained["LastDrain"]["Status"] == "complete"
    assert [e["Message"] for e in drained["Events"]][-2:] == ["Node drain strategy set", "Node drain complete"]
    assert drained["DrainStrategy"] is None and drained["LastDrain"]["Meta"] == {"message": "shutting down"}
    status, reply = register(double, dict(node, SchedulingEligibility="eligible"), ident)
    assert status == 200 and reply["SchedulingEligibility"] == "ineligible"
    assert heartbeat(double, node, ident)[1]["SchedulingEligibility"] == "ineligible"
    # only someone marking it eligible ends it; the same value again is a no-op (no Raft write: Index 0)
    status, reply = call(double, "POST", "/v1/node/%s/eligibility" % node["ID"], {"Eligibility": "eligible"})
    assert status == 200 and reply["Index"] > 0 and reply["NodeModifyIndex"] == 0
    status, reply = call(double, "POST", "/v1/node/%s/eligibility" % node["ID"], {"Eligibility": "eligible"})
    assert (status, reply["Index"]) == (200, 0)
    assert node_of(double, node["ID"])["Events"][-1]["Message"] == "Node marked as eligible for scheduling"


def test_a_drain_records_its_force_deadline(double):
    """updateNodeDrainImpl: ForceDeadline = now + deadline for a positive deadline."""
    node = new_node()
    joined(double, node)
    now = call(double, "GET", "/_double/clock")[1]["Now"]
    call(double, "POST", "/v1/node/%s/drain" % node["ID"], {"DrainSpec": {"Deadline": HOUR}})
    strategy = call(double, "GET", "/_double/peek?path=/v1/node/" + node["ID"])[1]["data"]["DrainStrategy"]
    import datetime
    force = datetime.datetime.strptime(strategy["ForceDeadline"][:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert abs(force - (now + HOUR) / NS) < 5


def test_full_node_shape_has_no_drain_field_and_no_secret(double):
    """Node.GetNode answers structs.Node, Sanitize()d: SecretID blank, no Drain (only the list stub has it)."""
    node = new_node()
    joined(double, node)
    full = call(double, "GET", "/v1/node/" + node["ID"])[1]
    assert "Drain" not in full and full["SecretID"] == "" and isinstance(full["StatusUpdatedAt"], int)
    stub = call(double, "GET", "/v1/nodes")[1][0]
    assert stub["Drain"] is False and stub["Address"] == "10.1.1.1" and "Events" not in stub


# -- allocations on a disconnected node (group disconnect; scheduler/reconciler) ---------------------------------
def _job(lost_after, replace=True, count=1):
    group = {"Name": "g", "Count": count, "Tasks": [{"Name": "t", "Driver": "exec"}]}
    if lost_after:
        group["Disconnect"] = {"LostAfter": lost_after, "Replace": replace}
    return {"Job": {"ID": "svc", "Type": "service", "NodePool": "edge", "Datacenters": ["*"], "TaskGroups": [group]}}


def _running_job(double, nodes, **job):
    call(double, "PUT", "/v1/node/pool/edge", {"Name": "edge"})
    idents = [joined(double, n) for n in nodes]
    reg = call(double, "PUT", "/v1/jobs", _job(**job))[1]
    while call(double, "GET", "/v1/evaluation/" + reg["EvalID"])[1]["Status"] == "pending":
        pass
    return idents


def _allocs(double):
    return call(double, "GET", "/v1/allocations")[1]


def test_disconnected_node_keeps_allocs_unknown_until_lost_after_then_down(double):
    """invalidateHeartbeat/disconnectState: with a lost_after > 0 allocation the node turns disconnected and the
    allocation unknown (appendUnknownDisconnectingUpdates), replaced at once with replace = true; at
    LastUnknown + lost_after it is lost (Allocation.Expired), and the node turns down at its next expiry."""
    first, second = new_node("edge-a"), new_node("edge-b")
    _running_job(double, [first, second], lost_after=HOUR)
    original = _allocs(double)[0]
    where = first if original["NodeID"] == first["ID"] else second
    silence(double, where)
    advance(double, "21s")
    assert node_of(double, where["ID"])["Status"] == "disconnected"
    unknown = call(double, "GET", "/v1/allocation/" + original["ID"])[1]
    assert (unknown["ClientStatus"], unknown["DesiredStatus"]) == ("unknown", "run")
    assert unknown["ClientDescription"] == "alloc is unknown since its node is disconnected"
    follow = call(double, "GET", "/v1/evaluation/" + unknown["FollowupEvalID"])[1]
    assert (follow["TriggeredBy"], follow["StatusDescription"]) == (
        "max-disconnect-timeout", "created for delayed disconnect timeout")
    replacement = [a for a in _allocs(double) if a["ID"] != original["ID"]]
    assert len(replacement) == 1 and replacement[0]["NodeID"] != where["ID"]
    advance(double, "59m")
    assert call(double, "GET", "/v1/allocation/" + original["ID"])[1]["ClientStatus"] == "unknown"
    advance(double, "2m")
    lost = call(double, "GET", "/v1/allocation/" + original["ID"])[1]
    assert (lost["ClientStatus"], lost["DesiredStatus"], lost["DesiredDescription"]) == (
        "lost", "stop", "alloc is lost since its node is down")
    assert node_of(double, where["ID"])["Status"] == "down"


def test_replace_false_waits_for_lost_after(double):
    """replace = false: no replacement while the allocation is unknown; it is replaced once lost."""
    first, second = new_node("edge-a"), new_node("edge-b")
    _running_job(double, [first, second], lost_after=HOUR, replace=False)
    original = _allocs(double)[0]
    silence(double, {"ID": original["NodeID"]})
    advance(double, "21s")
    assert len(_allocs(double)) == 1
    advance(double, "61m")
    assert len([a for a in _allocs(double) if a["ClientStatus"] != "lost"]) == 1


def test_no_lost_after_means_down_and_lost_at_once(double):
    first, second = new_node("edge-a"), new_node("edge-b")
    _running_job(double, [first, second], lost_after=0)
    original = _allocs(double)[0]
    silence(double, {"ID": original["NodeID"]})
    advance(double, "21s")
    assert node_of(double, original["NodeID"])["Status"] == "down"
    assert call(double, "GET", "/v1/allocation/" + original["ID"])[1]["ClientStatus"] == "lost"


def test_reconnect_before_lost_after(double):
    """A disconnected node that heartbeats turns initializing, and ready once its client has updated its
    allocations (UpdateStatus, LastAllocUpdateIndex > LastMissedHeartbeatIndex); the reconnecting allocation
    cancels its follow-up eval ("allocs reconnected") and the replacement stops."""
    first, second = new_node("edge-a"), new_node("edge-b")
    idents = _running_job(double, [first, second], lost_after=HOUR)
    original = _allocs(double)[0]
    where, ident = (first, idents[0]) if original["NodeID"] == first["ID"] else (second, idents[1])
    silence(double, where)
    advance(double, "21s")
    follow = call(double, "GET", "/v1/allocation/" + original["ID"])[1]["FollowupEvalID"]
    assert heartbeat(double, where, ident)[0] == 200
    assert node_of(double, where["ID"])["Status"] == "initializing"
    heartbeat(double, where, ident)
    assert node_of(double, where["ID"])["Status"] == "initializing", "allocations not updated yet"
    status, dummy = rpc(double, "Node.UpdateAlloc", {"Alloc": [
        {"ID": original["ID"], "NodeID": where["ID"], "ClientStatus": "running"}]}, ident)
    assert status == 200
    heartbeat(double, where, ident)
    assert node_of(double, where["ID"])["Status"] == "ready"
    assert call(double, "GET", "/v1/evaluation/" + follow)[1]["Status"] == "canceled"
    live = [a for a in _allocs(double) if a["DesiredStatus"] == "run"]
    assert [a["ID"] for a in live] == [original["ID"]]


def test_one_advance_goes_through_every_transition_in_order(double):
    """advance 72h = disconnected at the deadline -> allocation lost at lost_after -> down at the next expiry ->
    collected at the first GC pass after down + node_gc_threshold; each applied at its own instant."""
    first, second = new_node("edge-a"), new_node("edge-b")
    _running_job(double, [first, second], lost_after=HOUR)
    original = _allocs(double)[0]
    gone = original["NodeID"]
    silence(double, {"ID": gone})
    start = call(double, "GET", "/_double/clock")[1]["Now"]
    advance(double, "72h")
    lost = call(double, "GET", "/v1/allocation/" + original["ID"])[1]
    assert lost["ClientStatus"] == "lost"
    # unknown at the deadline (<= 20s after start), lost exactly lost_after later
    assert 0 < lost["ModifyTime"] - start - HOUR <= 21 * NS
    assert node_of(double, gone) is None, "collected 24h after it went down"


# -- listeners ------------------------------------------------------------------------------------------------
def test_rpc_listener_serves_only_the_rpc_routes_and_lists_the_advertised_servers():
    state = DoubleState(nodes=0)
    api = NomadAPIDouble(state).start()
    rpc_port = NomadAPIDouble(state, rpc_only=True).start()
    try:
        assert call(rpc_port, "GET", "/v1/nodes") == (404, "Invalid URL")
        call(api, "POST", "/_double/server-config", {"advertise": {"rpc": "192.0.2.10:30647"}})
        status, reply = register(rpc_port, new_node())
        assert status == 200 and [s["RPCAdvertiseAddr"] for s in reply["Servers"]] == ["192.0.2.10:30647"] * 3
        assert reply["LeaderRPCAddr"] == "192.0.2.10:30647"
    finally:
        rpc_port.stop()
        api.stop()
