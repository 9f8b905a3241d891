"""NomadClient against the Nomad API double (a test double of Nomad's HTTP API, run in a thread)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api as api
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.testca import make as make_ca

SECRET = "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41"


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=3)).start()
    yield server
    server.stop()


@pytest.fixture()
def client(double):
    api.NomadClient(url=double.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    return api.NomadClient(url=double.url, token=SECRET, sleep=lambda s: None)


def test_get_decodes_json_and_index(client):
    resp = client.get("/v1/node/pools")
    assert [p["Name"] for p in resp.data][:2] == ["all", "default"]
    assert resp.index is not None and resp.index > 0


def test_token_goes_in_header_not_url(double, client):
    client.get("/v1/nodes")
    last = double.state.requests[-1]
    assert last["has_token"] and SECRET not in json.dumps(last["query"])


def test_403_without_token_is_permission_error(double):
    with pytest.raises(api.NomadPermissionError) as err:
        api.NomadClient(url=double.url).get("/v1/nodes")
    assert err.value.status == 403 and "Permission denied" in str(err.value)


def test_unknown_token_is_403_and_never_in_message(double):
    bad = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(api.NomadPermissionError) as err:
        api.NomadClient(url=double.url, token=bad).get("/v1/nodes")
    assert "ACL token not found" in str(err.value)
    assert bad not in str(err.value) and bad not in repr(err.value.__dict__)


def test_token_echoed_in_error_body_is_redacted(double, client):
    double.state.faults.append({"path": "/v1/nodes", "method": "GET", "status": 400,
                                "body": "bad request from token %s" % SECRET, "remaining": 1})
    with pytest.raises(api.NomadAPIError) as err:
        client.get("/v1/nodes")
    assert SECRET not in str(err.value) and "********" in str(err.value)


def test_404_is_not_found_and_get_or_none(client):
    with pytest.raises(api.NomadNotFoundError) as err:
        client.get("/v1/node/pool/nope")
    assert err.value.status == 404 and "node pool not found" in err.value.message
    assert client.get_or_none("/v1/node/pool/nope") is None


def test_500_retried_for_reads_with_backoff(double, client):
    sleeps = []
    client._sleep = sleeps.append
    double.state.faults.append({"path": "/v1/nodes", "method": "GET", "status": 500, "body": "boom", "remaining": 2})
    assert client.get("/v1/nodes").status == 200
    assert sleeps == [0.5, 1.0]


def test_500_gives_up_after_retries(double, client):
    client.retries = 1
    double.state.faults.append({"path": "/v1/nodes", "method": "GET", "status": 503, "body": "down", "remaining": 5})
    with pytest.raises(api.NomadAPIError) as err:
        client.get("/v1/nodes")
    assert err.value.status == 503 and "down" in str(err.value)


def test_500_not_retried_for_writes(double, client):
    double.state.faults.append({"path": "/v1/acl/token", "method": "PUT", "status": 500, "body": "x", "remaining": 1})
    with pytest.raises(api.NomadAPIError):
        client.put("/v1/acl/token", body={"Name": "t", "Type": "management"})
    assert len([r for r in double.state.requests if r["path"] == "/v1/acl/token"]) == 1


def test_4xx_not_retried(double, client):
    with pytest.raises(api.NomadAPIError):
        client.put("/v1/node/pool/default", body={"Name": "default"}, idempotent=True)
    assert len([r for r in double.state.requests if r["path"] == "/v1/node/pool/default"]) == 1


def test_conflict_carries_current_variable(client):
    client.put("/v1/var/app/conf", body={"Items": {"a": "1"}}, query={"cas": 0})
    with pytest.raises(api.NomadConflictError) as err:
        client.put("/v1/var/app/conf", body={"Items": {"a": "2"}}, query={"cas": 0})
    assert err.value.status == 409 and err.value.current["Items"] == {"a": "1"}


def test_connection_refused_is_connection_error_after_retries():
    sleeps = []
    client = api.NomadClient(url="http://127.0.0.1:9", retries=2, sleep=sleeps.append, timeout=2)
    with pytest.raises(api.NomadConnectionError) as err:
        client.get("/v1/status/leader")
    assert "cannot reach http://127.0.0.1:9" in str(err.value) and len(sleeps) == 2


def test_namespace_and_region_query(double, client):
    client.namespace, client.region = "edge", "eu"
    client.get("/v1/jobs")
    assert double.state.requests[-1]["query"] == {"namespace": "edge", "region": "eu"}
    client.get("/v1/nodes", namespaced=False)
    assert double.state.requests[-1]["query"] == {"region": "eu"}


def test_settings_from_env_fill_only_unset():
    env = {"NOMAD_ADDR": "https://n:4646", "NOMAD_TOKEN": "t", "NOMAD_NAMESPACE": "edge"}
    merged = api.settings_from_env({"url": None, "token": "given"}, env)
    assert merged["url"] == "https://n:4646" and merged["token"] == "given" and merged["namespace"] == "edge"


@pytest.mark.parametrize("kwargs, text", [
    ({"url": "ftp://x"}, "url must start"),
    ({"client_cert": "/etc/hostname"}, "client_cert and client_key"),
    ({"ca_cert": "/nonexistent/ca.pem"}, "ca_cert: file"),
    ({"retries": -1}, "retries"),
])
def test_bad_settings_fail_before_any_request(kwargs, text):
    with pytest.raises(api.NomadInputError) as err:
        api.NomadClient(**kwargs)
    assert text in str(err.value)


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    return make_ca(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture()
def tls_double(tls_dir):
    server = NomadAPIDouble(DoubleState(nodes=1), tls_cert=os.path.join(tls_dir, "server.pem"),
                            tls_key=os.path.join(tls_dir, "server-key.pem"),
                            tls_client_ca=os.path.join(tls_dir, "ca.pem")).start()
    yield server
    server.stop()


def test_mutual_tls(tls_double, tls_dir):
    client = api.NomadClient(url=tls_double.url, ca_cert=os.path.join(tls_dir, "ca.pem"),
                             client_cert=os.path.join(tls_dir, "client.pem"),
                             client_key=os.path.join(tls_dir, "client-key.pem"))
    assert client.get("/v1/status/leader").data == "10.0.0.1:4647"


def test_wrong_ca_is_tls_error_not_retried(tls_double, tls_dir):
    sleeps = []
    client = api.NomadClient(url=tls_double.url, ca_cert=os.path.join(tls_dir, "other-ca.pem"),
                             client_cert=os.path.join(tls_dir, "client.pem"),
                             client_key=os.path.join(tls_dir, "client-key.pem"), sleep=sleeps.append)
    with pytest.raises(api.NomadTLSError) as err:
        client.get("/v1/status/leader")
    assert "certificate" in str(err.value).lower() and sleeps == []


def test_missing_client_certificate_fails(tls_double, tls_dir):
    client = api.NomadClient(url=tls_double.url, ca_cert=os.path.join(tls_dir, "ca.pem"), retries=0)
    with pytest.raises(api.NomadConnectionError):
        client.get("/v1/status/leader")


@pytest.mark.skipif(not api._OPEN_TAKES_CONTEXT, reason="ansible-core 2.16's Request.open takes no SSL context: one per request")
def test_one_tls_context_per_client_over_many_requests(monkeypatch, tls_double, tls_dir):
    # ansible.module_utils.urls.Request.open builds a fresh SSLContext (and reloads the CA bundle)
    # whenever it is given none; per request that was 86 % of the inventory plugin's time with
    # details (benchmarks/inventory_nomad_nodes.py). The client must build it once and reuse it.
    from ansible.module_utils import urls
    built = []
    real = urls.make_context

    def counting(*args, **kwargs):
        built.append(kwargs.get("cafile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(urls, "make_context", counting)
    if hasattr(api, "make_context"):
        monkeypatch.setattr(api, "make_context", counting)
    client = api.NomadClient(url=tls_double.url, ca_cert=os.path.join(tls_dir, "ca.pem"),
                             client_cert=os.path.join(tls_dir, "client.pem"),
                             client_key=os.path.join(tls_dir, "client-key.pem"))
    for dummy in range(5):
        assert client.get("/v1/status/leader").data == "10.0.0.1:4647"
    assert built == [os.path.join(tls_dir, "ca.pem")]
