"""The Nomad API double plays the community edition (its default) and Nomad Enterprise (enterprise=True).

Community edition, read in Nomad 2.0.5's source: command/agent/http_ce.go registerEnterpriseHandlers maps the ten
Enterprise-only paths to entOnly (501 "Nomad Enterprise only endpoint", any method, before any ACL check);
command/agent/operator_endpoint_ce.go LicenseRequest answers GET with 204 (no ACL check) and PUT with 501;
nomad/node_pool_endpoint_ce.go validateLicense refuses a pool's SchedulerConfiguration.

Enterprise, whose server source is not public: what the Go api client (api/quota.go, api/sentinel.go,
api/operator.go LicenseReply) sends and reads, and Nomad's API documentation (quota:read/quota:write, Sentinel with a
management token and ACLs on)."""

import json
import urllib.error
import urllib.request

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

ENT_ONLY = "Nomad Enterprise only endpoint"
# command/agent/http_ce.go registerEnterpriseHandlers: the exact patterns ("/v1/quota/" and the others ending in
# "/" are prefixes in Go's ServeMux)
ENTERPRISE_PATHS = ["/v1/sentinel/policies", "/v1/sentinel/policy/x", "/v1/quotas", "/v1/quota-usages",
                    "/v1/quota/x", "/v1/quota", "/v1/recommendation", "/v1/recommendations",
                    "/v1/recommendations/apply", "/v1/recommendation/x"]


def call(double, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if token:
        req.add_header("X-Nomad-Token", token)
    try:
        with urllib.request.urlopen(req) as resp:
            text = resp.read().decode()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def start(enterprise, acl=True):
    server = NomadAPIDouble(DoubleState(acl=acl, nodes=1, enterprise=enterprise)).start()
    token = call(server, "POST", "/v1/acl/bootstrap")[1]["SecretID"] if acl else None
    return server, token


@pytest.fixture()
def community():
    server, token = start(False)
    yield server, token
    server.stop()


@pytest.fixture()
def enterprise():
    server, token = start(True)
    yield server, token
    server.stop()


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("path", ENTERPRISE_PATHS)
def test_community_edition_answers_501_on_every_enterprise_path_without_looking_at_the_token(
        community, path, method):
    server, dummy = community
    assert call(server, method, path, {} if method in ("PUT", "POST") else None) == (501, ENT_ONLY)
    assert call(server, method, path, {} if method in ("PUT", "POST") else None, token="not-a-token") == (501, ENT_ONLY)


def test_license_of_each_edition(community, enterprise):
    ce, dummy = community
    ent, token = enterprise
    assert call(ce, "GET", "/v1/operator/license") == (204, None)
    assert call(ce, "PUT", "/v1/operator/license", {}) == (501, ENT_ONLY)
    assert call(ent, "GET", "/v1/operator/license") == (403, "Permission denied")
    status, lic = call(ent, "GET", "/v1/operator/license", token=token)
    assert status == 200 and set(lic) == {"License", "ConfigOutdated"} and lic["License"]["Product"] == "nomad"


def test_node_pool_governance_is_licensed_only_on_enterprise(community, enterprise):
    body = {"Name": "gov", "SchedulerConfiguration": {"SchedulerAlgorithm": "spread"}}
    ce, ce_token = community
    assert call(ce, "PUT", "/v1/node/pool/gov", body, ce_token) == (500, 'Feature "Node Pools Governance" is unlicensed')
    ent, token = enterprise
    assert call(ent, "PUT", "/v1/node/pool/gov", body, token)[0] == 200
    assert call(ent, "GET", "/v1/node/pool/gov", token=token)[1]["SchedulerConfiguration"]["SchedulerAlgorithm"] == \
        "spread"


def test_quota_round_trip_on_enterprise(enterprise):
    """api/quota.go Quotas.Register PUTs /v1/quota; reads answer unset numbers as 0 and carry Hash (the docs)."""
    server, token = enterprise
    spec = {"Name": "q", "Limits": [{"Region": "global", "RegionLimit": {"CPU": 100}}]}
    assert call(server, "PUT", "/v1/quota", spec, token) == (200, None)
    status, got = call(server, "GET", "/v1/quota/q", token=token)
    assert status == 200 and got["Hash"] and got["Limits"][0]["Hash"]
    assert got["Limits"][0]["RegionLimit"]["CPU"] == 100 and got["Limits"][0]["RegionLimit"]["MemoryMB"] == 0
    assert [q["Name"] for q in call(server, "GET", "/v1/quotas?prefix=q", token=token)[1]] == ["q"]
    assert call(server, "DELETE", "/v1/quota/q", token=token)[0] == 200
    assert call(server, "GET", "/v1/quota/q", token=token)[0] == 404
    assert call(server, "GET", "/v1/quota/q") == (403, "Permission denied")


def test_quota_rights_on_enterprise(enterprise):
    """acl/acl.go AllowQuotaRead (read or write) / AllowQuotaWrite (write)."""
    server, token = enterprise
    call(server, "PUT", "/v1/acl/policy/qr", {"Name": "qr", "Rules": 'quota { policy = "read" }'}, token)
    reader = call(server, "PUT", "/v1/acl/token", {"Name": "r", "Type": "client", "Policies": ["qr"]}, token)[1]
    assert call(server, "GET", "/v1/quotas", token=reader["SecretID"]) == (200, [])
    assert call(server, "PUT", "/v1/quota", {"Name": "q"}, reader["SecretID"]) == (403, "Permission denied")


def test_sentinel_on_enterprise_needs_management_and_acls(enterprise):
    server, token = enterprise
    policy = {"Name": "p", "Scope": "submit-job", "EnforcementLevel": "advisory", "Policy": "main = rule { true }"}
    assert call(server, "PUT", "/v1/sentinel/policy/p", policy, token) == (200, None)
    got = call(server, "GET", "/v1/sentinel/policy/p", token=token)[1]
    assert got["Policy"] == "main = rule { true }" and got["Hash"]
    assert "Policy" not in call(server, "GET", "/v1/sentinel/policies", token=token)[1][0]
    call(server, "PUT", "/v1/acl/policy/ops", {"Name": "ops", "Rules": 'operator { policy = "write" }'}, token)
    ops = call(server, "PUT", "/v1/acl/token", {"Name": "o", "Type": "client", "Policies": ["ops"]}, token)[1]
    assert call(server, "GET", "/v1/sentinel/policy/p", token=ops["SecretID"]) == (403, "Permission denied")
    bad = call(server, "PUT", "/v1/sentinel/policy/p", dict(policy, Scope="submit-everything"), token)
    assert bad[0] == 500 and "Scope must be one of" in bad[1]
    off, dummy = start(True, acl=False)
    try:
        assert call(off, "GET", "/v1/sentinel/policies") == (400, "ACL support disabled")
    finally:
        off.stop()


def test_the_edition_can_be_switched_for_a_running_double(community):
    """/_double/edition (test-only): one double plays either edition, for targets that check both."""
    server, token = community
    assert call(server, "GET", "/v1/quotas", token=token) == (501, ENT_ONLY)
    call(server, "POST", "/_double/edition", {"enterprise": True})
    assert call(server, "GET", "/v1/quotas", token=token) == (200, [])
    assert call(server, "GET", "/v1/operator/license", token=token)[0] == 200
