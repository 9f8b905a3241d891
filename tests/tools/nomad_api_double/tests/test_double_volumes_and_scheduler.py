"""The Nomad API double answers the scheduler configuration, dynamic host volumes, CSI volumes and plugins, and
service registrations as Nomad 2.0.5 does: status codes and texts, each case naming the Nomad source (tag v2.0.5)
its expectation comes from. These test the double itself (a test double, never shipped), not the modules."""

import json
import urllib.error
import urllib.request

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

SCHED = "/v1/operator/scheduler/configuration"
NODE1 = "00005eed-0000-0000-0000-000000000001"  # edge-00001, pool edge-arm
NODE6 = "00005eed-0000-0000-0000-000000000006"  # edge-00006, pool gpu? see DoubleState.add_nodes: status down
CAP = [{"AccessMode": "single-node-writer", "AttachmentMode": "file-system"}]


def call(double, method, path, body=None, token=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req) as resp:
            text = resp.read().decode()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=8)).start()
    yield server
    server.stop()


@pytest.fixture()
def token(double):
    return call(double, "POST", "/v1/acl/bootstrap")[1]["SecretID"]


def seed_plugin(double, **extra):
    call(double, "POST", "/_double/csi-plugin", dict({"ID": "ebs", "Provider": "ebs.csi.aws.com"}, **extra))


def hv(**fields):
    return {"Volume": dict({"Name": "scratch", "PluginID": "mkdir", "NodePool": "edge-arm"}, **fields)}


def csi(**fields):
    return {"Volumes": [dict({"ID": "db", "PluginID": "ebs", "ExternalID": "vol-1", "RequestedCapabilities": CAP},
                             **fields)]}


# (id, method, path, body, status, exact text) -- refusals with a management token
REFUSALS = [
    # command/agent/operator_endpoint.go OperatorSchedulerConfiguration: GET, PUT, POST only
    ("sched-method", "DELETE", SCHED, None, 405, "Invalid method"),
    # schedulerUpdateConfig: decode, Validate (400), cas parse (400), before the RPC
    ("sched-empty-body", "PUT", SCHED, None, 400, "Error parsing scheduler config: Request body is empty"),
    ("sched-bad-type", "PUT", SCHED, {"MemoryOversubscriptionEnabled": "yes"}, 400,
     "Error parsing scheduler config: json: cannot unmarshal string into Go struct field "
     "SchedulerConfiguration.MemoryOversubscriptionEnabled of type bool"),
    ("sched-algorithm", "PUT", SCHED, {"SchedulerAlgorithm": "random"}, 400, "invalid scheduler algorithm: random"),
    ("sched-cas", "PUT", SCHED + "?cas=x", {}, 400,
     'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax'),
    # command/agent/host_volume_endpoint.go HostVolumeSpecificRequest: no ID, unknown verb, other method -> 404
    ("hv-no-id", "GET", "/v1/volume/host/", None, 404, "resource not found"),
    ("hv-bad-verb", "PUT", "/v1/volume/host/resize", hv(), 404, "resource not found"),
    ("hv-patch", "PATCH", "/v1/volume/host/x", None, 404, "resource not found"),
    # nomad/host_volume_endpoint.go Create / Register / Get / Delete (uncoded -> 500)
    ("hv-missing-volume", "PUT", "/v1/volume/host/create", {"PolicyOverride": False}, 500,
     "missing volume definition"),
    ("hv-missing-name", "PUT", "/v1/volume/host/create", hv(Name=""), 500,
     "volume validation failed: missing name"),
    ("hv-bad-id", "PUT", "/v1/volume/host/create", hv(ID="abc"), 500, 'volume validation failed: invalid ID "abc"'),
    ("hv-two-errors", "PUT", "/v1/volume/host/create", hv(Name="", RequestedCapacityMinBytes=5), 500,
     "volume validation failed: 2 errors occurred:\n\t* missing name\n\t* capacity_max (0) must be larger than "
     "capacity_min (5)\n\n"),
    ("hv-access-mode", "PUT", "/v1/volume/host/create",
     hv(RequestedCapabilities=[{"AttachmentMode": "file-system", "AccessMode": "multi-node-multi-writer"}]), 500,
     'volume validation failed: invalid access mode: "multi-node-multi-writer"'),
    ("hv-distinct-hosts", "PUT", "/v1/volume/host/create", hv(Constraints=[{"Operand": "distinct_hosts"}]), 500,
     "volume validation failed: invalid constraint distinct_hosts: host volumes of the same name are always on "
     "distinct hosts"),
    ("hv-namespace", "PUT", "/v1/volume/host/create", hv(Namespace="nope"), 500,
     'volume validation failed: no such namespace "nope"'),
    ("hv-unknown-id", "PUT", "/v1/volume/host/create", hv(ID="11111111-2222-4333-8444-555555555555"), 500,
     'cannot update volume "11111111-2222-4333-8444-555555555555": volume does not exist'),
    ("hv-no-pool", "PUT", "/v1/volume/host/create", hv(NodePool="mars"), 500,
     'validating volume "scratch" against state failed: node pool "mars" does not exist'),
    ("hv-node-not-in-pool", "PUT", "/v1/volume/host/create", hv(NodeID=NODE1, NodePool="default"), 500,
     'validating volume "scratch" against state failed: node ID "%s" is not in pool "default"' % NODE1),
    ("hv-default-plugin", "PUT", "/v1/volume/host/create", hv(PluginID=""), 500,
     'could not place volume "scratch": no node meets constraints: 0 nodes had existing volume, 0 nodes filtered '
     'by node pool governance, 2 nodes were infeasible'),
    ("hv-node-infeasible", "PUT", "/v1/volume/host/create", hv(PluginID="lvm", NodeID=NODE1), 500,
     'could not place volume "scratch": node %s is not feasible for volume' % NODE1),
    ("hv-register-node", "PUT", "/v1/volume/host/register", hv(HostPath="/srv"), 500,
     "cannot register volume: node ID is required"),
    ("hv-register-path", "PUT", "/v1/volume/host/register", hv(NodeID=NODE1), 500,
     "cannot register volume: host path is required"),
    ("hv-get-missing", "GET", "/v1/volume/host/11111111-2222-4333-8444-555555555555", None, 404, "volume not found"),
    ("hv-delete-missing", "DELETE", "/v1/volume/host/abc", None, 500, "no such volume: abc"),
    ("hv-delete-force", "DELETE", "/v1/volume/host/abc?force=maybe", None, 400, "invalid force value"),
    # command/agent/volumes_endpoint.go ListVolumesRequest: an unknown type is 404
    ("volumes-type", "GET", "/v1/volumes?type=nfs", None, 404, "resource not found"),
    ("volumes-delete", "DELETE", "/v1/volumes", None, 405, "Invalid method"),
    # command/agent/csi_endpoint.go CSIVolumeSpecificRequest / csiVolumeDetach
    ("csi-post", "POST", "/v1/volume/csi/db", csi(), 405, "Invalid method"),
    ("csi-post-create", "POST", "/v1/volume/csi/db/create", csi(), 405, "Invalid method"),
    ("csi-put-other", "PUT", "/v1/volume/csi/db/resize", csi(), 404, "resource not found"),
    ("csi-three", "GET", "/v1/volume/csi/db/a/b", None, 404, "resource not found"),
    ("csi-detach-node", "DELETE", "/v1/volume/csi/db/detach", None, 400, "detach requires node ID"),
    # nomad/csi_endpoint.go Register/Deregister/Get, structs.CSIVolume.Validate
    ("csi-missing", "PUT", "/v1/volume/csi/db", {"Volumes": []}, 500, "missing volume definition"),
    ("csi-validate", "PUT", "/v1/volume/csi/db", {"Volumes": [{"ID": "db"}]}, 500,
     "validation: missing plugin id, must include at least one capability block"),
    ("csi-no-plugin", "PUT", "/v1/volume/csi/db", csi(PluginID="gone"), 500,
     "no CSI plugin named: gone could be found"),
    ("csi-deregister-missing", "DELETE", "/v1/volume/csi/db", None, 500, "volume not found: db"),
    ("csi-get-missing", "GET", "/v1/volume/csi/db", None, 404, "volume not found"),
    ("csi-plugin-missing", "GET", "/v1/plugin/csi/gone", None, 404, "plugin not found"),
    ("csi-plugin-method", "DELETE", "/v1/plugin/csi/ebs", None, 405, "Invalid method"),
    # command/agent/service_registration_endpoint.go ServiceRegistrationRequest
    ("svc-no-name", "GET", "/v1/service/", None, 400, "missing service name"),
    ("svc-three", "GET", "/v1/service/a/b/c", None, 400, "invalid URI"),
    ("svc-delete-one", "DELETE", "/v1/service/web", None, 405, "Invalid method"),
    ("svc-list-put", "PUT", "/v1/services", {}, 405, "Invalid method"),
    ("svc-choose", "GET", "/v1/service/web?choose=x", None, 400,
     "failed to choose services: Parameter for choose must be in form '<number>|<key>'"),
    # command/agent/alloc_endpoint.go allocChecks: unknown allocation -> 404
    ("alloc-checks", "GET", "/v1/client/allocation/abc/checks", None, 404, 'Unknown allocation "abc"'),
]


@pytest.mark.parametrize("method, path, body, status, text", [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_refused_like_nomad(double, token, method, path, body, status, text):
    seed_plugin(double)
    assert call(double, method, path, body, token) == (status, text)


def test_scheduler_put_replaces_the_whole_object(double, token):
    """schedulerUpdateConfig builds a new structs.SchedulerConfiguration from the body: fields left out are zero;
    "" is stored as binpack (SchedulerConfiguration.Canonicalize); without ?cas Updated is true."""
    status, before = call(double, "GET", SCHED, token=token)
    assert status == 200 and before["SchedulerConfig"]["PreemptionConfig"]["SystemSchedulerEnabled"] is True
    assert set(before) == {"SchedulerConfig", "Index", "LastContact", "KnownLeader", "NextToken"}
    assert call(double, "PUT", SCHED, {"MemoryOversubscriptionEnabled": True}, token)[1]["Updated"] is True
    conf = call(double, "GET", SCHED, token=token)[1]["SchedulerConfig"]
    assert conf["SchedulerAlgorithm"] == "binpack" and conf["MemoryOversubscriptionEnabled"] is True
    assert conf["PreemptionConfig"]["SystemSchedulerEnabled"] is False  # reset: the body did not carry it


def test_scheduler_lost_check_and_set_is_200_updated_false(double, token):
    """nomad/state/state_store.go SchedulerCASConfig: a stale index applies nothing; the answer is 200 with
    Updated false (nomad/operator_endpoint.go SchedulerSetConfiguration), never 409."""
    index = call(double, "GET", SCHED, token=token)[1]["SchedulerConfig"]["ModifyIndex"]
    assert call(double, "POST", SCHED + "?cas=%d" % index, {"SchedulerAlgorithm": "spread"}, token)[1]["Updated"]
    status, again = call(double, "PUT", SCHED + "?cas=%d" % index, {"SchedulerAlgorithm": "binpack"}, token)
    assert status == 200 and again["Updated"] is False
    assert call(double, "GET", SCHED, token=token)[1]["SchedulerConfig"]["SchedulerAlgorithm"] == "spread"


def test_reject_job_registration_refuses_non_management_tokens(double, token):
    """nomad/job_endpoint.go doRegister -> registrationsAreAllowed; command/agent/http.go turns the text into 403."""
    call(double, "PUT", "/v1/acl/policy/sub", {"Name": "sub", "Rules": 'namespace "*" { policy = "write" }'}, token)
    client = call(double, "PUT", "/v1/acl/token", {"Name": "c", "Type": "client", "Policies": ["sub"]}, token)[1]
    conf = call(double, "GET", SCHED, token=token)[1]["SchedulerConfig"]
    call(double, "PUT", SCHED, dict(conf, RejectJobRegistration=True), token)
    job = {"Job": {"ID": "web", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec"}]}]}}
    assert call(double, "PUT", "/v1/jobs", job, client["SecretID"]) == (
        403, "Job registration, dispatch, and scale are disabled by the scheduler configuration")
    assert call(double, "PUT", "/v1/jobs", job, token)[0] == 200


def test_host_volume_create_places_and_becomes_ready(double, token):
    """Create answers the RPC's own copy (indexes 0, pending); the node's fingerprint makes it ready
    (UpsertHostVolume, upsertHostVolumeForNode); a second create of the name goes to the other node
    (placeHostVolume skips nodes with the name), a third finds none."""
    status, made = call(double, "PUT", "/v1/volume/host/create", hv(), token)
    vol = made["Volume"]
    assert status == 200 and vol["State"] == "pending" and vol["ModifyIndex"] == 0 and made["Index"] > 0
    assert vol["NodeID"] == NODE1 and vol["HostPath"].endswith(vol["ID"]) and vol["PluginID"] == "mkdir"
    states = [call(double, "GET", "/v1/volume/host/" + vol["ID"], token=token)[1]["State"] for dummy in range(2)]
    assert states == ["pending", "ready"]
    second = call(double, "POST", "/v1/volume/host/create", hv(), token)[1]["Volume"]
    assert second["NodeID"] != NODE1 and second["ID"] != vol["ID"]
    assert call(double, "PUT", "/v1/volume/host/create", hv(), token) == (
        500, 'could not place volume "scratch": no node meets constraints: 2 nodes had existing volume, 0 nodes '
             'filtered by node pool governance, 0 nodes were infeasible')


def test_host_volume_update_keeps_node_and_constraints(double, token):
    """CanonicalizeForCreate copies NodeID and Constraints from the stored volume (a changed constraint is
    dropped silently); ValidateUpdate refuses another node pool; the fingerprint lists it: ready at once."""
    vol = call(double, "PUT", "/v1/volume/host/create", hv(), token)[1]["Volume"]
    call(double, "GET", "/v1/volume/host/" + vol["ID"], token=token)
    call(double, "GET", "/v1/volume/host/" + vol["ID"], token=token)
    updated = call(double, "PUT", "/v1/volume/host/create",
                   hv(ID=vol["ID"], Constraints=[{"LTarget": "${meta.rack}", "RTarget": "r9", "Operand": "="}]),
                   token)[1]["Volume"]
    assert updated["ID"] == vol["ID"] and "Constraints" not in updated
    assert call(double, "GET", "/v1/volume/host/" + vol["ID"], token=token)[1]["State"] == "ready"
    assert call(double, "PUT", "/v1/volume/host/create", hv(ID=vol["ID"], NodePool="default"), token) == (
        500, 'validating volume "%s" update failed: 1 error occurred:\n\t* node pool cannot be updated\n\n' % vol["ID"])


def test_host_volume_name_is_locked_per_node(double, token):
    """client/hostvolumemanager volLocker.lock: another ID with the same name on the node is refused."""
    call(double, "PUT", "/v1/volume/host/create", hv(NodeID=NODE1), token)
    assert call(double, "PUT", "/v1/volume/host/create", hv(NodeID=NODE1), token) == (
        500, "volume name already exists on this node")


def test_host_volume_list_filters(double, token):
    """HostVolume.List: prefix matches Name or ID; the namespace ('*' = all)."""
    call(double, "PUT", "/v1/namespace/edge", {"Name": "edge"}, token)
    a = call(double, "PUT", "/v1/volume/host/create", hv(), token)[1]["Volume"]
    call(double, "PUT", "/v1/volume/host/create", hv(Namespace="edge"), token)
    assert [v["ID"] for v in call(double, "GET", "/v1/volumes?type=host", token=token)[1]] == [a["ID"]]
    assert len(call(double, "GET", "/v1/volumes?type=host&namespace=*&prefix=scr", token=token)[1]) == 2
    assert len(call(double, "GET", "/v1/volumes?type=host&prefix=" + a["ID"][:8], token=token)[1]) == 1
    assert call(double, "GET", "/v1/volumes", token=token) == (200, [])
    page = call(double, "GET", "/v1/volumes?type=host&namespace=*&per_page=1", token=token)[1]
    assert set(page[0]) == {"Namespace", "ID", "Name", "PluginID", "NodePool", "NodeID", "CapacityBytes", "State",
                            "CreateIndex", "CreateTime", "ModifyIndex", "ModifyTime"}


def test_csi_answers_are_sanitized(double, token):
    """nomad/structs/extensions.go csiVolumeExt -> CSIVolume.Sanitize: Secrets null, mount flags redacted, in
    the register answer and every read."""
    seed_plugin(double)
    body = csi(Secrets={"k": "s3cr3t"}, MountOptions={"FSType": "ext4", "MountFlags": ["noatime"]})
    status, answer = call(double, "PUT", "/v1/volume/csi/db", body, token)
    assert status == 200 and answer["Volumes"][0]["Secrets"] is None
    vol = call(double, "GET", "/v1/volume/csi/db", token=token)[1]
    assert vol["Secrets"] is None and vol["MountOptions"] == {"FSType": "ext4", "MountFlags": ["[REDACTED]"]}
    assert "s3cr3t" not in json.dumps([answer, vol])


def test_csi_update_replaces_secrets_and_refuses_identity_changes(double, token):
    """CSIVolume.Merge: secrets are replaced (even by none); name, external ID and plugin cannot change."""
    seed_plugin(double)
    call(double, "PUT", "/v1/volume/csi/db", csi(Secrets={"k": "v"}), token)
    call(double, "PUT", "/v1/volume/csi/db", csi(), token)
    assert double.state.csi_volumes[("default", "db")]["Secrets"] is None
    assert call(double, "PUT", "/v1/volume/csi/db", csi(ExternalID="vol-2"), token) == (
        500, "unable to update volume: 1 error occurred:\n\t* volume external ID cannot be updated\n\n")


def test_csi_create_and_delete_in_the_provider(double, token):
    """CSIVolume.Create: the controller creates it (ExternalID from the provider); Delete with the secrets header
    (parseCSISecrets) asks the controller, then deregisters. A plugin without a controller cannot create."""
    seed_plugin(double)
    seed_plugin(double, ID="nfs", ControllerRequired=False)
    assert call(double, "PUT", "/v1/volume/csi/x/create", csi(ID="x", PluginID="nfs"), token) == (
        500, "plugin has no controller")
    made = call(double, "PUT", "/v1/volume/csi/m/create", csi(ID="m", ExternalID="", RequestedCapacityMin=10),
                token)[1]["Volumes"][0]
    assert made["ExternalID"].startswith("csi-") and made["Capacity"] == 10
    status, dummy = call(double, "DELETE", "/v1/volume/csi/m/delete", token=token,
                         headers={"X-Nomad-CSI-Secrets": "a=1,b=x=y"})
    assert status == 200 and double.state.csi_provider_deletes[0]["Secrets"] == {"a": "1", "b": "x=y"}
    assert call(double, "GET", "/v1/volume/csi/m", token=token)[0] == 404


def test_csi_capacity_can_only_grow_past_the_current_one(double, token):
    """reconcileVolume -> expandVolume: a maximum below the current capacity is refused (humanize.Bytes)."""
    seed_plugin(double)
    call(double, "PUT", "/v1/volume/csi/db/create", csi(ExternalID="", RequestedCapacityMin=2 * 10 ** 9), token)
    assert call(double, "PUT", "/v1/volume/csi/db", csi(ExternalID="", RequestedCapacityMax=10 ** 9), token) == (
        500, "unable to update volume: max requested capacity (1.0 GB) less than or equal to current (2.0 GB)")


def test_plugins_list_and_read_need_plugin_rights(double, token):
    """CSIPlugin.List (AllowPluginList: list or read), CSIPlugin.Get (AllowPluginRead: read only)."""
    seed_plugin(double)
    call(double, "PUT", "/v1/acl/policy/pl", {"Name": "pl", "Rules": 'plugin { policy = "list" }'}, token)
    lister = call(double, "PUT", "/v1/acl/token", {"Name": "l", "Type": "client", "Policies": ["pl"]}, token)[1]
    assert [p["ID"] for p in call(double, "GET", "/v1/plugins?type=csi", token=lister["SecretID"])[1]] == ["ebs"]
    assert call(double, "GET", "/v1/plugin/csi/ebs", token=lister["SecretID"]) == (403, "Permission denied")
    assert call(double, "GET", "/v1/plugins", token=token) == (200, [])


def test_service_lookup_is_literal_and_choose_is_nomads(double, token):
    """GetService: the namespace is looked up as given ('*' finds nothing); choose keeps the n registrations with
    the lowest structs.ServiceRegistration.HashWith(key)."""
    for i in range(3):
        call(double, "POST", "/_double/service-registration", {"ServiceName": "web", "AllocID": "a%d" % i,
                                                               "Port": 8000 + i})
    assert len(call(double, "GET", "/v1/service/web", token=token)[1]) == 3
    assert call(double, "GET", "/v1/service/web?namespace=*", token=token) == (200, [])
    first = call(double, "GET", "/v1/service/web?choose=2|lb", token=token)[1]
    assert len(first) == 2 and call(double, "GET", "/v1/service/web?choose=2|lb", token=token)[1] == first
