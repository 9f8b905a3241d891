"""The Nomad API double answers as /work/shared/nomad/api-endpoints.md documents Nomad (not as our
modules happen to call it): paths, PascalCase JSON, text/plain errors, status codes, X-Nomad-Index."""

import json
import urllib.error
import urllib.request

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=2)).start()
    yield server
    server.stop()


def call(double, method, path, body=None, token=None, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture()
def token(double):
    status, dummy, body = call(double, "POST", "/v1/acl/bootstrap")
    assert status == 200
    tok = json.loads(body)
    assert tok["Name"] == "Bootstrap Token" and tok["Type"] == "management" and tok["Global"] is True
    return tok["SecretID"]


def test_acl_enforced_texts(double, token):
    assert call(double, "GET", "/v1/nodes")[0::2] == (403, b"Permission denied")
    assert call(double, "GET", "/v1/nodes", token="00000000-0000-4000-8000-000000000000")[0::2] == \
        (403, b"ACL token not found")
    status, headers, dummy = call(double, "GET", "/v1/nodes", headers={"Authorization": "Bearer " + token})
    assert status == 200 and headers["Content-Type"] == "application/json"


def test_errors_are_text_plain(double, token):
    status, headers, body = call(double, "GET", "/v1/node/pool/nope", token=token)
    assert (status, body) == (404, b"node pool not found")
    assert headers["Content-Type"].startswith("text/plain")


def test_bootstrap_only_once_and_secret_must_be_uuid(double, token):
    status, dummy, body = call(double, "POST", "/v1/acl/bootstrap")
    assert status == 400 and body.startswith(b"ACL bootstrap already done (reset index: ")
    fresh = NomadAPIDouble(DoubleState(acl=True)).start()
    try:
        assert call(fresh, "POST", "/v1/acl/bootstrap", {"BootstrapSecret": "nope"})[0::2] == (400, b"invalid acl token")
    finally:
        fresh.stop()
    plain = NomadAPIDouble(DoubleState(acl=False)).start()
    try:
        assert call(plain, "POST", "/v1/acl/bootstrap")[0::2] == (400, b"ACL support disabled")
    finally:
        plain.stop()


def test_node_pool_validation_and_builtins(double, token):
    status, dummy, body = call(double, "PUT", "/v1/node/pool/default", {"Name": "default"}, token)
    assert (status, body) == (400, b'modifying node pool "default" is not allowed')
    status, dummy, body = call(double, "PUT", "/v1/node/pool/a", {"Name": "b"}, token)
    assert (status, body) == (400, b"Node pool name does not match request path")
    status, dummy, body = call(double, "PUT", "/v1/node/pool/a.b", {"Name": "a.b"}, token)
    assert (status, body) == (400, b'invalid node pool "a.b": 1 error occurred:\n\t* invalid name "a.b", '
                                   b'must match regex ^[a-zA-Z0-9-_]{1,128}$\n\n')
    status, headers, body = call(double, "PUT", "/v1/node/pool/edge", {"name": "edge", "nodeidentityttl": "1h"}, token)
    assert status == 200 and body == b"" and int(headers["X-Nomad-Index"]) > 0  # case-insensitive fields
    pool = json.loads(call(double, "GET", "/v1/node/pool/edge", token=token)[2])
    # structs.NodePool has no MarshalJSON: the duration is written as integer nanoseconds
    assert pool["NodeIdentityTTL"] == 3600 * 10 ** 9 and set(pool) >= {"Name", "Description", "Meta", "CreateIndex"}


def test_empty_body_and_wrong_method(double, token):
    assert call(double, "PUT", "/v1/node/pool/x", token=token)[0::2] == (400, b"Request body is empty")
    assert call(double, "DELETE", "/v1/nodes", token=token)[0::2] == (405, b"Invalid method")
    assert call(double, "POST", "/v1/operator/autopilot/configuration", {}, token)[0::2] == (404, b"Invalid method")


def test_variable_cas_conflict_returns_current(double, token):
    status, headers, body = call(double, "PUT", "/v1/var/a/b?cas=0", {"Items": {"k": "v"}}, token)
    assert status == 200 and json.loads(body)["Items"] == {"k": "v"}
    status, headers, body = call(double, "PUT", "/v1/var/a/b?cas=0", {"Items": {"k": "w"}}, token)
    assert status == 409 and json.loads(body)["ModifyIndex"] == int(headers["X-Nomad-Index"])
    assert call(double, "PUT", "/v1/var/nomad/x", {"Items": {"k": "v"}}, token)[0::2] == (
        400, b'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level '
             b'"nomad" directory')
    assert call(double, "PUT", "/v1/var/c", {"Items": {}}, token)[0::2] == \
        (400, b"variable missing required Items object")


def test_drain_transitions(double, token):
    node = json.loads(call(double, "GET", "/v1/nodes", token=token)[2])[0]["ID"]
    body = {"DrainSpec": {"Deadline": 3600 * 10 ** 9, "IgnoreSystemJobs": True}, "Meta": {"why": "test"}}
    status, dummy, resp = call(double, "POST", "/v1/node/%s/drain" % node, body, token)
    assert status == 200 and set(json.loads(resp)) >= {"NodeModifyIndex", "EvalIDs", "EvalCreateIndex"}
    status, dummy, resp = call(double, "POST", "/v1/node/%s/eligibility" % node, {"Eligibility": "eligible"}, token)
    assert (status, resp) == (500, b"can not set node's scheduling eligibility to eligible while it is draining")
    first = json.loads(call(double, "GET", "/v1/node/" + node, token=token)[2])
    assert first["DrainStrategy"]["IgnoreSystemJobs"] and first["SchedulingEligibility"] == "ineligible"
    done = json.loads(call(double, "GET", "/v1/node/" + node, token=token)[2])
    assert done["DrainStrategy"] is None and done["LastDrain"]["Status"] == "complete"
    assert call(double, "POST", "/v1/node/x/eligibility", {"Eligibility": "maybe"}, token)[0] == 500


def test_job_parse_register_plan(double, token):
    hcl = 'job "web" {\n  group "g" {\n    task "t" {\n      driver = "exec"\n    }\n  }\n}\n'
    status, dummy, body = call(double, "POST", "/v1/jobs/parse", {"JobHCL": hcl, "Canonicalize": True}, token)
    job = json.loads(body)
    assert status == 200 and job["ID"] == "web" and job["TaskGroups"][0]["Tasks"][0]["Driver"] == "exec"
    assert call(double, "POST", "/v1/jobs/parse", {"JobHCL": ""}, token)[0::2] == (400, b"Job spec is empty")
    plan = json.loads(call(double, "POST", "/v1/job/web/plan", {"Job": job, "Diff": True}, token)[2])
    assert plan["Diff"]["Type"] == "Added" and plan["JobModifyIndex"] == 0
    reg = json.loads(call(double, "POST", "/v1/jobs", {"Job": job}, token)[2])
    assert set(reg) >= {"EvalID", "EvalCreateIndex", "JobModifyIndex", "Warnings"}
    plan = json.loads(call(double, "POST", "/v1/job/web/plan", {"Job": job, "Diff": True}, token)[2])
    assert plan["Diff"]["Type"] == "None" and plan["JobModifyIndex"] == reg["JobModifyIndex"]
    stale = {"Job": job, "EnforceIndex": True, "JobModifyIndex": 1}
    status, dummy, body = call(double, "POST", "/v1/job/web", stale, token)
    assert status == 500 and body.startswith(b"Enforcing job modify index 1: job exists with conflicting")
    assert call(double, "POST", "/v1/job/other", {"Job": job}, token)[0::2] == (400, b"Job ID does not match name")


def test_autopilot_cas_and_durations(double, token):
    conf = json.loads(call(double, "GET", "/v1/operator/autopilot/configuration", token=token)[2])
    assert conf["LastContactThreshold"] == "200ms" and conf["ServerStabilizationTime"] == "10s"
    body = dict(conf, LastContactThreshold="1s")
    assert call(double, "PUT", "/v1/operator/autopilot/configuration?cas=1", body, token)[2] == b"false"
    path = "/v1/operator/autopilot/configuration?cas=%d" % conf["ModifyIndex"]
    assert call(double, "PUT", path, body, token)[2] == b"true"


def test_unhealthy_autopilot_is_429(double, token):
    double.state.autopilot_healthy = False
    status, dummy, body = call(double, "GET", "/v1/operator/autopilot/health", token=token)
    assert status == 429 and json.loads(body)["Healthy"] is False


def test_snapshot_roundtrip_and_corruption(double, token):
    status, headers, snap = call(double, "GET", "/v1/operator/snapshot", token=token)
    assert status == 200 and headers["Digest"].startswith("sha-256=")
    assert call(double, "PUT", "/v1/operator/snapshot", token=token, raw=snap)[0] == 200
    status, dummy, body = call(double, "PUT", "/v1/operator/snapshot", token=token, raw=snap[:-40] + b"x" * 40)
    assert status == 500 and body.startswith(b"failed to read snapshot file")


def test_client_token_capabilities_from_policy(double, token):
    rules = 'namespace "*" {\n  policy = "read"\n}\nnamespace "secret" {\n  policy = "deny"\n}\n' \
            'node {\n  policy = "read"\n}\nnode_pool "edge-*" {\n  capabilities = ["read", "write"]\n}\n'
    assert call(double, "PUT", "/v1/acl/policy/reader", {"Name": "reader", "Rules": rules}, token)[0] == 200
    status, dummy, body = call(double, "PUT", "/v1/acl/token", {"Name": "r", "Type": "client", "Policies": ["reader"]},
                               token)
    assert status == 200
    client = json.loads(body)["SecretID"]
    assert call(double, "GET", "/v1/nodes", token=client)[0] == 200
    assert call(double, "GET", "/v1/jobs?namespace=default", token=client)[0] == 200
    assert call(double, "GET", "/v1/jobs?namespace=secret", token=client)[0::2] == (403, b"Permission denied")
    assert call(double, "POST", "/v1/jobs", {"Job": {"ID": "x"}}, client)[0::2] == (403, b"Permission denied")
    assert call(double, "PUT", "/v1/node/pool/edge-new", {"Name": "edge-new"}, client)[0] == 200
    assert call(double, "PUT", "/v1/node/pool/core", {"Name": "core"}, client)[0::2] == (403, b"Permission denied")
    node = json.loads(call(double, "GET", "/v1/nodes", token=client)[2])[0]["ID"]
    drain = {"DrainSpec": {"Deadline": 0}}
    assert call(double, "POST", "/v1/node/%s/drain" % node, drain, client)[0::2] == (403, b"Permission denied")
    assert call(double, "GET", "/v1/operator/autopilot/configuration", token=client)[0] == 403
    pools = [p["Name"] for p in json.loads(call(double, "GET", "/v1/node/pools", token=client)[2])]
    assert pools == ["edge-arm", "edge-new"]
