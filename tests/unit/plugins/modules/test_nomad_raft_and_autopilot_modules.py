"""nomad_raft_peer and nomad_autopilot against the Nomad API double (Raft peers with IDs, an Autopilot PUT that
replaces the whole configuration as command/agent/operator_endpoint.go OperatorAutopilotConfiguration does):
check mode, apply, re-apply, and the rules of Nomad's source each test names."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadClient
from ansible_collections.edgeops.nomad.plugins.modules import nomad_agent_join, nomad_autopilot, nomad_raft_peer
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

SECRET = "0b7e3c5a-2d41-4f8e-9c6b-5a1d3e7f9b20"
WRITES = ("PUT", "POST", "DELETE")


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=0)).start()
    NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    server.state.set_servers([("nomad-%d.global" % i, "10.244.0.%d:4647" % (i + 10)) for i in range(5)])
    yield server
    server.stop()


def run(module, args, capsys, double, **extra):
    args = dict({"url": double.url, "token": SECRET}, **args)
    args.update(extra)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def writes(double, since=0):
    return [(r["method"], r["path"]) for r in double.state.requests[since:] if r["method"] in WRITES]


def peers(double):
    return [name for name, dummy in double.state.servers]


def test_raft_peer_check_apply_reapply(double, capsys):
    args = {"nodes": ["nomad-4.global"], "addresses": ["10.244.0.13:4647"]}
    mark = len(double.state.requests)
    check = run(nomad_raft_peer, dict(args), capsys, double, _ansible_check_mode=True, _ansible_diff=True)
    assert check["changed"] is True and writes(double, mark) == [], check
    assert sorted(s["Node"] for s in check["removed"]) == ["nomad-3.global", "nomad-4.global"]
    assert len(peers(double)) == 5
    applied = run(nomad_raft_peer, dict(args), capsys, double)
    assert applied["changed"] is True, applied
    # one DELETE /v1/operator/raft/peer?id= per server (nomad/operator_endpoint.go RaftRemovePeerByID)
    assert writes(double, mark) == [("DELETE", "/v1/operator/raft/peer")] * 2
    assert peers(double) == ["nomad-0.global", "nomad-1.global", "nomad-2.global"]
    assert [s["Node"] for s in applied["servers"]] == peers(double)
    mark = len(double.state.requests)
    again = run(nomad_raft_peer, dict(args), capsys, double)
    assert again["changed"] is False and writes(double, mark) == [] and again["removed"] == []


def test_raft_peer_refuses_to_remove_every_voter(double, capsys):
    out = run(nomad_raft_peer, {"nodes": ["nomad-%d.global" % i for i in range(5)]}, capsys, double)
    assert out["failed"] is True and out["msg"].startswith("ids, nodes, addresses: they match every voter")
    assert len(peers(double)) == 5
    out = run(nomad_raft_peer, {}, capsys, double)
    assert out["failed"] is True and out["msg"].startswith("ids, nodes or addresses:")


def test_raft_peer_needs_management(double, capsys):
    out = run(nomad_raft_peer, {"nodes": ["nomad-4.global"]}, capsys, double, token="")
    assert out["failed"] is True and "Permission denied" in out["msg"]


def test_autopilot_keeps_the_settings_it_is_not_given(double, capsys):
    """The PUT replaces the whole stored configuration (omitted fields become false/0/0s), so a module that sent
    only the changed keys would switch cleanup_dead_servers off and zero the thresholds: it must send the
    configuration it read with its changes merged in, with ?cas=<ModifyIndex>."""
    before = NomadClient(url=double.url, token=SECRET).get("/v1/operator/autopilot/configuration").data
    out = run(nomad_autopilot, {"server_stabilization_time": "30s"}, capsys, double)
    assert out["changed"] is True, out
    after = out["autopilot"]
    assert after["ServerStabilizationTime"] == "30s"
    for key in ("CleanupDeadServers", "LastContactThreshold", "MaxTrailingLogs", "MinQuorum"):
        assert after[key] == before[key], key
    puts = [r for r in double.state.requests if r["method"] == "PUT"]
    assert puts[-1]["query"] == {"cas": str(before["ModifyIndex"])}


def test_agent_join_only_when_a_region_is_missing(double, capsys):
    """/v1/regions lists the regions with alive servers (nomad/regions_endpoint.go Region.List); a join
    (command/agent/agent_endpoint.go AgentJoinRequest) answers 200 with its error in the body."""
    double.state.wan_servers["192.0.2.61:4648"] = "west"
    args = {"regions": ["west"], "addresses": ["192.0.2.60", "192.0.2.61"]}
    mark = len(double.state.requests)
    check = run(nomad_agent_join, dict(args), capsys, double, _ansible_check_mode=True)
    assert check["changed"] is True and check["missing"] == ["west"] and writes(double, mark) == []
    applied = run(nomad_agent_join, dict(args), capsys, double)
    assert applied["changed"] is True and applied["num_joined"] == 1 and applied["regions"] == ["global", "west"]
    join = [r for r in double.state.requests[mark:] if r["method"] == "PUT"]
    assert join and join[0]["path"] == "/v1/agent/join"
    mark = len(double.state.requests)
    again = run(nomad_agent_join, dict(args), capsys, double)
    assert again["changed"] is False and writes(double, mark) == []


def test_agent_join_reports_nomads_error_when_nobody_answers(double, capsys):
    out = run(nomad_agent_join, {"regions": ["west"], "addresses": ["192.0.2.99"]}, capsys, double)
    assert out["failed"] is True and out["msg"].startswith("regions ['west'] still unknown after joining 192.0.2.99")
    assert "failed to join 192.0.2.99:4648" in out["msg"]
