"""nomad_sentinel_policy against the Nomad API double playing the community edition (501 on every Sentinel path:
command/agent/http_ce.go registerEnterpriseHandlers) and Nomad Enterprise (api/sentinel.go, Nomad's Sentinel API
documentation: management token, ACLs on): the refusal on CE, check mode, apply, re-apply, delete."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.modules import nomad_sentinel_policy as mod

from _api_harness import client, run, start, three_ways, writes

POLICY = {"name": "edge-drivers", "description": "docker and exec only", "scope": "submit-job",
          "enforcement_level": "hard-mandatory",
          "policy": 'main = rule { all job.task_groups as tg { all tg.tasks as t { t.driver in ["docker", "exec"] } } }'}


@pytest.fixture()
def enterprise():
    server = start(enterprise=True)
    yield server
    server.stop()


def test_community_edition_refused_before_any_write(capsys):
    server = start(acl=False)
    try:
        result = run(mod, dict(POLICY), capsys, server, token=None, _ansible_check_mode=True)
    finally:
        server.stop()
    assert result["failed"] and result["msg"].startswith("sentinel_policy: needs Nomad Enterprise; this cluster is "
                                                         "the community edition (GET /v1/sentinel/policy/edge-drivers "
                                                         "answered 501 Nomad Enterprise only endpoint)")


def test_three_ways_and_update(enterprise, capsys):
    check, applied, again = three_ways(mod, POLICY, capsys, enterprise)
    assert applied["sentinel_policy"]["EnforcementLevel"] == "hard-mandatory"
    soft = run(mod, dict(POLICY, enforcement_level="soft-mandatory"), capsys, enterprise, _ansible_diff=True)
    assert soft["changed"] and soft["diff"]["before"]["EnforcementLevel"] == "hard-mandatory"
    kept = run(mod, {"name": "edge-drivers", "description": "new text"}, capsys, enterprise)
    stored = client(enterprise).get("/v1/sentinel/policy/edge-drivers").data
    assert kept["changed"] and stored["EnforcementLevel"] == "soft-mandatory" and stored["Policy"] == POLICY["policy"]


def test_new_policy_defaults_to_advisory_and_needs_scope_and_text(enterprise, capsys):
    mark = len(enterprise.state.requests)
    missing = run(mod, {"name": "p"}, capsys, enterprise)
    assert missing["failed"] and missing["msg"].startswith("scope, policy: required to create")
    assert writes(enterprise, mark) == []
    made = run(mod, {"name": "p", "scope": "submit-host-volume", "policy": "main = rule { true }"}, capsys, enterprise)
    assert made["sentinel_policy"]["EnforcementLevel"] == "advisory"


def test_management_token_needed(enterprise, capsys):
    api = client(enterprise)
    api.put("/v1/acl/policy/ops", body={"Name": "ops", "Rules": 'operator { policy = "write" }'})
    token = api.put("/v1/acl/token", body={"Name": "ops", "Type": "client", "Policies": ["ops"]}).data["SecretID"]
    refused = run(mod, POLICY, capsys, enterprise, token=token)
    assert refused["failed"] and refused["status"] == 403


def test_absent_deletes(enterprise, capsys):
    run(mod, POLICY, capsys, enterprise)
    three_ways(mod, {"name": "edge-drivers", "state": "absent"}, capsys, enterprise)
    assert client(enterprise).get_or_none("/v1/sentinel/policy/edge-drivers") is None
