"""The one Enterprise check of the collection (plugins/module_utils/_nomad_edition.py) against the Nomad API double
playing the community edition and Nomad Enterprise: command/agent/http_ce.go registerEnterpriseHandlers (501
"Nomad Enterprise only endpoint" on every Enterprise-only path, any method, before any ACL check) and
command/agent/operator_endpoint_ce.go LicenseRequest (204, no ACL check)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api as api
from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_edition as edition
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

SECRET = "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41"


def double(enterprise):
    server = NomadAPIDouble(DoubleState(acl=True, nodes=1, enterprise=enterprise)).start()
    api.NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    return server


@pytest.fixture(params=[False, True], ids=["community", "enterprise"])
def server(request):
    srv = double(request.param)
    yield srv, request.param
    srv.stop()


def token_with(server, rules):
    client = api.NomadClient(url=server.url, token=SECRET)
    client.put("/v1/acl/policy/p", body={"Name": "p", "Rules": rules})
    return client.put("/v1/acl/token", body={"Name": "t", "Type": "client", "Policies": ["p"]}).data["SecretID"]


def test_management_token_tells_the_editions_apart(server):
    srv, enterprise = server
    assert edition.is_enterprise(api.NomadClient(url=srv.url, token=SECRET)) is enterprise


def test_a_token_without_operator_read_still_tells_them_apart(server):
    """Enterprise refuses the license to such a token (403); the CE 501 of /v1/quotas answers whatever the token."""
    srv, enterprise = server
    token = token_with(srv, 'node { policy = "read" }')
    client = api.NomadClient(url=srv.url, token=token)
    assert edition.is_enterprise(client) is enterprise
    asked = [r["path"] for r in srv.state.requests if r["path"] in (edition.LICENSE_PATH, edition.PROBE_PATH)]
    assert asked == ([edition.LICENSE_PATH, edition.PROBE_PATH] if enterprise else [edition.LICENSE_PATH])


def test_the_probe_decides_whenever_the_license_is_refused(server):
    """Whatever refuses the license question (403: a token without operator:read on Enterprise, or anything in front
    of a community-edition agent), /v1/quotas decides: 501 Nomad Enterprise only endpoint is the community edition."""
    srv, enterprise = server
    srv.state.faults.append({"path": edition.LICENSE_PATH, "method": "GET", "status": 403, "body": "Permission denied",
                             "remaining": 1})
    assert edition.is_enterprise(api.NomadClient(url=srv.url, token=SECRET)) is enterprise


def test_501_enterprise_only_is_its_own_error_type():
    srv = double(False)
    try:
        with pytest.raises(api.NomadEnterpriseOnlyError) as err:
            api.NomadClient(url=srv.url, retries=0).get("/v1/sentinel/policies")  # no token: CE does not look
        assert err.value.status == 501
        with pytest.raises(api.NomadStateError) as wrapped:
            with edition.enterprise_only("quota"):
                api.NomadClient(url=srv.url).put("/v1/quota", body={"Name": "q"})
        assert str(wrapped.value) == ("quota: needs Nomad Enterprise; this cluster is the community edition "
                                      "(PUT /v1/quota answered 501 Nomad Enterprise only endpoint)")
        assert [r["path"] for r in srv.state.requests].count("/v1/sentinel/policies") == 1  # 501 is never retried
    finally:
        srv.stop()


@pytest.mark.parametrize("enterprise_option, asks", [(True, False), (False, False), (None, True)])
def test_require_enterprise_trusts_the_option(server, enterprise_option, asks):
    srv, enterprise = server
    client = api.NomadClient(url=srv.url, token=SECRET)
    mark = len(srv.state.requests)
    expect_ok = enterprise_option is True or (enterprise_option is None and enterprise)
    if expect_ok:
        edition.require_enterprise(client, "scheduler_algorithm", enterprise_option)
    else:
        with pytest.raises(api.NomadStateError) as err:
            edition.require_enterprise(client, "scheduler_algorithm", enterprise_option, feature="Node Pools Governance")
        assert str(err.value).startswith("scheduler_algorithm: needs Nomad Enterprise (Node Pools Governance); ")
    assert bool(srv.state.requests[mark:]) is asks
