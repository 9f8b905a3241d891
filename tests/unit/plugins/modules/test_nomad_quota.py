"""nomad_quota against the Nomad API double playing the community edition (501 on every quota path:
command/agent/http_ce.go registerEnterpriseHandlers) and Nomad Enterprise (api/quota.go, Nomad's quota API
documentation): the refusal on CE in check mode too, check mode, apply, re-apply, delete."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.modules import nomad_quota as mod

from _api_harness import client, run, start, three_ways, writes

GLOBAL = {"cpu": 8000, "memory_mb": 16384, "variables_mb": 100, "node_pools": [{"node_pool": "edge-arm", "cpu": 4000}]}
EU_WEST = {"cpu": 4000, "devices": [{"name": "nvidia/gpu", "count": 1}]}
SPEC = {"name": "edge-team", "description": "Edge team tenant",
        "limits": [{"region": "global", "region_limit": GLOBAL}, {"region": "eu-west", "region_limit": EU_WEST}]}


@pytest.fixture()
def enterprise():
    server = start(enterprise=True)
    yield server
    server.stop()


@pytest.fixture()
def community():
    server = start()
    yield server
    server.stop()


@pytest.mark.parametrize("check_mode", [False, True])
def test_community_edition_refused_at_the_first_read_with_any_token(community, capsys, check_mode):
    mark = len(community.state.requests)
    result = run(mod, dict(SPEC), capsys, community, token="00000000-0000-4000-8000-00000000dead",
                 _ansible_check_mode=check_mode)
    assert result["failed"] and result["msg"] == (
        "quota: needs Nomad Enterprise; this cluster is the community edition (GET /v1/quota/edge-team answered "
        "501 Nomad Enterprise only endpoint)")
    assert [r["path"] for r in community.state.requests[mark:]] == ["/v1/quota/edge-team"]


def test_three_ways_unset_limits_answered_as_zero_compare_equal(enterprise, capsys):
    """Nomad answers the unset numbers of a limit as 0 (the documented answers): re-apply must still be 0."""
    check, applied, again = three_ways(mod, SPEC, capsys, enterprise)
    spec = client(enterprise).get("/v1/quota/edge-team").data
    assert spec["Limits"][0]["RegionLimit"]["Cores"] == 0 and spec["Hash"]
    assert applied["quota"]["Description"] == "Edge team tenant"
    assert [r["path"] for r in enterprise.state.requests if r["method"] == "PUT"] == ["/v1/quota"]


def test_limits_replace_the_stored_ones_and_description_alone_keeps_them(enterprise, capsys):
    run(mod, SPEC, capsys, enterprise)
    described = run(mod, {"name": "edge-team", "description": "changed"}, capsys, enterprise)
    assert described["changed"]
    assert len(client(enterprise).get("/v1/quota/edge-team").data["Limits"]) == 2
    fewer = run(mod, dict(SPEC, limits=SPEC["limits"][:1]), capsys, enterprise, _ansible_diff=True)
    assert fewer["changed"] and len(fewer["diff"]["after"]["Limits"]) == 1
    assert [lim["Region"] for lim in client(enterprise).get("/v1/quota/edge-team").data["Limits"]] == ["global"]


def test_zero_and_negative_limits_are_kept_apart(enterprise, capsys):
    """api/quota.go: 0 = unlimited, a negative value forbids the resource."""
    run(mod, SPEC, capsys, enterprise)
    forbid = dict(SPEC, limits=[{"region": "global", "region_limit": {"cpu": -1}}])
    assert run(mod, forbid, capsys, enterprise)["changed"]
    assert client(enterprise).get("/v1/quota/edge-team").data["Limits"][0]["RegionLimit"]["CPU"] == -1


def test_create_needs_limits_and_one_entry_per_region(enterprise, capsys):
    mark = len(enterprise.state.requests)
    nolimits = run(mod, {"name": "edge-team"}, capsys, enterprise)
    assert nolimits["failed"] and nolimits["msg"].startswith("limits: required to create")
    twice = run(mod, dict(SPEC, limits=SPEC["limits"][:1] * 2), capsys, enterprise)
    assert twice["failed"] and twice["msg"].startswith("limits: one entry per region (global")
    assert writes(enterprise, mark) == []


def test_node_pool_entry_checked(enterprise, capsys):
    bad = dict(SPEC, limits=[{"region": "global", "region_limit": {"node_pools": [{"cpu": 1, "gpus": 2}]}}])
    result = run(mod, bad, capsys, enterprise)
    assert result["failed"] and result["msg"].startswith("limits: node_pools entries of region 'global' need node_pool")


def test_absent_deletes(enterprise, capsys):
    run(mod, SPEC, capsys, enterprise)
    dummy, gone, again = three_ways(mod, {"name": "edge-team", "state": "absent"}, capsys, enterprise)
    assert client(enterprise).get_or_none("/v1/quota/edge-team") is None


def test_quota_write_needed(enterprise, capsys):
    """Nomad's docs: quota:write to upsert, quota:read to read."""
    api = client(enterprise)
    api.put("/v1/acl/policy/qr", body={"Name": "qr", "Rules": 'quota { policy = "read" }'})
    token = api.put("/v1/acl/token", body={"Name": "qr", "Type": "client", "Policies": ["qr"]}).data["SecretID"]
    check = run(mod, SPEC, capsys, enterprise, token=token, _ansible_check_mode=True)
    assert check["changed"] and not check.get("failed")
    refused = run(mod, SPEC, capsys, enterprise, token=token)
    assert refused["failed"] and refused["status"] == 403
