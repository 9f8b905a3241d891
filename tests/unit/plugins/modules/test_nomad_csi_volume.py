"""nomad_csi_volume and nomad_csi_volume_info against the Nomad API double: check mode, apply, re-apply, what
state=absent means, and Nomad's rules for CSI volumes (nomad/csi_endpoint.go Register, Create, Deregister,
Delete, pluginValidateVolume; nomad/structs/csi.go CSIVolume.Merge, Validate, Sanitize)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
from ansible_collections.edgeops.nomad.plugins.modules import nomad_csi_volume as mod
from ansible_collections.edgeops.nomad.plugins.modules import nomad_csi_volume_info as info

from _api_harness import client, control, run, start, three_ways, writes

CAPS = [{"access_mode": "single-node-writer", "attachment_mode": "file-system"}]
REGISTER = {"id": "database", "plugin_id": "ebs", "external_id": "vol-0b756b75620d63af5", "capabilities": CAPS}
CREATE = {"id": "media", "mode": "create", "plugin_id": "ebs", "capabilities": CAPS, "capacity_min": "10GiB",
          "capacity_max": "20GiB"}


@pytest.fixture()
def double():
    server = start()
    control(server, "csi-plugin", {"ID": "ebs", "Provider": "ebs.csi.aws.com"})
    control(server, "csi-plugin", {"ID": "nfs", "Provider": "nfs.csi.k8s.io", "ControllerRequired": False,
                                   "ControllersHealthy": 0, "ControllersExpected": 0})
    yield server
    server.stop()


def stored(server, vol_id="database"):
    resp = client(server).get_or_none("/v1/volume/csi/" + vol_id)
    return resp.data if resp else None


def test_register_three_ways(double, capsys):
    check, applied, again = three_ways(mod, dict(REGISTER, mount_options={"fs_type": "ext4"}), capsys, double)
    assert check["diff"]["after"]["ExternalID"] == "vol-0b756b75620d63af5"
    vol = stored(double)
    assert vol["PluginID"] == "ebs" and vol["Provider"] == "ebs.csi.aws.com" and vol["Name"] == "database"
    assert vol["MountOptions"]["FSType"] == "ext4" and applied["volume"]["ID"] == "database"


def test_create_three_ways_the_provider_sets_the_external_id(double, capsys):
    dummy, applied, again = three_ways(mod, CREATE, capsys, double)
    vol = stored(double, "media")
    assert vol["ExternalID"].startswith("csi-") and vol["Capacity"] == 10 * 1024 ** 3
    assert vol["RequestedCapacityMax"] == 20 * 1024 ** 3
    creates = [r for r in double.state.requests if r["path"] == "/v1/volume/csi/media/create"]
    assert len(creates) == 1


def test_absent_deregisters_and_keeps_the_data(double, capsys):
    """DELETE /v1/volume/csi/<id>: Nomad forgets the volume, the provider is not asked to delete it."""
    run(mod, REGISTER, capsys, double)
    dummy, gone, again = three_ways(mod, {"id": "database", "state": "absent"}, capsys, double)
    assert gone["removed"] == "deregistered" and again["removed"] == "none"
    assert stored(double) is None and double.state.csi_provider_deletes == []
    assert ("DELETE", "/v1/volume/csi/database") in writes(double)


def test_delete_from_provider_is_explicit_and_sends_the_secrets_header(double, capsys):
    """DELETE /v1/volume/csi/<id>/delete with X-Nomad-CSI-Secrets (command/agent/csi_endpoint.go
    parseCSISecrets: split at commas, then at the first '=')."""
    run(mod, CREATE, capsys, double)
    ext = stored(double, "media")["ExternalID"]
    result = run(mod, {"id": "media", "state": "absent", "delete_from_provider": True,
                       "secrets": {"token": "s3cr3t=value", "region": "eu"}}, capsys, double)
    assert result["changed"] and result["removed"] == "deleted"
    assert double.state.csi_provider_deletes == [{"ID": "media", "ExternalID": ext,
                                                  "Secrets": {"token": "s3cr3t=value", "region": "eu"}}]
    assert "s3cr3t" not in json.dumps(result)


def test_secrets_with_commas_cannot_be_sent_for_a_delete(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"id": "media", "state": "absent", "delete_from_provider": True,
                       "secrets": {"token": "a,b"}}, capsys, double)
    assert result["failed"] and result["msg"].startswith("secrets: ") and double.state.requests[mark:] == []


def test_nomad_refuses_to_deregister_a_volume_it_does_not_have(double):
    """nomad/state/state_store.go CSIVolumeDeregister: 500 volume not found (the module checks first)."""
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        client(double).delete("/v1/volume/csi/nothing")
    assert err.value.status == 500 and err.value.body == "volume not found: nothing"


@pytest.mark.parametrize("change, option, text", [
    ({"external_id": "vol-other"}, "external_id", "volume external ID cannot be updated"),
    ({"plugin_id": "nfs"}, "plugin_id", "volume plugin ID cannot be updated"),
    ({"name": "db2"}, "name", "volume name cannot be updated"),
    ({"parameters": {"type": "gp3"}}, "parameters", "volume parameters cannot be updated"),
])
def test_immutable_fields_refused_before_writing_with_nomads_text(double, capsys, change, option, text):
    run(mod, dict(REGISTER, parameters={"type": "gp2"}), capsys, double)
    mark = len(double.state.requests)
    result = run(mod, dict(REGISTER, **change), capsys, double)
    assert result["failed"] and result["msg"].startswith(option + ": volume database") and text in result["msg"]
    assert writes(double, mark) == []


def test_nomad_refuses_the_same_changes(double, capsys):
    """CSIVolume.Merge, as the double answers it when the module's check is bypassed."""
    run(mod, REGISTER, capsys, double)
    body = {"Volumes": [{"ID": "database", "Name": "db2", "PluginID": "ebs", "ExternalID": "vol-0b756b75620d63af5",
                         "RequestedCapabilities": [{"AccessMode": "single-node-writer",
                                                    "AttachmentMode": "file-system"}]}]}
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        client(double).put("/v1/volume/csi/database", body=body)
    assert err.value.status == 500
    assert err.value.body == "unable to update volume: 1 error occurred:\n\t* volume name cannot be updated"


def test_capabilities_update_in_place(double, capsys):
    run(mod, REGISTER, capsys, double)
    more = CAPS + [{"access_mode": "multi-node-reader-only", "attachment_mode": "file-system"}]
    dummy, applied, again = three_ways(mod, dict(REGISTER, capabilities=list(reversed(more))), capsys, double)
    assert len(stored(double)["RequestedCapabilities"]) == 2


def test_secrets_are_never_shown_and_force_update_rewrites(double, capsys):
    """Sanitize: Secrets null in every answer; an update replaces them, so force_update is the way to rotate."""
    run(mod, dict(REGISTER, secrets={"key": "first-secret"}), capsys, double)
    assert stored(double)["Secrets"] is None
    same = run(mod, dict(REGISTER, secrets={"key": "second-secret"}), capsys, double)
    assert same["changed"] is False
    forced = run(mod, dict(REGISTER, secrets={"key": "second-secret"}, force_update=True), capsys, double)
    assert forced["changed"] is True
    assert double.state.csi_volumes[("default", "database")]["Secrets"] == {"key": "second-secret"}
    assert "secret" not in json.dumps([same, forced]).replace("Secrets", "").replace("secrets", "")


def test_hidden_mount_flags_are_not_dropped_by_an_update(double, capsys):
    """Sanitize answers mount flags as [REDACTED]; Merge replaces the mount options: an update without the flags
    would drop them, so the module refuses it."""
    run(mod, dict(REGISTER, mount_options={"fs_type": "ext4", "mount_flags": ["noatime"]}), capsys, double)
    assert stored(double)["MountOptions"]["MountFlags"] == ["[REDACTED]"]
    mark = len(double.state.requests)
    refused = run(mod, dict(REGISTER, mount_options={"fs_type": "xfs"}), capsys, double)
    assert refused["failed"] and refused["msg"].startswith("mount_options: volume database has mount flags")
    assert writes(double, mark) == []
    ok = run(mod, dict(REGISTER, mount_options={"fs_type": "xfs", "mount_flags": ["noatime"]}), capsys, double)
    assert ok["changed"]
    assert double.state.csi_volumes[("default", "database")]["MountOptions"]["MountFlags"] == ["noatime"]


def test_missing_or_unhealthy_plugin_stops_before_writing(double, capsys):
    """pluginValidateVolume: no CSI plugin named / no healthy controllers (500 from Nomad)."""
    control(double, "csi-plugin", {"ID": "sick", "ControllersHealthy": 0})
    mark = len(double.state.requests)
    missing = run(mod, dict(REGISTER, plugin_id="gone"), capsys, double)
    assert missing["failed"] and missing["msg"].startswith("plugin_id: no CSI plugin named: gone could be found")
    sick = run(mod, dict(REGISTER, plugin_id="sick"), capsys, double, _ansible_check_mode=True)
    assert sick["failed"] and sick["msg"] == "plugin_id: no healthy controllers for CSI plugin: sick"
    assert writes(double, mark) == []
    with pytest.raises(_nomad_api.NomadAPIError) as err:
        caps = [{"AccessMode": "single-node-writer", "AttachmentMode": "file-system"}]
        body = {"Volumes": [{"ID": "x", "PluginID": "sick", "RequestedCapabilities": caps}]}
        client(double).put("/v1/volume/csi/x", body=body)
    assert err.value.status == 500 and err.value.body == "no healthy controllers for CSI plugin: sick"


def test_create_needs_a_controller(double, capsys):
    """CSIVolume.Create: plugin has no controller."""
    result = run(mod, dict(CREATE, plugin_id="nfs"), capsys, double)
    assert result["failed"] and "has no controller" in result["msg"]


def test_new_volume_needs_plugin_capabilities_and_external_id(double, capsys):
    mark = len(double.state.requests)
    result = run(mod, {"id": "database"}, capsys, double)
    assert result["failed"] and result["msg"].startswith("plugin_id, capabilities, external_id: required")
    assert writes(double, mark) == []


def test_csi_write_volume_and_plugin_read_needed(double, capsys):
    """CSIVolume.Register: AllowPluginRead and csi-write-volume, else 403."""
    api = client(double)
    api.put("/v1/acl/policy/w", body={"Name": "w", "Rules": 'namespace "default" { policy = "write" }'})
    token = api.put("/v1/acl/token", body={"Name": "w", "Type": "client", "Policies": ["w"]}).data["SecretID"]
    refused = run(mod, REGISTER, capsys, double, token=token)
    assert refused["failed"] and refused["status"] == 403
    api.put("/v1/acl/policy/w", body={"Name": "w", "Rules": 'namespace "default" { policy = "write" }\n'
                                                            'plugin { policy = "read" }'})
    allowed = run(mod, REGISTER, capsys, double, token=token)
    assert allowed["changed"] and not allowed.get("failed"), allowed


def test_info_lists_volumes_and_plugins(double, capsys):
    run(mod, REGISTER, capsys, double)
    run(mod, CREATE, capsys, double)
    listed = run(info, {"plugin_id": "ebs", "plugins": True}, capsys, double)
    assert [v["ID"] for v in listed["volumes"]] == ["database", "media"]
    assert [p["ID"] for p in listed["plugins"]] == ["ebs"] and listed["plugins"][0]["ControllersHealthy"] == 1
    every = run(info, {"plugins": True}, capsys, double)
    assert sorted(p["ID"] for p in every["plugins"]) == ["ebs", "nfs"]
    one = run(info, {"id": "database"}, capsys, double)
    assert one["volumes"][0]["Secrets"] is None and one["volumes"][0]["ExternalID"] == "vol-0b756b75620d63af5"
    assert run(info, {"id": "nothing"}, capsys, double)["volumes"] == []
