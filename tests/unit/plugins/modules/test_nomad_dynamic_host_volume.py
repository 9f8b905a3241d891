"""nomad_dynamic_host_volume and nomad_dynamic_host_volume_info against the Nomad API double: check mode, apply,
re-apply, and Nomad's rules for dynamic host volumes (nomad/host_volume_endpoint.go Create, Register,
placeHostVolume, Delete; nomad/structs/host_volumes.go Validate, ValidateUpdate, CanonicalizeForCreate;
nomad/state/state_store_host_volumes.go UpsertHostVolume, upsertHostVolumeForNode)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
from ansible_collections.edgeops.nomad.plugins.modules import nomad_dynamic_host_volume as mod
from ansible_collections.edgeops.nomad.plugins.modules import nomad_dynamic_host_volume_info as info

from _api_harness import client, control, run, start, three_ways, writes

# the double's nodes: edge-00001 and edge-00005 are in pool edge-arm; edge-00006 (pool edge-x86 ... ) is down
ARM = {"name": "scratch", "plugin_id": "mkdir", "node_pool": "edge-arm"}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(_nomad_api.time, "sleep", lambda s: None)


@pytest.fixture()
def double():
    server = start()
    yield server
    server.stop()


def volumes(server, name=None):
    listed = client(server).get("/v1/volumes", query={"type": "host", "namespace": "*"}).data
    return [v for v in listed if name is None or v["Name"] == name]


def node_named(server, name):
    return next(n["ID"] for n in server.state.nodes.values() if n["Name"] == name)


def test_create_three_ways_waits_for_ready(double, capsys):
    args = dict(ARM, capacity_min="10GiB", capacity_max="20GiB", parameters={"mode": "0750"})
    check, applied, again = three_ways(mod, args, capsys, double)
    assert check["diff"]["before"] == {} and check["diff"]["after"]["PluginID"] == "mkdir"
    vol = applied["volume"]
    assert vol["State"] == "ready" and vol["NodePool"] == "edge-arm" and vol["PluginID"] == "mkdir"
    assert vol["RequestedCapacityMinBytes"] == 10 * 1024 ** 3 and vol["Parameters"] == {"mode": "0750"}
    assert vol["HostPath"].endswith("/" + vol["ID"])
    assert [v["ID"] for v in volumes(double, "scratch")] == [vol["ID"]]
    assert again["volume"]["ID"] == vol["ID"]


def test_second_run_updates_the_same_volume_never_a_second_one(double, capsys):
    """Nomad keeps names unique per node only: a create without the ID would place a second volume on the other
    edge-arm node (placeHostVolume skips nodes that have the name). The module sends the existing ID."""
    first = run(mod, dict(ARM), capsys, double)
    changed = run(mod, dict(ARM, parameters={"mode": "0700"}), capsys, double)
    assert changed["changed"] and changed["volume"]["ID"] == first["volume"]["ID"]
    assert len(volumes(double, "scratch")) == 1
    creates = [r for r in double.state.requests if r["path"] == "/v1/volume/host/create"]
    assert len(creates) == 2


def test_more_than_one_volume_of_the_name_is_refused_naming_them(double, capsys):
    a = run(mod, dict(ARM, node_id=node_named(double, "edge-00001")), capsys, double)
    b = run(mod, dict(ARM, node_id=node_named(double, "edge-00005")), capsys, double)
    mark = len(double.state.requests)
    result = run(mod, dict(ARM, parameters={"mode": "0700"}), capsys, double)
    assert result["failed"] and result["msg"].startswith("name: 2 volumes named 'scratch'")
    assert a["volume"]["ID"] in result["msg"] and b["volume"]["ID"] in result["msg"]
    assert writes(double, mark) == []
    one = run(mod, dict(ARM, node_id=node_named(double, "edge-00005"), parameters={"mode": "0700"}), capsys, double)
    assert one["changed"] and one["volume"]["ID"] == b["volume"]["ID"]


def test_constraints_place_the_volume(double, capsys):
    """placeHostVolume: the first node of the pool (by ID) that passes the constraints."""
    result = run(mod, dict(ARM, constraints=[{"attribute": "${node.unique.name}", "value": "edge-00005"}]),
                 capsys, double)
    assert result["volume"]["NodeID"] == node_named(double, "edge-00005")


def test_no_feasible_node_is_nomads_500(double, capsys):
    result = run(mod, dict(ARM, constraints=[{"attribute": "${meta.rack}", "value": "nowhere"}]), capsys, double)
    assert result["failed"] and result["status"] == 500
    assert ('could not place volume "scratch": no node meets constraints: 0 nodes had existing volume, 0 nodes '
            'filtered by node pool governance, 2 nodes were infeasible') in result["msg"]


@pytest.mark.parametrize("change, option", [
    ({"constraints": [{"attribute": "${meta.rack}", "value": "r2"}]}, "constraints"),
    ({"plugin_id": "other"}, "plugin_id"),
])
def test_immutable_fields_refused_before_writing(double, capsys, change, option):
    """CanonicalizeForCreate keeps the stored constraints (a changed one would be dropped silently); another
    plugin would run on the existing volume."""
    run(mod, dict(ARM), capsys, double)
    mark = len(double.state.requests)
    result = run(mod, dict(ARM, **change), capsys, double)
    assert result["failed"] and result["msg"].startswith(option + ": volume ")
    assert writes(double, mark) == []


def test_minimum_without_maximum_refused_before_writing(double, capsys):
    """HostVolume.Validate: capacity_max (0) must be larger than capacity_min (N) - a minimum alone fails."""
    mark = len(double.state.requests)
    result = run(mod, dict(ARM, capacity_min="1GB"), capsys, double)
    assert result["failed"] and result["msg"].startswith("capacity_max: 0 bytes is less than capacity_min")
    assert writes(double, mark) == []
    api = client(double)
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        api.put("/v1/volume/host/create", body={"Volume": {"Name": "x", "PluginID": "mkdir",
                                                           "RequestedCapacityMinBytes": 5}})
    assert err.value.status == 500 and "capacity_max (0) must be larger than capacity_min (5)" in str(err.value)


def test_constraint_without_value_refused_before_any_request(double, capsys):
    """Constraint.Validate: Operator "=" requires an RTarget (500 from Nomad, as the double answers too)."""
    mark = len(double.state.requests)
    result = run(mod, dict(ARM, constraints=[{"attribute": "${meta.rack}"}]), capsys, double)
    assert result["failed"] and result["msg"].startswith("constraints: operator '=' on ${meta.rack} needs a value")
    assert double.state.requests[mark:] == []
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        client(double).put("/v1/volume/host/create", body={"Volume": {
            "Name": "x", "PluginID": "mkdir", "Constraints": [{"LTarget": "${meta.rack}", "Operand": "="}]}})
    assert err.value.status == 500 and 'Operator \"=\" requires an RTarget' in str(err.value)


def test_plugin_id_required_for_create(double, capsys):
    """CanonicalizeForCreate stores an empty PluginID as "default", which no node fingerprints."""
    mark = len(double.state.requests)
    result = run(mod, {"name": "scratch"}, capsys, double)
    assert result["failed"] and result["msg"].startswith("plugin_id: required with mode=create")
    assert double.state.requests[mark:] == []


def test_nomad_refuses_an_empty_plugin_as_default(double, capsys):
    """What the preflight above prevents, as Nomad answers it."""
    api = client(double)
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        api.put("/v1/volume/host/create", body={"Volume": {"Name": "x", "NodePool": "edge-arm"}})
    assert err.value.status == 500 and "no node meets constraints" in str(err.value)


def test_register_three_ways(double, capsys):
    args = {"name": "camera", "mode": "register", "node_id": node_named(double, "edge-00001"),
            "host_path": "/srv/camera", "capacity": "200GB"}
    dummy, applied, again = three_ways(mod, args, capsys, double)
    assert applied["volume"]["HostPath"] == "/srv/camera" and applied["volume"]["CapacityBytes"] == 200 * 10 ** 9
    assert applied["volume"]["PluginID"] == "" and applied["volume"]["State"] == "ready"


def test_register_needs_node_and_path_before_any_request(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"name": "camera", "mode": "register"}, capsys, double)
    assert result["failed"] and result["msg"].startswith("node_id, host_path: required with mode=register")
    assert double.state.requests[mark:] == []


def test_unknown_mkdir_parameter_is_the_clients_refusal(double, capsys):
    """client/hostvolumemanager/host_volume_plugin.go decodeMkdirParams."""
    result = run(mod, dict(ARM, parameters={"owner": "me"}), capsys, double)
    assert result["failed"] and 'invalid value for "owner": unknown mkdir parameter: "owner"' in result["msg"]


def test_wait_fails_when_the_node_goes_down(double, capsys):
    """upsertHostVolumeForNode: a volume on a down node is unavailable; the wait stops there."""
    control(double, "host-volume-polls", {"reads": 3})
    node = node_named(double, "edge-00001")
    created = run(mod, dict(ARM, node_id=node, wait=False), capsys, double)
    assert created["volume"]["State"] == "pending"
    double.state.nodes[node].setdefault("HostVolumes", {})["scratch"] = {"Path": "/x", "ReadOnly": False}
    control(double, "node-status", {"name": "edge-00001", "status": "down"})
    result = run(mod, dict(ARM, node_id=node), capsys, double)
    assert result["failed"] and "is unavailable on node" in result["msg"]


def test_wait_times_out(double, capsys):
    control(double, "host-volume-polls", {"reads": 10 ** 6})
    clock = iter(range(0, 10 ** 6, 10))
    from ansible_collections.edgeops.nomad.plugins.modules import nomad_dynamic_host_volume
    orig = _nomad_api.time.time
    _nomad_api.time.time = lambda: next(clock)
    try:
        result = run(nomad_dynamic_host_volume, dict(ARM, wait_timeout=30), capsys, double)
    finally:
        _nomad_api.time.time = orig
    assert result["failed"] and "still pending after 30s" in result["msg"]


def test_absent_deletes_and_absent_again_is_ok(double, capsys):
    run(mod, dict(ARM), capsys, double)
    dummy, gone, again = three_ways(mod, dict(ARM, state="absent"), capsys, double)
    assert volumes(double, "scratch") == []


def test_delete_of_a_volume_on_a_down_node_needs_force(double, capsys):
    """HostVolume.Delete: volume cannot be removed from unknown node without force=true."""
    run(mod, dict(ARM, node_id=node_named(double, "edge-00001")), capsys, double)
    control(double, "node-status", {"name": "edge-00001", "status": "down"})
    refused = run(mod, dict(ARM, state="absent"), capsys, double)
    assert refused["failed"] and "volume cannot be removed from unknown node without force=true" in refused["msg"]
    forced = run(mod, dict(ARM, state="absent", force=True), capsys, double)
    assert forced["changed"] and volumes(double, "scratch") == []


def test_namespace_is_the_volumes_identity(double, capsys):
    client(double).put("/v1/namespace/edge", body={"Name": "edge"})
    a = run(mod, dict(ARM, namespace="edge"), capsys, double)
    b = run(mod, dict(ARM), capsys, double)
    assert a["volume"]["Namespace"] == "edge" and b["volume"]["Namespace"] == "default"
    assert a["volume"]["ID"] != b["volume"]["ID"]
    missing = run(mod, dict(ARM, namespace="nope"), capsys, double)
    assert missing["failed"] and 'volume validation failed: no such namespace "nope"' in missing["msg"]


def test_host_volume_capabilities_of_a_token(double, capsys):
    """acl/policy.go expandNamespaceCapabilities: host-volume-create includes read, not delete."""
    api = client(double)
    api.put("/v1/acl/policy/hv", body={"Name": "hv", "Rules": 'namespace "default" { capabilities = '
                                                              '["host-volume-create"] }'})
    token = api.put("/v1/acl/token", body={"Name": "hv", "Type": "client", "Policies": ["hv"]}).data["SecretID"]
    made = run(mod, dict(ARM), capsys, double, token=token)
    assert made["changed"] and not made.get("failed"), made
    refused = run(mod, dict(ARM, state="absent"), capsys, double, token=token)
    assert refused["failed"] and refused["status"] == 403


def test_info_lists_by_name_node_and_state(double, capsys):
    a = run(mod, dict(ARM, node_id=node_named(double, "edge-00001")), capsys, double)
    run(mod, dict(ARM, node_id=node_named(double, "edge-00005")), capsys, double)
    run(mod, {"name": "scratch-2", "plugin_id": "mkdir", "node_pool": "edge-arm"}, capsys, double)
    listed = run(info, {"name": "scratch"}, capsys, double)
    assert listed["changed"] is False and [v["Name"] for v in listed["volumes"]] == ["scratch", "scratch"]
    one = run(info, {"node_id": node_named(double, "edge-00001"), "details": True}, capsys, double)
    assert {v["Name"] for v in one["volumes"]} == {"scratch", "scratch-2"} or len(one["volumes"]) >= 1
    assert all("RequestedCapabilities" in v for v in one["volumes"])
    by_id = run(info, {"id": a["volume"]["ID"]}, capsys, double)
    assert [v["ID"] for v in by_id["volumes"]] == [a["volume"]["ID"]]
    missing = run(info, {"id": "00000000-0000-4000-8000-000000000000"}, capsys, double)
    assert missing["volumes"] == []
