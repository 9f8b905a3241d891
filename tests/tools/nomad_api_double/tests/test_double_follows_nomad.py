"""The Nomad API double refuses what Nomad 2.0.5 refuses, with Nomad's status codes and texts.

Table-driven: each case names the Nomad source (tag v2.0.5) its expectation comes from. These test
the double itself (a test double, never shipped), not the collection's modules.
"""

import base64
import json
import urllib.error
import urllib.request

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

NS = 10 ** 9


def call(double, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def one(text):
    """go-multierror's text for one error."""
    return "1 error occurred:\n\t* %s\n\n" % text


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=5)).start()
    yield server
    server.stop()


@pytest.fixture()
def token(double):
    status, body = call(double, "POST", "/v1/acl/bootstrap")
    assert status == 200
    return json.loads(body)["SecretID"]


def job(disconnect=None, jtype="service", count=1, **group):
    grp = dict({"Name": "g", "Count": count, "Tasks": [{"Name": "t", "Driver": "exec"}]}, **group)
    if disconnect is not None:
        grp["Disconnect"] = disconnect
    return {"ID": "web", "Type": jtype, "TaskGroups": [grp]}


def group_error(*errors):
    """Job.Validate wraps a task group's multierror: "Task group g validation failed: <multierror>"."""
    inner = one(errors[0]) if len(errors) == 1 else "%d errors occurred:\n\t%s\n\n" % (
        len(errors), "\n\t".join("* " + e for e in errors))
    return one("Task group g validation failed: " + inner)


# (id, method, path, body, status, exact text) -- refusals with a management token
REFUSALS = [
    # nomad/structs/group.go DisconnectStrategy.Validate, via nomad/job_endpoint.go admissionControllers (500)
    ("disconnect-lost-and-stop", "POST", "/v1/jobs",
     {"Job": job({"LostAfter": 3600 * NS, "StopOnClientAfter": 60 * NS})}, 500,
     group_error("Disconnect cannot be configured with both lost_after and stop_after")),
    ("disconnect-lost-and-stop-plan", "POST", "/v1/job/web/plan",
     {"Job": job({"LostAfter": 3600 * NS, "StopOnClientAfter": 60 * NS}), "Diff": True}, 500,
     group_error("Disconnect cannot be configured with both lost_after and stop_after")),
    ("disconnect-negative-lost-after", "POST", "/v1/jobs", {"Job": job({"LostAfter": -1})}, 500,
     group_error("lost_after cannot be a negative duration")),
    ("disconnect-stop-on-system-job", "POST", "/v1/jobs", {"Job": job({"StopOnClientAfter": NS}, jtype="system")},
     500, group_error("stop_after can only be used with service or batch job types")),
    ("disconnect-bad-reconcile", "POST", "/v1/jobs", {"Job": job({"Reconcile": "newest"})}, 500,
     group_error("reconcile option is invalid: newest")),
    # nomad/structs/structs.go Job.Validate / TaskGroup.Validate / Task.Validate
    ("system-count-above-one", "POST", "/v1/jobs", {"Job": job(jtype="system", count=2)}, 500,
     one("Job task group g has count 2. Count cannot exceed 1 with system scheduler")),
    ("task-without-driver", "POST", "/v1/jobs",
     {"Job": {"ID": "web", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t"}]}]}}, 500,
     group_error("Task t validation failed: " + one("Missing task driver"))),
    ("group-without-tasks", "POST", "/v1/jobs", {"Job": {"ID": "web", "TaskGroups": [{"Name": "g"}]}}, 500,
     group_error("Missing tasks for task group")),
    ("job-id-with-space", "POST", "/v1/jobs", {"Job": dict(job(), ID="a b")}, 500, one("Job ID contains a space")),
    ("update-block-on-batch", "POST", "/v1/jobs", {"Job": job(jtype="batch", Update={"MaxParallel": 1})}, 500,
     group_error('Job type "batch" does not allow update block')),
    # command/agent/job_endpoint.go jobUpdate
    ("system-job-scaling", "POST", "/v1/jobs", {"Job": job(jtype="system", Scaling={"Max": 2})}, 400,
     "Task groups with job type system do not support scaling blocks"),
    # nomad/node_pool_endpoint_ce.go validateLicense: uncoded -> 500, before validation
    ("pool-scheduler-config-ce", "PUT", "/v1/node/pool/edge",
     {"Name": "edge", "SchedulerConfiguration": {"SchedulerAlgorithm": "spread"}}, 500,
     'Feature "Node Pools Governance" is unlicensed'),
    ("pool-memory-oversubscription-ce", "PUT", "/v1/node/pool/edge",
     {"Name": "edge", "SchedulerConfiguration": {"MemoryOversubscriptionEnabled": True}}, 500,
     'Feature "Node Pools Governance" is unlicensed'),
    # nomad/structs/node_pool.go NodePool.Validate, wrapped by UpsertNodePools
    ("pool-description-too-long", "PUT", "/v1/node/pool/edge", {"Name": "edge", "Description": "x" * 257}, 400,
     'invalid node pool "edge": ' + one("description longer than 256")),
    # nomad/structs/acl.go ACLToken.Validate, wrapped by nomad/acl_endpoint.go upsertTokens
    ("token-client-without-policies", "PUT", "/v1/acl/token", {"Name": "c", "Type": "client"}, 400,
     "token 0 invalid: " + one("client token missing policies or roles")),
    ("token-bad-type", "PUT", "/v1/acl/token", {"Name": "c", "Type": "admin"}, 400,
     "token 0 invalid: " + one("token type must be client or management")),
    ("token-ttl-below-min", "PUT", "/v1/acl/token", {"Type": "management", "ExpirationTTL": "30s"}, 400,
     "token 0 invalid: " + one("expiration time cannot be less than 1m0s in the future (was 30s)")),
    ("token-ttl-above-max", "PUT", "/v1/acl/token", {"Type": "management", "ExpirationTTL": "48h"}, 400,
     "token 0 invalid: " + one("expiration time cannot be more than 24h0m0s in the future (was 48h0m0s)")),
    ("token-update-unknown-accessor", "PUT", "/v1/acl/token/nope", {"AccessorID": "nope", "Type": "management"},
     400, "cannot find token nope"),
    ("token-unknown-role", "PUT", "/v1/acl/token", {"Type": "client", "Roles": [{"Name": "ghost"}]}, 400,
     "cannot find role ghost"),
    ("token-delete-unknown", "DELETE", "/v1/acl/token/00000000-0000-4000-8000-000000000009", None, 400,
     "Cannot delete nonexistent tokens: 00000000-0000-4000-8000-000000000009"),
    # nomad/structs/acl.go ACLPolicy.Validate -> acl/policy.go Parse(strict)
    ("policy-unknown-key", "PUT", "/v1/acl/policy/p",
     {"Name": "p", "Rules": 'node {\n  policy = "read"\n}\nfoo = "bar"\n'}, 400,
     "policy 0 invalid: " + one("failed to parse rules: Invalid or duplicate policy keys: foo")),
    ("policy-bad-pool-capability", "PUT", "/v1/acl/policy/p",
     {"Name": "p", "Rules": 'node_pool "edge" {\n  capabilities = ["drain"]\n}\n'}, 400,
     "policy 0 invalid: " + one("failed to parse rules: Invalid node pool capability 'drain' for 'edge'")),
    ("policy-bad-operator-capability", "PUT", "/v1/acl/policy/p",
     {"Name": "p", "Rules": 'operator {\n  capabilities = ["raft-write"]\n}\n'}, 400,
     "policy 0 invalid: " + one("failed to parse rules: Invalid operator capability 'raft-write'")),
    ("policy-empty-rules-block", "PUT", "/v1/acl/policy/p", {"Name": "p", "Rules": 'foo = "bar"\n'}, 400,
     "policy 0 invalid: " + one('failed to parse rules: Invalid policy: foo = "bar"\n')),
    ("policy-name-and-description", "PUT", "/v1/acl/policy/a.b",
     {"Name": "a.b", "Description": "d" * 257, "Rules": 'node {\n  policy = "read"\n}\n'}, 400,
     "policy 0 invalid: 2 errors occurred:\n\t* invalid name 'a.b'\n\t* description longer than 256\n\n"),
    ("policy-delete-unknown", "DELETE", "/v1/acl/policy/ghost", None, 500, "deleting acl policy failed: not found"),
    # nomad/structs/variables.go ValidatePath (400 from nomad/variables_endpoint.go Apply)
    ("var-job-templates-root", "PUT", "/v1/var/nomad/job-templates", {"Items": {"k": "v"}}, 400,
     '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, '
     'for example, "nomad/job-templates/template-name"'),
    ("var-job-templates-deep", "PUT", "/v1/var/nomad/job-templates/a/b", {"Items": {"k": "v"}}, 400,
     '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, '
     'for example, "nomad/job-templates/template-name"'),
    ("var-nomad-root", "PUT", "/v1/var/nomad", {"Items": {"k": "v"}}, 400,
     '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", '
     '"nomad/job-templates", "nomad/sentinel", or below'),
    # command/agent/eval_endpoint.go evalQuery
    ("eval-unknown", "GET", "/v1/evaluation/00000000-0000-4000-8000-000000000001", None, 404, "eval not found"),
    # nomad/structs/acl.go ACLRole.Validate / nomad/acl_endpoint.go UpsertRoles
    ("role-without-policies", "POST", "/v1/acl/role", {"Name": "r"}, 400,
     "role 0 invalid: " + one("at least one policy should be specified")),
    ("role-unknown-policy", "POST", "/v1/acl/role", {"Name": "r", "Policies": [{"Name": "ghost"}]}, 400,
     "cannot find policy ghost"),
    ("role-by-name-unknown", "GET", "/v1/acl/role/name/ghost", None, 404, "ACL role not found"),
    # nomad/structs/acl.go ACLAuthMethod.Validate / ACLBindingRule.Validate
    ("auth-method-jwt-without-keys", "POST", "/v1/acl/auth-method",
     {"Name": "jwt", "Type": "JWT", "TokenLocality": "local", "MaxTokenTTL": "1h", "Config": {}}, 400,
     "auth method 0 invalid: " + one("invalid config: JWT auth method requires either OIDCDiscoveryURL, or JWKS URL, "
                                     "or JWTValidationPubKeys set")),
    ("auth-method-bad-locality-and-ttl", "POST", "/v1/acl/auth-method",
     {"Name": "jwt", "Type": "JWT", "TokenLocality": "site", "Config": {"JWKSURL": "https://x"}}, 400,
     "auth method 0 invalid: 2 errors occurred:\n\t* invalid token locality 'site'\n\t* invalid MaxTokenTTL value "
     "'0s' (should be between 1m0s and 24h0m0s)\n\n"),
    ("binding-rule-unknown-method", "POST", "/v1/acl/binding-rule",
     {"AuthMethod": "ghost", "BindType": "policy", "BindName": "p"}, 400, "ACL auth method ghost not found"),
    ("binding-rule-bad-type", "POST", "/v1/acl/binding-rule", {"AuthMethod": "m", "BindType": "group"}, 400,
     "binding rule 0 invalid: " + one('unsupported bind type: "group"')),
]


@pytest.mark.parametrize("method, path, body, status, text", [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_refused_like_nomad(double, token, method, path, body, status, text):
    assert call(double, method, path, body, token) == (status, text)


def test_acl_writes_refused_when_acls_are_off():
    """nomad/acl_endpoint.go: every ACL write starts with `if !ACLEnabled { return aclDisabled }` (400)."""
    plain = NomadAPIDouble(DoubleState(acl=False)).start()
    try:
        for method, path, body in (("PUT", "/v1/acl/policy/p", {"Name": "p", "Rules": 'node {\n policy = "read"\n}'}),
                                   ("PUT", "/v1/acl/token", {"Type": "management"}),
                                   ("POST", "/v1/acl/role", {"Name": "r", "Policies": [{"Name": "p"}]})):
            assert call(plain, method, path, body) == (400, "ACL support disabled")
    finally:
        plain.stop()


def test_token_update_refuses_global_and_ttl_changes(double, token):
    """nomad/structs/acl.go ACLToken.Validate with an existing token: Global and the TTL are immutable."""
    status, body = call(double, "PUT", "/v1/acl/token", {"Name": "t", "Type": "management", "ExpirationTTL": "1h"},
                        token)
    created = json.loads(body)
    assert status == 200 and created["ExpirationTTL"] == "1h0m0s"  # structs.ACLToken.MarshalJSON
    base = {"AccessorID": created["AccessorID"], "Name": "t", "Type": "management", "ExpirationTTL": "1h"}
    path = "/v1/acl/token/" + created["AccessorID"]
    assert call(double, "PUT", path, dict(base, Global=True), token) == \
        (400, "token 0 invalid: " + one("cannot toggle global mode"))
    assert call(double, "PUT", path, dict(base, ExpirationTTL="2h"), token) == \
        (400, "token 0 invalid: " + one("cannot update expiration TTL"))
    assert call(double, "PUT", path, dict(base, ExpirationTTL=None, Global=True), token) == \
        (400, "token 0 invalid: 2 errors occurred:\n\t* cannot toggle global mode\n\t* cannot update expiration TTL\n\n")
    expires = created["ExpirationTime"]  # time.Equal: the same instant written otherwise is no change
    same = expires.replace("Z", ".000000000+00:00")
    assert call(double, "PUT", path, dict(base, ExpirationTime=same), token)[0] == 200
    assert call(double, "PUT", path, dict(base, ExpirationTime="2099-01-01T00:00:00Z"), token) == \
        (400, "token 0 invalid: " + one("cannot update expiration time"))
    status, body = call(double, "PUT", path, dict(base, Name="renamed"), token)
    assert status == 200 and json.loads(body)["Name"] == "renamed"
    assert json.loads(body)["SecretID"] == created["SecretID"]


def test_deployment_appears_only_after_the_evaluation_completes(double, token):
    """nomad/job_endpoint.go doRegister creates a pending eval and (CE) no deployment; the scheduler
    creates the deployment when it processes the eval."""
    status, body = call(double, "POST", "/v1/jobs", {"Job": job()}, token)
    assert status == 200
    eval_id = json.loads(body)["EvalID"]
    assert call(double, "GET", "/v1/job/web/deployment", token=token) == (200, "null")
    status, body = call(double, "GET", "/v1/evaluation/" + eval_id, token=token)
    evaluation = json.loads(body)
    assert status == 200 and evaluation["Status"] == "complete" and evaluation["JobID"] == "web"
    assert evaluation["TriggeredBy"] == "job-register" and evaluation["DeploymentID"]
    status, body = call(double, "GET", "/v1/job/web/deployment", token=token)
    deployment = json.loads(body)
    assert deployment["ID"] == evaluation["DeploymentID"] and deployment["JobVersion"] == 0


def test_evaluation_moves_from_pending_to_complete(double, token):
    double.state.eval_polls = 2
    eval_id = json.loads(call(double, "POST", "/v1/jobs", {"Job": job()}, token)[1])["EvalID"]
    statuses = [json.loads(call(double, "GET", "/v1/evaluation/" + eval_id, token=token)[1])["Status"]
                for dummy in range(3)]
    assert statuses == ["pending", "pending", "complete"]


def test_unchanged_job_gets_an_eval_but_no_new_deployment(double, token):
    double.state.eval_polls = 0  # the scheduler is quick here: the first read sees the eval complete
    first = json.loads(call(double, "POST", "/v1/jobs", {"Job": job()}, token)[1])
    call(double, "GET", "/v1/evaluation/" + first["EvalID"], token=token)
    again = json.loads(call(double, "POST", "/v1/jobs", {"Job": job()}, token)[1])
    assert again["EvalID"] and again["EvalID"] != first["EvalID"]
    evaluation = json.loads(call(double, "GET", "/v1/evaluation/" + again["EvalID"], token=token)[1])
    assert evaluation["Status"] == "complete" and evaluation["DeploymentID"] == ""


@pytest.mark.parametrize("query, body_ns, job_ns, expected", [
    ("", "", "", "default"),
    ("", "", "prod", "prod"),
    ("", "prod", "other", "prod"),
    ("?namespace=prod", "other", "other", "prod"),
], ids=["default", "job-namespace", "body-beats-job", "query-beats-all"])
def test_job_namespace_precedence(double, token, query, body_ns, job_ns, expected):
    """command/agent/job_endpoint.go namespaceForJob: query, then request body, then job.Namespace."""
    for name in ("prod", "other"):
        assert call(double, "PUT", "/v1/namespace/" + name, {"Name": name}, token)[0] == 200
    body = {"Job": dict(job(), Namespace=job_ns)}
    if body_ns:
        body["Namespace"] = body_ns
    assert call(double, "POST", "/v1/jobs" + query, body, token)[0] == 200
    found = [ns for ns in ("default", "prod", "other")
             if call(double, "GET", "/v1/job/web?namespace=" + ns, token=token)[0] == 200]
    assert found == [expected]


def test_deprecated_group_keys_are_dropped(double, token):
    """command/agent/job_endpoint.go ApiTgToStructsTG does not copy them since 1.10.0 (GH-25284)."""
    grp = {"MaxClientDisconnect": 3600 * NS, "StopAfterClientDisconnect": 60 * NS, "PreventRescheduleOnLost": True}
    assert call(double, "POST", "/v1/jobs", {"Job": job(**grp)}, token)[0] == 200
    stored = json.loads(call(double, "GET", "/v1/job/web", token=token)[1])["TaskGroups"][0]
    assert (stored["MaxClientDisconnect"], stored["StopAfterClientDisconnect"], stored["PreventRescheduleOnLost"]) \
        == (None, None, False)


VARIABLE_JOB = """
variable "gateway_sha256" {
  type = string
}
variable "gateway_url" {
  type    = string
  default = "https://artifacts.example.test/gw.tar.gz"
}
job "gw" {
  group "g" {
    task "t" {
      driver = "exec"
      config { command = "local/gw" }
      artifact {
        source = var.gateway_url
        options { checksum = "sha256:${var.gateway_sha256}" }
      }
    }
  }
}
"""
UNSET = ('Unset variable "%s"; A used variable must be set or have a default value; see '
         'https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables  for details.')


def test_job_parse_needs_every_declared_variable(double, token):
    """command/agent/job_endpoint.go JobsParseRequest -> jobspec2.ParseWithConfig(VarContent: Variables): every
    declared variable needs a value (jobspec2/types.config.go calls Variables.Values, which asks each one), else
    400 "Failed to parse job: ... Unset variable" (jobspec2/types.variables.go Variable.Value); a value for a variable
    the job does not declare is "Undefined variable"; the values replace the var.NAME references."""
    status, body = call(double, "POST", "/v1/jobs/parse", {"JobHCL": VARIABLE_JOB}, token)
    assert (status, body) == (400, "Failed to parse job: input.hcl: " + UNSET % "gateway_sha256")
    status, body = call(double, "POST", "/v1/jobs/parse",
                        {"JobHCL": VARIABLE_JOB, "Variables": 'gateway_sha256 = "%s"\nother = "x"\n' % ("ab" * 32)}, token)
    assert status == 400 and body.startswith('Failed to parse job: input.hcl: Undefined variable; A "other" variable was set')
    status, body = call(double, "POST", "/v1/jobs/parse",
                        {"JobHCL": VARIABLE_JOB, "Variables": 'gateway_sha256 = "%s"\n' % ("ab" * 32)}, token)
    assert status == 200, body
    artifact = json.loads(body)["TaskGroups"][0]["Tasks"][0]["Artifacts"][0]
    assert artifact["GetterSource"] == "https://artifacts.example.test/gw.tar.gz", artifact
    assert artifact["GetterOptions"]["checksum"] == "sha256:" + "ab" * 32, artifact


def test_variable_delete_is_204(double, token):
    """command/agent/variable_endpoint.go variableDelete: resp.WriteHeader(http.StatusNoContent)."""
    assert call(double, "PUT", "/v1/var/app/x", {"Items": {"k": "v"}}, token)[0] == 200
    assert call(double, "DELETE", "/v1/var/app/x", token=token) == (204, "")
    assert call(double, "PUT", "/v1/var/nomad/job-templates/web", {"Items": {"k": "v"}}, token)[0] == 200


def test_node_pool_ttl_encoded_as_nanoseconds(double, token):
    """structs.NodePool has UnmarshalJSON but no MarshalJSON: go-msgpack's JSON codec only uses a
    type's MarshalJSON when it has both, so NodeIdentityTTL leaves the server as integer nanoseconds."""
    assert json.loads(call(double, "GET", "/v1/node/pool/default", token=token)[1])["NodeIdentityTTL"] == 86400 * NS
    assert call(double, "PUT", "/v1/node/pool/edge", {"Name": "edge", "NodeIdentityTTL": "720h"}, token)[0] == 200
    assert json.loads(call(double, "GET", "/v1/node/pool/edge", token=token)[1])["NodeIdentityTTL"] == 720 * 3600 * NS


@pytest.mark.parametrize("query, status, body", [
    ("", 200, {"server": {"ok": True, "message": "ok"}}),
    ("?type=server", 200, {"server": {"ok": True, "message": "ok"}}),
    ("?type=client", 500, {"client": {"ok": False, "message": "client not enabled"}}),
    ("?type=client&type=server", 500, {
        "client": {"ok": False, "message": "client not enabled"}, "server": {"ok": True, "message": "ok"}}),
])
def test_agent_health_type(double, query, status, body):
    """command/agent/agent_endpoint.go HealthRequest on a server agent (client off)."""
    got_status, text = call(double, "GET", "/v1/agent/health" + query)
    assert (got_status, json.loads(text)) == (status, body)


def test_agent_health_without_leader(double):
    double.state.has_leader = False
    assert call(double, "GET", "/v1/agent/health?type=server") == (500, '{"server":{"ok":false,"message":"no leader"}}')


def test_client_introduction_token_ttl_capped(double, token):
    """nomad/acl_endpoint.go CreateClientIntroductionToken: node:write; TTL above the server maximum
    (client_introduction max_identity_ttl, 30m default) is capped, 0 takes the default (5m)."""
    assert call(double, "POST", "/v1/acl/identity/client-introduction-token", {"TTL": "1h"})[0] == 403
    for ttl, seconds in (("2h", 1800), ("10m", 600), (0, 300)):
        status, body = call(double, "POST", "/v1/acl/identity/client-introduction-token",
                            {"TTL": ttl, "NodePool": "edge-arm"}, token)
        assert status == 200
        payload = json.loads(base64.urlsafe_b64decode(json.loads(body)["JWT"].split(".")[1] + "=="))
        assert payload["exp"] - payload["iat"] == seconds and payload["nomad_node_pool"] == "edge-arm"


def test_roles_auth_methods_binding_rules(double, token):
    call(double, "PUT", "/v1/acl/policy/reader", {"Name": "reader", "Rules": 'node {\n  policy = "read"\n}\n'}, token)
    status, body = call(double, "POST", "/v1/acl/role", {"Name": "ops", "Policies": [{"Name": "reader"}]}, token)
    role = json.loads(body)
    assert status == 200 and role["ID"]
    assert call(double, "POST", "/v1/acl/role", {"Name": "ops", "Policies": [{"Name": "reader"}]}, token) == \
        (400, "role with name ops already exists")
    assert json.loads(call(double, "GET", "/v1/acl/role/name/ops", token=token)[1])["ID"] == role["ID"]
    status, body = call(double, "PUT", "/v1/acl/token", {"Type": "client", "Roles": [{"Name": "ops"}]}, token)
    client = json.loads(body)
    assert status == 200 and client["Roles"] == [{"ID": role["ID"], "Name": ""}]
    assert call(double, "GET", "/v1/nodes", token=client["SecretID"])[0] == 200  # the role's policy applies
    method = {"Name": "jwt", "Type": "JWT", "TokenLocality": "local", "MaxTokenTTL": "1h",
              "Config": {"JWKSURL": "https://issuer/.well-known/jwks.json"}}
    status, body = call(double, "POST", "/v1/acl/auth-method", method, token)
    assert status == 200 and json.loads(body)["MaxTokenTTL"] == "1h0m0s"
    assert json.loads(body)["TokenNameFormat"] == "${auth_method_type}-${auth_method_name}"
    status, body = call(double, "POST", "/v1/acl/binding-rule",
                        {"AuthMethod": "jwt", "BindType": "role", "BindName": "ops"}, token)
    rule = json.loads(body)
    assert status == 200 and rule["ID"]
    assert call(double, "PUT", "/v1/acl/binding-rule/" + rule["ID"], dict(rule, AuthMethod="other"), token) == \
        (400, "cannot update auth method for binding rule, create a new rule instead")
    assert [r["ID"] for r in json.loads(call(double, "GET", "/v1/acl/binding-rules", token=token)[1])] == [rule["ID"]]
    assert call(double, "DELETE", "/v1/acl/binding-rule/" + rule["ID"], token=token)[0] == 200


def test_license_endpoint_of_the_community_edition(double):
    """command/agent/operator_endpoint_ce.go LicenseRequest: GET 204 without a body (no ACL check), PUT 501."""
    assert call(double, "GET", "/v1/operator/license") == (204, "")
    assert call(double, "PUT", "/v1/operator/license", {}) == (501, "Nomad Enterprise only endpoint")


def test_api_client_nulls_take_the_defaults(double, token):
    """api.Job's nil pointers arrive as JSON null; api.Job.Canonicalize fills them (Type service, ...)."""
    task = {"Name": "t", "Driver": "exec", "Resources": None}
    body = {"Job": {"ID": "web", "Type": None, "Region": None, "Namespace": None, "Datacenters": None,
                    "TaskGroups": [{"Name": "g", "Count": None, "Tasks": [task]}]}}
    assert call(double, "POST", "/v1/jobs", body, token)[0] == 200
    stored = json.loads(call(double, "GET", "/v1/job/web", token=token)[1])
    assert (stored["Type"], stored["TaskGroups"][0]["Count"]) == ("service", 1)


def test_windows_nodes_report_the_platform_name(double, token):
    """client/fingerprint/host.go: os.name is gopsutil's Platform, the Windows product name."""
    nodes = json.loads(call(double, "GET", "/v1/nodes?os=true", token=token)[1])
    names = sorted(set(n["Attributes"]["os.name"] for n in nodes))
    assert names == ["Microsoft Windows Server 2022 Datacenter", "ubuntu"]
