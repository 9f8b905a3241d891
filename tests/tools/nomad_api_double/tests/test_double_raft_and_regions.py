"""The double's Autopilot configuration, Raft peers and regions answer as Nomad 2.0.5 does.

Each expectation names the Nomad source (tag v2.0.5) it restates. These test the double itself (a test
double, never shipped), not the collection's modules.
"""

import json
import urllib.error
import urllib.request

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

AUTOPILOT = "/v1/operator/autopilot/configuration"


def call(double, method, path, body=None, token=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=0, region="east")).start()
    yield server
    server.stop()


@pytest.fixture()
def token(double):
    status, dummy, body = call(double, "POST", "/v1/acl/bootstrap")
    assert status == 200
    return json.loads(body)["SecretID"]


# -- Autopilot: command/agent/operator_endpoint.go OperatorAutopilotConfiguration ---------------------------

def test_autopilot_put_replaces_the_whole_configuration(double, token):
    """The handler copies every field of the decoded api.AutopilotConfiguration into the request: what the body
    omits is stored as false / 0 / 0s, not kept (so a client must read, merge and PUT the whole object)."""
    status, dummy, body = call(double, "PUT", AUTOPILOT, {"MaxTrailingLogs": 500}, token)
    assert (status, body) == (200, "true")
    stored = json.loads(call(double, "GET", AUTOPILOT, token=token)[2])
    assert stored["MaxTrailingLogs"] == 500
    assert stored["CleanupDeadServers"] is False
    assert stored["LastContactThreshold"] == "0s" and stored["ServerStabilizationTime"] == "0s"
    assert stored["MinQuorum"] == 0


def test_autopilot_failed_cas_is_200_false_and_changes_nothing(double, token):
    """?cas=<n> against another ModifyIndex: nomad/state/autopilot.go AutopilotCASConfig returns false, and the
    HTTP handler answers that bool with 200 (only a non-integer cas is a 400)."""
    before = json.loads(call(double, "GET", AUTOPILOT, token=token)[2])
    body = dict(before, ServerStabilizationTime="30s")
    status, dummy, text = call(double, "PUT", AUTOPILOT + "?cas=%d" % (before["ModifyIndex"] + 7), body, token)
    assert (status, text) == (200, "false")
    assert json.loads(call(double, "GET", AUTOPILOT, token=token)[2]) == before
    status, dummy, text = call(double, "PUT", AUTOPILOT + "?cas=%d" % before["ModifyIndex"], body, token)
    assert (status, text) == (200, "true")
    after = json.loads(call(double, "GET", AUTOPILOT, token=token)[2])
    assert after["ServerStabilizationTime"] == "30s" and after["ModifyIndex"] > before["ModifyIndex"]
    status, dummy, text = call(double, "PUT", AUTOPILOT + "?cas=x", body, token)
    assert (status, text) == (400, 'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax')


def test_autopilot_handlers_set_no_index_header(double, token):
    """Neither the GET nor the PUT branch calls setIndex/setMeta, so no X-Nomad-Index reaches the client."""
    status, headers, dummy = call(double, "GET", AUTOPILOT, token=token)
    assert status == 200 and headers.get("X-Nomad-Index") is None
    status, headers, dummy = call(double, "PUT", AUTOPILOT, {"CleanupDeadServers": True}, token)
    assert status == 200 and headers.get("X-Nomad-Index") is None


def test_autopilot_durations_are_strings(double, token):
    """api.AutopilotConfiguration.UnmarshalJSON reads both durations as Go duration strings."""
    status, dummy, text = call(double, "PUT", AUTOPILOT, {"ServerStabilizationTime": 10000000000}, token)
    assert status == 400 and text.startswith("Error parsing autopilot config: json: cannot unmarshal number")
    status, dummy, text = call(double, "PUT", AUTOPILOT, {"ServerStabilizationTime": "ten"}, token)
    assert status == 400 and text.startswith("Error parsing autopilot config: time: invalid duration")


# -- Raft peers: command/agent/operator_endpoint.go OperatorRaftPeer, nomad/operator_endpoint.go -----------

def test_raft_peer_removal_by_id(double, token):
    double.state.set_servers([("nomad-%d.east" % i, "10.244.0.%d:4647" % (i + 10)) for i in range(5)])
    conf = json.loads(call(double, "GET", "/v1/operator/raft/configuration", token=token)[2])
    assert [s["Node"] for s in conf["Servers"]] == ["nomad-%d.east" % i for i in range(5)]
    gone = [s["ID"] for s in conf["Servers"] if s["Node"] in ("nomad-3.east", "nomad-4.east")]
    for server_id in gone:
        status, dummy, body = call(double, "DELETE", "/v1/operator/raft/peer?id=" + server_id, token=token)
        assert (status, body) == (200, "")
    conf = json.loads(call(double, "GET", "/v1/operator/raft/configuration", token=token)[2])
    assert [s["Node"] for s in conf["Servers"]] == ["nomad-0.east", "nomad-1.east", "nomad-2.east"]
    health = json.loads(call(double, "GET", "/v1/operator/autopilot/health", token=token)[2])
    assert len(health["Servers"]) == 3
    # RaftRemovePeerByID: an ID that is not in the Raft configuration is an (uncoded, so 500) error.
    status, dummy, body = call(double, "DELETE", "/v1/operator/raft/peer?id=" + gone[0], token=token)
    assert (status, body) == (500, 'id "%s" was not found in the Raft configuration' % gone[0])


@pytest.mark.parametrize("method, query, status, text", [
    ("DELETE", "?address=10.0.0.1:4647", 400,
     "Removing a peer by address is not supported in the current raft protocol version"),
    ("DELETE", "", 400, "Must specify the peer's ID to remove"),
    ("PUT", "?id=x", 404, "Invalid method"),
])
def test_raft_peer_refusals(double, token, method, query, status, text):
    assert call(double, method, "/v1/operator/raft/peer" + query, token=token)[0::2] == (status, text)


def test_raft_peer_removal_needs_management(double):
    ids = list(double.state.server_ids.values())
    assert call(double, "DELETE", "/v1/operator/raft/peer?id=" + ids[0])[0::2] == (403, "Permission denied")


# -- Regions: command/agent/region_endpoint.go, command/agent/agent_endpoint.go AgentJoinRequest ----------

def test_regions_and_join(double, token):
    assert call(double, "GET", "/v1/regions")[0::2] == (200, '["east"]')  # no ACL check
    double.state.wan_servers["192.0.2.61:4648"] = "west"
    status, dummy, body = call(double, "PUT", "/v1/agent/join?address=192.0.2.99", token=token)
    answer = json.loads(body)
    assert status == 200 and answer["num_joined"] == 0
    assert answer["error"] == "1 error occurred:\n\t* failed to join 192.0.2.99:4648: dial tcp 192.0.2.99:4648: i/o timeout\n\n"
    assert json.loads(call(double, "GET", "/v1/regions")[2]) == ["east"]
    status, dummy, body = call(double, "PUT", "/v1/agent/join?address=192.0.2.99&address=192.0.2.61:4648", token=token)
    assert json.loads(body) == {"num_joined": 1, "error": "", "warning": ""}
    assert json.loads(call(double, "GET", "/v1/regions")[2]) == ["east", "west"]


def test_join_without_agent_write_warns(double):
    double.state.wan_servers["192.0.2.61:4648"] = "west"
    status, dummy, body = call(double, "PUT", "/v1/agent/join?address=192.0.2.61")
    assert status == 200
    assert json.loads(body)["warning"] == "anonymous server join is deprecated and will be removed in a future version of Nomad"
    assert call(double, "PUT", "/v1/agent/join")[0::2] == (400, "missing address to join")
    assert call(double, "GET", "/v1/agent/join?address=x")[0] == 405
