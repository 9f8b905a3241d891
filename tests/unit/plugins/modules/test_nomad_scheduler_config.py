"""nomad_scheduler_config against the Nomad API double: check mode, apply, re-apply, and Nomad's rules for the
scheduler configuration (command/agent/operator_endpoint.go schedulerUpdateConfig replaces the whole object;
nomad/state/state_store.go SchedulerCASConfig answers a lost check-and-set with Updated=false, not 409)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
from ansible_collections.edgeops.nomad.plugins.modules import nomad_scheduler_config as mod

from _api_harness import client, run, start, three_ways, writes

PATH = "/v1/operator/scheduler/configuration"


@pytest.fixture()
def double():
    server = start()
    yield server
    server.stop()


def stored(server):
    return client(server).get(PATH).data["SchedulerConfig"]


def test_three_ways_and_fields_not_set_are_kept(double, capsys):
    """A PUT stores the whole body (fields left out become false/0): the module must send what it read."""
    api = client(double)
    seed = dict(stored(double), RejectJobRegistration=True, NodeLimitForFeasibilityChecks=250,
                PreemptionConfig={"SystemSchedulerEnabled": True, "SysBatchSchedulerEnabled": False,
                                  "BatchSchedulerEnabled": True, "ServiceSchedulerEnabled": False})
    api.put(PATH, body=seed)
    check, applied, again = three_ways(mod, {"scheduler_algorithm": "spread", "memory_oversubscription_enabled": True,
                                             "preemption": {"service": True}}, capsys, double)
    assert check["diff"]["before"]["SchedulerAlgorithm"] == "binpack"
    assert check["diff"]["after"]["SchedulerAlgorithm"] == "spread"
    conf = stored(double)
    assert conf["SchedulerAlgorithm"] == "spread" and conf["MemoryOversubscriptionEnabled"] is True
    assert conf["RejectJobRegistration"] is True and conf["NodeLimitForFeasibilityChecks"] == 250
    assert conf["PreemptionConfig"] == {"SystemSchedulerEnabled": True, "SysBatchSchedulerEnabled": False,
                                        "BatchSchedulerEnabled": True, "ServiceSchedulerEnabled": True}
    assert applied["scheduler_config"]["ModifyIndex"] == conf["ModifyIndex"] and applied["cas_retried"] is False


def test_every_write_is_check_and_set_at_the_read_index(double, capsys):
    before = stored(double)["ModifyIndex"]
    run(mod, {"pause_eval_broker": True}, capsys, double)
    puts = [r for r in double.state.requests if r["method"] == "PUT" and r["path"] == PATH]
    assert [r["query"].get("cas") for r in puts] == [str(before)]


def test_empty_algorithm_compares_as_binpack_and_node_limit_zero_as_100(double, capsys):
    """structs.SchedulerConfiguration.Canonicalize stores "" as binpack; GetNodeLimitForFeasibilityChecks
    reads 0 as 100 (DefaultNodeLimitForFeasibilityChecks)."""
    mark = len(double.state.requests)
    result = run(mod, {"scheduler_algorithm": "binpack", "node_limit_for_feasibility_checks": 100}, capsys, double)
    assert result["changed"] is False and writes(double, mark) == []


def test_lost_check_and_set_is_read_again_and_retried_once(double, capsys, monkeypatch):
    """Another writer between the module's read and its PUT: Nomad answers 200 Updated=false; the module reads
    again, keeps the other writer's change and writes its own on the new index."""
    other = client(double)
    real_put = _nomad_api.NomadClient.put
    raced = []

    def put(self, path, body=None, query=None, **kwargs):
        if path == PATH and not raced:
            raced.append(True)
            other.put(PATH, body=dict(stored(double), RejectJobRegistration=True))
        return real_put(self, path, body=body, query=query, **kwargs)
    monkeypatch.setattr(_nomad_api.NomadClient, "put", put)
    result = run(mod, {"scheduler_algorithm": "spread"}, capsys, double)
    assert not result.get("failed"), result
    assert result["changed"] and result["cas_retried"] is True
    conf = stored(double)
    assert conf["SchedulerAlgorithm"] == "spread" and conf["RejectJobRegistration"] is True


def test_two_lost_races_fail_without_writing(double, capsys, monkeypatch):
    other = client(double)
    real_put = _nomad_api.NomadClient.put

    def put(self, path, body=None, query=None, **kwargs):
        if path == PATH and self is not other:
            other.put(PATH, body=dict(stored(double), NodeLimitForFeasibilityChecks=stored(double)[
                "NodeLimitForFeasibilityChecks"] + 1))
        return real_put(self, path, body=body, query=query, **kwargs)
    monkeypatch.setattr(_nomad_api.NomadClient, "put", put)
    result = run(mod, {"scheduler_algorithm": "spread"}, capsys, double)
    assert result["failed"] and "changed twice while this task wrote it" in result["msg"]
    assert stored(double)["SchedulerAlgorithm"] == "binpack"


def test_negative_node_limit_refused_before_any_request(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"node_limit_for_feasibility_checks": -1}, capsys, double)
    assert result["failed"] and result["msg"].startswith("node_limit_for_feasibility_checks: ")
    assert double.state.requests[mark:] == []


def test_operator_write_needed(double, capsys):
    """nomad/operator_endpoint.go SchedulerSetConfiguration: AllowOperatorWrite, else 403."""
    api = client(double)
    api.put("/v1/acl/policy/op-read", body={"Name": "op-read", "Rules": 'operator { policy = "read" }'})
    token = api.put("/v1/acl/token", body={"Name": "r", "Type": "client", "Policies": ["op-read"]}).data["SecretID"]
    result = run(mod, {"scheduler_algorithm": "spread"}, capsys, double, token=token)
    assert result["failed"] and result["status"] == 403 and "Permission denied" in result["msg"]
    check = run(mod, {"scheduler_algorithm": "spread"}, capsys, double, token=token, _ansible_check_mode=True)
    assert check["changed"] and not check.get("failed")  # reading needs operator read only
