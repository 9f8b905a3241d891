"""nomad_service_info against the Nomad API double: service names, registrations, and their allocations' check
results (nomad/service_registration_endpoint.go List, GetService, choose; command/agent/alloc_endpoint.go
allocChecks)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.modules import nomad_service_info as mod

from _api_harness import client, control, run, start, writes

ALLOC_A = "8f2c4a1e-0d3b-4e5f-9a8b-7c6d5e4f3a2b"
ALLOC_B = "1a2b3c4d-0d3b-4e5f-9a8b-7c6d5e4f3a2b"
ALLOC_C = "9e8d7c6b-0d3b-4e5f-9a8b-7c6d5e4f3a2b"


def check(alloc, status, service="telemetry", name="alive"):
    return {"ID": "c-" + alloc[:4] + name, "Check": name, "Group": "g", "Mode": "healthiness", "Output": "",
            "Service": service, "Task": "", "Status": status, "StatusCode": 200 if status == "success" else 0,
            "Timestamp": 1767225600}


@pytest.fixture()
def double():
    server = start()
    client(server).put("/v1/namespace/edge", body={"Name": "edge"})
    for alloc, ns, port in ((ALLOC_A, "edge", 9100), (ALLOC_B, "edge", 9101), (ALLOC_C, "default", 9102)):
        control(server, "service-registration", {"ServiceName": "telemetry", "Namespace": ns, "AllocID": alloc,
                                                 "Port": port, "Tags": ["metrics"]})
    control(server, "service-registration", {"ServiceName": "web", "Namespace": "default", "AllocID": ALLOC_C,
                                             "Port": 8080})
    control(server, "alloc-checks", {"AllocID": ALLOC_A, "Checks": {"1": check(ALLOC_A, "success"),
                                                                    "2": check(ALLOC_A, "success", "web")}})
    control(server, "alloc-checks", {"AllocID": ALLOC_B, "Checks": {"1": check(ALLOC_B, "failure")}})
    control(server, "alloc-checks", {"AllocID": ALLOC_C, "unreachable": True})
    yield server
    server.stop()


def test_list_every_namespace(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"namespace": "*"}, capsys, double, _ansible_check_mode=True)
    assert result["changed"] is False and writes(double, mark) == []
    assert [(s["Namespace"], s["ServiceName"]) for s in result["services"]] == [
        ("default", "telemetry"), ("default", "web"), ("edge", "telemetry")]


def test_registrations_with_health_per_allocation(double, capsys):
    result = run(mod, {"name": "telemetry", "namespace": "edge", "checks": True}, capsys, double)
    health = dict((r["AllocID"], r["Health"]) for r in result["registrations"])
    assert health == {ALLOC_A: "passing", ALLOC_B: "failing"}
    only_own = [r for r in result["registrations"] if r["AllocID"] == ALLOC_A][0]["Checks"]
    assert [c["Service"] for c in only_own] == ["telemetry"]  # the web check of the same allocation is not its


def test_unreachable_node_reports_unknown_instead_of_failing(double, capsys):
    """allocChecks: No path to node -> 404; the module keeps going."""
    result = run(mod, {"name": "telemetry", "checks": True}, capsys, double)
    (reg,) = result["registrations"]
    assert reg["Health"] == "unknown" and "No path to node" in reg["ChecksError"]


def test_star_namespace_is_resolved_through_the_list(double, capsys):
    """GetService looks the name up in one namespace: '*' would match nothing (the double answers [] too)."""
    assert client(double).get("/v1/service/telemetry", query={"namespace": "*"}).data == []
    result = run(mod, {"name": "telemetry", "namespace": "*"}, capsys, double)
    assert sorted(r["AllocID"] for r in result["registrations"]) == sorted([ALLOC_A, ALLOC_B, ALLOC_C])


def test_choose_is_passed_to_nomad_and_checked_there(double, capsys):
    """ServiceRegistration.choose: '<number>|<key>', else 400."""
    one = run(mod, {"name": "telemetry", "namespace": "edge", "choose": "1|edge-lb"}, capsys, double)
    assert len(one["registrations"]) == 1
    bad = run(mod, {"name": "telemetry", "namespace": "edge", "choose": "one"}, capsys, double)
    assert bad["failed"] and bad["status"] == 400
    assert "failed to choose services: Parameter for choose must be in form '<number>|<key>'" in bad["msg"]


def test_read_job_needed(double, capsys):
    api = client(double)
    api.put("/v1/acl/policy/edge-read", body={"Name": "edge-read", "Rules": 'namespace "edge" { policy = "read" }'})
    token = api.put("/v1/acl/token", body={"Name": "r", "Type": "client", "Policies": ["edge-read"]}).data["SecretID"]
    allowed = run(mod, {"namespace": "*"}, capsys, double, token=token)
    assert [s["Namespace"] for s in allowed["services"]] == ["edge"]  # '*' leaves out what the token cannot read
    refused = run(mod, {"name": "web"}, capsys, double, token=token)
    assert refused["failed"] and refused["status"] == 403


def test_checks_need_a_name(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"checks": True}, capsys, double)
    assert result["failed"] and result["msg"].startswith("checks/choose: ") and double.state.requests[mark:] == []
