"""The ACL, job, node pool, variable and client introduction modules against the Nomad API double (made faithful to Nomad 2.0.5 by the
double's own tests): check mode, apply, re-apply, and the rules of Nomad's source each test names."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadClient
from ansible_collections.edgeops.nomad.plugins.modules import (
    nomad_acl_auth_method,
    nomad_acl_binding_rule,
    nomad_acl_role,
    nomad_acl_token,
    nomad_client_intro_token,
    nomad_job,
    nomad_node_pool,
    nomad_variable,
)
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.testca import make as make_ca

SECRET = "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41"
WRITES = ("PUT", "POST", "DELETE")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """The double advances its evaluations and deployments per read, not per second."""
    from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
    monkeypatch.setattr(_nomad_api.time, "sleep", lambda s: None)


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=1)).start()
    NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    yield server
    server.stop()


@pytest.fixture()
def api(double):
    return NomadClient(url=double.url, token=SECRET)


def run(module, args, capsys, double=None, **extra):
    if double is not None:
        args = dict({"url": double.url, "token": SECRET}, **args)
    args.update(extra)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def writes(double, since=0):
    return [(r["method"], r["path"]) for r in double.state.requests[since:] if r["method"] in WRITES]


def three_ways(module, args, capsys, double):
    """check mode (reports changed, writes nothing), apply (changes), re-apply (changed=False, no write)."""
    mark = len(double.state.requests)
    check = run(module, dict(args), capsys, double, _ansible_check_mode=True, _ansible_diff=True)
    assert check.get("failed") is None, check
    assert check["changed"] is True and writes(double, mark) == []
    applied = run(module, dict(args), capsys, double)
    assert applied["changed"] is True and not applied.get("failed"), applied
    mark = len(double.state.requests)
    again = run(module, dict(args), capsys, double)
    assert again["changed"] is False and writes(double, mark) == [], again
    return check, applied


def policy(api, name="readonly"):
    api.put("/v1/acl/policy/" + name, body={"Name": name, "Rules": 'node { policy = "read" }'})


# == ACL tokens, roles, auth methods, binding rules =======================================
def test_token_update_echoes_immutable_fields(double, api, capsys):
    """ACLToken.Validate (nomad/structs/acl.go) refuses an update whose ExpirationTTL differs from the
    stored one: an update that drops the TTL fails with 400 on Nomad."""
    policy(api)
    policy(api, "deploy")
    base = {"name": "ci", "policies": ["readonly"], "expiration_ttl": "1h"}
    created = run(nomad_acl_token, dict(base), capsys, double)
    updated = run(nomad_acl_token, dict(base, policies=["readonly", "deploy"]), capsys, double)
    assert not updated.get("failed"), updated["msg"]
    assert updated["changed"] and updated["rotated"] == "" and updated["accessor_id"] == created["accessor_id"]
    token = api.get("/v1/acl/token/" + created["accessor_id"]).data
    assert token["Policies"] == ["deploy", "readonly"] and token["ExpirationTTL"] in ("1h0m0s", 3600 * 10 ** 9)
    assert "secret_id" not in updated  # no new secret on an in-place update


@pytest.mark.parametrize("change, reason", [
    ({"global_token": True}, "global_token: Nomad cannot toggle global mode"),
    ({"expiration_ttl": "2h"}, "expiration_ttl: Nomad cannot update the expiration TTL"),
])
def test_global_or_ttl_change_is_a_rotation_stored_before_the_old_token_goes(double, api, capsys, tmp_path,
                                                                             change, reason):
    policy(api)
    base = {"name": "ci", "policies": ["readonly"], "expiration_ttl": "1h"}
    old = run(nomad_acl_token, dict(base), capsys, double)
    args = dict(base, secret_file=str(tmp_path / "ci.token"), **change)
    check, rotated = three_ways(nomad_acl_token, args, capsys, double)
    assert check["rotated"].startswith(reason) and "secret_id" not in check
    assert rotated["rotated"].startswith(reason) and rotated["previous_accessor_id"] == old["accessor_id"]
    assert rotated["accessor_id"] != old["accessor_id"]
    assert (tmp_path / "ci.token").read_text() == rotated["secret_id"]
    assert oct(os.stat(str(tmp_path / "ci.token")).st_mode & 0o777) == "0o600"
    assert api.get_or_none("/v1/acl/token/" + old["accessor_id"]) is None
    order = [w for w in writes(double) if w[1].startswith("/v1/acl/token")][-2:]
    assert order == [("PUT", "/v1/acl/token"), ("DELETE", "/v1/acl/token/" + old["accessor_id"])]


def test_rotation_that_cannot_store_the_secret_leaves_the_old_token(double, api, capsys, monkeypatch):
    policy(api)
    old = run(nomad_acl_token, {"name": "ci", "policies": ["readonly"]}, capsys, double)

    def fail(path, secret):
        raise OSError("disk full")
    monkeypatch.setattr(nomad_acl_token, "write_secret", fail)
    result = run(nomad_acl_token, {"name": "ci", "policies": ["readonly"], "rotate": True,
                                   "secret_file": "/tmp/never-written"}, capsys, double)
    assert result["failed"] and result["msg"].startswith("secret_file: cannot store")
    names = [t for t in api.get("/v1/acl/tokens").data if t["Name"] == "ci"]
    assert [t["AccessorID"] for t in names] == [old["accessor_id"]]  # new one taken back, old untouched


def test_rotation_whose_delete_fails_names_the_endpoint_and_the_leftover(double, api, capsys):
    policy(api)
    old = run(nomad_acl_token, {"name": "ci", "policies": ["readonly"]}, capsys, double)
    double.state.faults.append({"path": "/v1/acl/token/" + old["accessor_id"], "method": "DELETE", "status": 500,
                                "body": "rpc error: No cluster leader", "remaining": 5})
    result = run(nomad_acl_token, {"name": "ci", "policies": ["readonly"], "rotate": True}, capsys, double)
    assert result["failed"] and result["status"] == 500
    assert result["msg"].startswith("Nomad API DELETE /v1/acl/token/%s returned 500: rpc error: No cluster leader"
                                    % old["accessor_id"])
    assert "the previous token %s is still there" % old["accessor_id"] in result["msg"]
    assert result["secret_id"] and result["previous_accessor_id"] == old["accessor_id"]
    assert len(writes(double)) - len([w for w in writes(double) if w[0] == "DELETE"]) >= 1
    assert len([w for w in writes(double) if w == ("DELETE", "/v1/acl/token/" + old["accessor_id"])]) == 1


def test_token_roles_by_name_compared_by_id(double, api, capsys):
    policy(api)
    run(nomad_acl_role, {"name": "ops", "policies": ["readonly"]}, capsys, double)
    check, applied = three_ways(nomad_acl_token, {"name": "op-token", "roles": ["ops"]}, capsys, double)
    role_id = api.get("/v1/acl/role/name/ops").data["ID"]
    assert api.get("/v1/acl/token/" + applied["accessor_id"]).data["Roles"] == [{"ID": role_id, "Name": ""}]
    missing = run(nomad_acl_token, {"name": "op-token", "roles": ["nope"]}, capsys, double)
    assert missing["failed"] and missing["msg"].startswith("roles: ACL role 'nope' does not exist")


def test_acl_role_three_ways_and_missing_policy_refused_before_writing(double, api, capsys):
    policy(api)
    check, applied = three_ways(nomad_acl_role, {"name": "ops", "description": "day 2", "policies": ["readonly"]},
                                capsys, double)
    assert check["diff"]["after"]["Policies"] == ["readonly"] and applied["role"]["Name"] == "ops"
    mark = len(double.state.requests)
    bad = run(nomad_acl_role, {"name": "ops", "policies": ["readonly", "ghost"]}, capsys, double)
    assert bad["failed"] and bad["msg"].startswith("policies: ACL policy 'ghost' does not exist")
    assert writes(double, mark) == []
    gone = run(nomad_acl_role, {"name": "ops", "state": "absent"}, capsys, double)
    assert gone["changed"] and api.get_or_none("/v1/acl/role/name/ops") is None


@pytest.mark.parametrize("args, msg", [
    ({"name": "bad name", "policies": ["p"]}, "name: "),
    ({"name": "ops", "policies": []}, "policies: a role needs at least one policy"),
    ({"name": "ops", "policies": ["p"], "description": "x" * 257}, "description: at most 256"),
])
def test_acl_role_input_refused_before_any_request(double, capsys, args, msg):
    mark = len(double.state.requests)
    result = run(nomad_acl_role, args, capsys, double)
    assert result["failed"] and result["msg"].startswith(msg) and double.state.requests[mark:] == []


JWT_METHOD = {"name": "gitlab", "type": "JWT", "max_token_ttl": "1h", "token_locality": "global",
              "config": {"JWKSURL": "https://gitlab.example.com/oauth/discovery/keys", "BoundAudiences": ["nomad"],
                         "ExpirationLeeway": "30s"}}


def test_acl_auth_method_three_ways(double, api, capsys):
    check, applied = three_ways(nomad_acl_auth_method, JWT_METHOD, capsys, double)
    assert api.get("/v1/acl/auth-method/gitlab").data["TokenLocality"] == "global"
    changed = run(nomad_acl_auth_method, dict(JWT_METHOD, max_token_ttl="2h"), capsys, double)
    assert changed["changed"] and changed["diff"] if "diff" in changed else changed["changed"]


def test_acl_auth_method_oidc_secret_never_shown(double, api, capsys):
    args = {"name": "sso", "type": "OIDC", "max_token_ttl": "8h", "oidc_client_secret": "very-secret-value",
            "config": {"OIDCDiscoveryURL": "https://login.example.com", "OIDCClientID": "nomad",
                       "AllowedRedirectURIs": ["https://nomad.example.com/ui"]}}
    first = run(nomad_acl_auth_method, dict(args), capsys, double, _ansible_diff=True)
    again = run(nomad_acl_auth_method, dict(args), capsys, double, _ansible_diff=True)
    assert first["changed"] and not again["changed"]
    assert "very-secret-value" not in json.dumps([first, again])


@pytest.mark.parametrize("args, msg", [
    ({"type": "OIDC", "config": {"OIDCClientID": "x"}}, "config: an OIDC method needs OIDCDiscoveryURL"),
    ({"type": "JWT", "config": {"BoundAudiences": ["a"]}}, "config: a JWT method needs"),
    ({"type": "JWT", "config": {"JWKSURL": "https://x", "JwksUrl": "typo"}}, "config: unknown key 'JwksUrl'"),
    ({"type": "JWT", "max_token_ttl": "soon", "config": {"JWKSURL": "https://x"}}, "max_token_ttl: not a duration"),
])
def test_acl_auth_method_validate_before_any_request(double, capsys, args, msg):
    mark = len(double.state.requests)
    result = run(nomad_acl_auth_method, dict({"name": "m", "max_token_ttl": "1h"}, **args), capsys, double)
    assert result["failed"] and msg in result["msg"] and double.state.requests[mark:] == []


def test_acl_binding_rule_three_ways_found_by_description(double, api, capsys):
    policy(api)
    run(nomad_acl_auth_method, dict(JWT_METHOD), capsys, double)
    run(nomad_acl_role, {"name": "ops", "policies": ["readonly"]}, capsys, double)
    args = {"auth_method": "gitlab", "description": "ops project", "selector": '"ops" in list.groups',
            "bind_type": "role", "bind_name": "ops"}
    check, applied = three_ways(nomad_acl_binding_rule, args, capsys, double)
    moved = run(nomad_acl_binding_rule, dict(args, bind_type="policy", bind_name="readonly"), capsys, double)
    assert moved["changed"] and moved["binding_rule"]["ID"] == applied["binding_rule"]["ID"]
    assert len(api.get("/v1/acl/binding-rules").data) == 1
    bad = run(nomad_acl_binding_rule, dict(args, bind_type="management"), capsys, double)
    assert bad["failed"] and bad["msg"].startswith("bind_name: must be empty with bind_type=management")


# == nomad_job follows the evaluation, then the deployment of the registered version ========
SERVICE = {"ID": "web", "Type": "service", "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [
    {"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true"}}]}],
    "Update": {"MaxParallel": 1}}


def test_job_wait_follows_evaluation_then_deployment(double, capsys):
    result = run(nomad_job, {"job": SERVICE, "wait": True, "wait_timeout": 30}, capsys, double)
    assert not result.get("failed"), result
    # the register call creates no deployment; the scheduler does, after the evaluation
    assert result["deployment"] is not None and result["deployment"]["Status"] == "successful"
    assert result["evaluation"]["Status"] == "complete"
    assert result["deployment"]["ID"] == result["evaluation"]["DeploymentID"]
    paths = [r["path"] for r in double.state.requests if r["method"] == "GET"]
    assert "/v1/evaluation/" + result["eval_id"] in paths
    second = run(nomad_job, {"job": dict(SERVICE, Meta={"v": "2"}), "wait": True, "wait_timeout": 30}, capsys, double)
    assert second["deployment"]["JobVersion"] == 1 and second["deployment"]["Status"] == "successful"


def test_job_wait_reports_a_failed_deployment(double, capsys, monkeypatch):
    real = nomad_job.wait_deployment

    def failing(client, job_id, version, timeout, deployment_id=None, sleep=None):
        for dep in double.state.deployments.values():
            dep.update(Status="failed", StatusDescription="Failed due to unhealthy allocations")
        return real(client, job_id, version, timeout, deployment_id=deployment_id, sleep=lambda s: None)
    monkeypatch.setattr(nomad_job, "wait_deployment", failing)
    result = run(nomad_job, {"job": SERVICE, "wait": True, "wait_timeout": 30}, capsys, double)
    assert result["failed"] and "ended failed: Failed due to unhealthy allocations" in result["msg"]
    assert result["deployment"]["Status"] == "failed"


def test_job_batch_wait_completes_with_the_evaluation(double, capsys):
    batch = dict(SERVICE, ID="once", Type="batch")
    batch.pop("Update")
    result = run(nomad_job, {"job": batch, "wait": True, "wait_timeout": 30}, capsys, double)
    assert result["evaluation"]["Status"] == "complete" and result["deployment"] is None


def test_job_namespace_from_the_job_for_register_wait_and_absent(double, api, capsys):
    """command/agent/job_endpoint.go namespaceForJob: query, then body, then job.Namespace. A job that
    names its namespace is registered there; reading and stopping it must use the same namespace."""
    api.put("/v1/namespace/edge", body={"Name": "edge"})
    job = dict(SERVICE, Namespace="edge")
    result = run(nomad_job, {"job": job, "wait": True, "wait_timeout": 30}, capsys, double)
    assert not result.get("failed"), result
    assert result["namespace"] == "edge" and result["deployment"]["Namespace"] == "edge"
    assert ("edge", "web") in double.state.jobs and ("default", "web") not in double.state.jobs
    again = run(nomad_job, {"job": job}, capsys, double)
    assert again["changed"] is False
    stop = run(nomad_job, {"job": job, "state": "absent"}, capsys, double)
    assert stop["changed"] and double.state.jobs[("edge", "web")]["Stop"] is True
    option_wins = run(nomad_job, {"job": job, "namespace": "default", "state": "absent"}, capsys, double)
    assert option_wins["changed"] is False and option_wins["namespace"] == "default"


def _job_versions(double, capsys):
    """web version 0 deployed (its deployment succeeded: stable), version 1 registered (not stable yet)."""
    first = run(nomad_job, {"job": SERVICE, "wait": True, "wait_timeout": 30}, capsys, double)
    assert not first.get("failed"), first
    second = run(nomad_job, {"job": dict(SERVICE, Meta={"release": "2"})}, capsys, double)
    assert second["changed"] and double.state.jobs[("default", "web")]["Version"] == 1
    return [v["Version"] for v in double.state.job_versions[("default", "web")] if v["Stable"]]


def test_job_reverted_to_the_newest_stable_version_three_ways(double, capsys):
    """nomad/job_endpoint.go Job.Revert registers the target version again as a NEW version (Stable false;
    upsertJobImpl bumps the version), so a second revert would create yet another version: the module
    compares the current specification with the target's first (GetJobVersions with diff_version)."""
    assert _job_versions(double, capsys) == [0]
    args = {"name": "web", "state": "reverted"}
    check, applied = three_ways(nomad_job, args, capsys, double)
    assert check["reverted_from"] == 1 and check["reverted_to"] == 0
    assert "- Meta.release: '2'" in check["diff"]["prepared"]  # the revert drops what version 1 added
    job = double.state.jobs[("default", "web")]
    assert applied["reverted_to"] == 0 and job["Version"] == 2 and not job.get("Meta")
    assert [w for w in writes(double) if w[1].endswith("/revert")] == [("POST", "/v1/job/web/revert")]
    again = run(nomad_job, dict(args), capsys, double)  # version 2 has the specification of version 0
    assert again["changed"] is False and again["reverted_from"] == 2


def test_job_revert_leaves_a_job_that_moved_on_alone(double, capsys):
    """enforce_prior_version: the rulebook passes the version whose deployment failed; a job registered again
    since is not reverted (and Nomad's EnforcePriorVersion refuses a change between read and revert)."""
    _job_versions(double, capsys)
    mark = len(double.state.requests)
    result = run(nomad_job, {"name": "web", "state": "reverted", "enforce_prior_version": 0}, capsys, double)
    assert result["changed"] is False and writes(double, mark) == []
    assert result["msg"] == "job web is at version 1, not 0 (enforce_prior_version): not reverted"
    moved = run(nomad_job, {"name": "web", "state": "reverted", "enforce_prior_version": 1}, capsys, double)
    assert moved["changed"] and double.state.jobs[("default", "web")]["Version"] == 2


@pytest.mark.parametrize("args, msg", [
    ({}, "version: job 'web' has no stable version to revert to (versions: 1, 0)"),
    ({"version": 5}, "version: job 'web' has no version 5 (Nomad keeps: 1, 0)"),
])
def test_job_revert_without_a_target_fails_before_writing(double, capsys, args, msg):
    run(nomad_job, {"job": SERVICE}, capsys, double)
    run(nomad_job, {"job": dict(SERVICE, Meta={"release": "2"})}, capsys, double)
    mark = len(double.state.requests)
    result = run(nomad_job, dict({"name": "web", "state": "reverted"}, **args), capsys, double)
    assert result["failed"] and result["msg"] == msg and writes(double, mark) == []


def test_job_revert_to_the_current_version_changes_nothing(double, capsys):
    _job_versions(double, capsys)
    mark = len(double.state.requests)
    result = run(nomad_job, {"name": "web", "state": "reverted", "version": 1}, capsys, double)
    assert result["changed"] is False and writes(double, mark) == []
    assert result["msg"] == "job web is at its target specification already (version 1)"
    bad = run(nomad_job, {"job": SERVICE, "version": 0}, capsys, double)
    assert bad["failed"] and bad["msg"] == "version: only used with state=reverted"


def test_job_hcl_variables_are_no_log(double, capsys):
    # hcl_variables is a variable file as Nomad's parse takes it (JobsParseRequest.Variables)
    hcl = 'variable "note" {\n  type = string\n}\n' \
          'job "v" {\n  type = "batch"\n  meta {\n    note = var.note\n  }\n' \
          '  group "g" {\n    task "t" {\n      driver = "exec"\n      config {\n        command = "/bin/true"\n' \
          '      }\n    }\n  }\n}\n'
    result = run(nomad_job, {"hcl": hcl, "hcl_variables": 'note = "s3cr3t-var-value"'}, capsys, double,
                 _ansible_diff=True)
    assert not result.get("failed"), result
    assert "s3cr3t-var-value" not in json.dumps(result)


# == node pool scheduler options need Enterprise ===========================================
@pytest.mark.parametrize("extra, needs_request", [({}, True), ({"enterprise": False}, False)])
def test_node_pool_scheduler_options_refused_on_community_before_the_write(double, capsys, extra, needs_request):
    """nomad/node_pool_endpoint_ce.go validateLicense: 'Feature "Node Pools Governance" is unlicensed'."""
    mark = len(double.state.requests)
    result = run(nomad_node_pool, dict({"name": "edge-arm", "scheduler_algorithm": "spread"}, **extra), capsys, double)
    assert result["failed"] and result["msg"].startswith("scheduler_algorithm/memory_oversubscription: needs Nomad "
                                                         "Enterprise")
    assert writes(double, mark) == []
    asked = [r["path"] for r in double.state.requests[mark:]]
    assert (asked == ["/v1/operator/license"]) is needs_request


def test_node_pool_scheduler_options_on_enterprise_three_ways(capsys):
    """The shared Enterprise check (module_utils/_nomad_edition.py) lets them through on Enterprise (the license
    answer), where the pool stores its SchedulerConfiguration."""
    server = NomadAPIDouble(DoubleState(acl=True, nodes=1, enterprise=True)).start()
    try:
        NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
        three_ways(nomad_node_pool, {"name": "edge-arm", "scheduler_algorithm": "spread"}, capsys, server)
        pool = NomadClient(url=server.url, token=SECRET).get("/v1/node/pool/edge-arm").data
        assert pool["SchedulerConfiguration"]["SchedulerAlgorithm"] == "spread"
    finally:
        server.stop()


def test_node_pool_without_scheduler_options_three_ways(double, capsys):
    three_ways(nomad_node_pool, {"name": "edge-arm", "description": "ARM", "meta": {"site": "f1"}}, capsys, double)


# == variables ===================================================================================
def test_variable_diff_names_changed_keys_never_values_or_hashes(double, capsys):
    base = {"path": "app/conf", "items": {"user": "edge", "password": "hunter2"}}
    three_ways(nomad_variable, base, capsys, double)
    result = run(nomad_variable, dict(base, items={"user": "edge", "password": "x", "new": "y"}), capsys, double,
                 _ansible_diff=True)
    assert result["diff"] == {"before": {"password": "(old value)", "user": "(unchanged)"},
                              "after": {"new": "(added)", "password": "(new value)", "user": "(unchanged)"}}
    text = json.dumps(result)
    assert "hunter2" not in text and "sha256" not in text


@pytest.mark.parametrize("path, ok", [
    ("nomad/jobs", True), ("nomad/jobs/web/t", True), ("nomad/sentinel/x", True),
    ("nomad/job-templates/base", True), ("app/a~b_c-d", True),
    ("nomad", False), ("nomad/job-templates", False), ("nomad/job-templates/a/b", False),
    ("nomad/other", False), ("a b", False), ("x" * 129, False), ("app/ü", False),
])
def test_variable_path_rules_of_nomad(double, capsys, path, ok):
    """nomad/structs/variables.go ValidatePath (v2.0.5)."""
    mark = len(double.state.requests)
    result = run(nomad_variable, {"path": path, "items": {"a": "1"}}, capsys, double)
    if ok:
        assert result["changed"] and not result.get("failed"), result
    else:
        assert result["failed"] and result["msg"].startswith("path: ") and double.state.requests[mark:] == []


def test_variable_cas_write_whose_answer_was_lost_is_retried_and_recognised(double, api, capsys, monkeypatch):
    """A 500 after Nomad applied a check-and-set PUT: the retry meets 409 with the wanted items."""
    from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
    real = _nomad_api.NomadClient._once
    lost = []

    def once(self, method, url, shown, *args):
        resp = real(self, method, url, shown, *args)
        if method == "PUT" and not lost:
            lost.append(shown)
            raise _nomad_api.NomadAPIError("context deadline exceeded", method=method, path=shown, status=500)
        return resp
    monkeypatch.setattr(_nomad_api.NomadClient, "_once", once)
    monkeypatch.setattr(_nomad_api.time, "sleep", lambda s: None)
    result = run(nomad_variable, {"path": "app/conf", "items": {"a": "1"}}, capsys, double)
    assert not result.get("failed"), result
    assert result["changed"] and lost and api.get("/v1/var/app/conf").data["Items"] == {"a": "1"}


# == client introduction tokens ================================================================
@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    return make_ca(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture()
def mtls_double(tls_dir):
    server = NomadAPIDouble(DoubleState(acl=True, nodes=1), tls_cert=os.path.join(tls_dir, "server.pem"),
                            tls_key=os.path.join(tls_dir, "server-key.pem"),
                            tls_client_ca=os.path.join(tls_dir, "ca.pem")).start()
    conn = {"url": server.url, "ca_cert": os.path.join(tls_dir, "ca.pem"),
            "client_cert": os.path.join(tls_dir, "client.pem"), "client_key": os.path.join(tls_dir, "client-key.pem")}
    NomadClient(**conn).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    server.conn = dict(conn, token=SECRET)
    yield server
    server.stop()


def test_intro_token_over_mutual_tls_check_apply_reapply(mtls_double, capsys):
    args = dict(mtls_double.conn, node_pool="edge-arm", ttl="20m")
    mark = len(mtls_double.state.requests)
    check = run(nomad_client_intro_token, dict(args), capsys, _ansible_check_mode=True)
    assert check["changed"] and "jwt" not in check and writes(mtls_double, mark) == []
    made = run(nomad_client_intro_token, dict(args), capsys)
    assert made["changed"] and made["jwt"].count(".") == 2 and made["node_pool"] == "edge-arm"
    assert made["ttl_granted"] == 1200 and made["ttl_capped"] is False
    mark = len(mtls_double.state.requests)
    kept = run(nomad_client_intro_token, dict(args, current_token=made["jwt"]), capsys)
    assert kept["changed"] is False and kept["kept"] is True and "jwt" not in kept
    assert mtls_double.state.requests[mark:] == []
    other_pool = run(nomad_client_intro_token, dict(args, node_pool="default", current_token=made["jwt"]), capsys)
    assert other_pool["changed"] and other_pool["jwt"] != made["jwt"]


def test_intro_token_ttl_capped_by_the_server_is_reported(mtls_double, capsys, monkeypatch):
    """nomad/structs/acl.go ACLCreateClientIntroductionTokenRequest.IdentityTTL caps at max_identity_ttl
    (30m by default, nomad/structs/node.go DefaultNodeIntroductionConfig) and only logs it on the server."""
    warned = []
    monkeypatch.setattr(nomad_client_intro_token.NomadModule, "warn", lambda self, msg, **kw: warned.append(msg))
    result = run(nomad_client_intro_token, dict(mtls_double.conn, ttl="2h"), capsys)
    assert result["ttl_capped"] is True and result["ttl_granted"] == 1800
    assert [w for w in warned if "asked for 2h, the servers granted 1800s" in w]
    within = run(nomad_client_intro_token, dict(mtls_double.conn, ttl="10m"), capsys)
    assert within["ttl_capped"] is False and within["ttl_granted"] == 600


def test_intro_token_without_client_certificate_fails_clearly(mtls_double, capsys):
    conn = dict(mtls_double.conn)
    conn.pop("client_cert")
    conn.pop("client_key")
    result = run(nomad_client_intro_token, dict(conn, retries=0), capsys)
    assert result["failed"] and "/v1/acl/identity/client-introduction-token" in result["msg"]
