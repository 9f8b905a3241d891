"""module_utils shared by every Nomad plugin: retry policy, errors naming the endpoint, pagination,
polling, the GET -> compare -> write step, and the one NOMAD_* mapping (issues 13 s.2 and 14 s.3)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import threading

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api as api
from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_module as mod
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

SECRET = "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41"


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=3)).start()
    api.NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    yield server
    server.stop()


@pytest.fixture()
def client(double):
    return api.NomadClient(url=double.url, token=SECRET, sleep=lambda s: None)


def calls(double, method, path):
    return [r for r in double.state.requests if r["method"] == method and r["path"] == path]


# -- retry policy: GET and check-and-set writes are retried, other writes are not --------------------
def test_500_on_a_check_and_set_put_is_retried(double, client):
    double.state.faults.append({"path": "/v1/var/app/conf", "method": "PUT", "status": 500, "body": "boom",
                                "remaining": 1})
    client.put("/v1/var/app/conf", body={"Items": {"a": "1"}}, query={"cas": 0})
    assert len(calls(double, "PUT", "/v1/var/app/conf")) == 2


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/v1/acl/role", {"Name": "r", "Policies": [{"Name": "p"}]}),  # creates: a second role
    ("DELETE", "/v1/acl/token/11111111-2222-4333-8444-555555555555", None),  # a retry meets 400 "nonexistent"
    ("PUT", "/v1/acl/token", {"Name": "t", "Type": "management"}),  # creates a second token
])
def test_500_on_a_non_idempotent_write_is_not_retried_and_says_so(double, client, method, path, body):
    double.state.faults.append({"path": path, "method": method, "status": 500, "body": "rpc error: leader lost",
                                "remaining": 3})
    with pytest.raises(api.NomadAPIError) as err:
        client.request(method, path, body=body, namespaced=False)
    assert len(calls(double, method, path)) == 1
    text = str(err.value)
    assert text.startswith("Nomad API %s %s returned 500: rpc error: leader lost" % (method, path))
    assert "not retried" in text


def test_500_on_get_gives_up_naming_endpoint_and_attempts(double, client):
    client.retries = 2
    double.state.faults.append({"path": "/v1/nodes", "method": "GET", "status": 500, "body": "down", "remaining": 9})
    with pytest.raises(api.NomadAPIError) as err:
        client.get("/v1/nodes")
    assert str(err.value) == "Nomad API GET /v1/nodes returned 500: down (gave up after 3 attempts)"
    assert len(calls(double, "GET", "/v1/nodes")) == 3


def test_501_is_not_retried(double, client):
    double.state.faults.append({"path": "/v1/nodes", "method": "GET", "status": 501, "body": "Nomad Enterprise only",
                                "remaining": 9})
    with pytest.raises(api.NomadAPIError):
        client.get("/v1/nodes")
    assert len(calls(double, "GET", "/v1/nodes")) == 1


@pytest.fixture()
def silent_server():
    """Accepts connections and never answers: a Nomad API that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except socket.timeout:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_timeout_names_endpoint_and_is_retried_only_for_reads(silent_server):
    sleeps = []
    client = api.NomadClient(url=silent_server, timeout=1, retries=1, sleep=sleeps.append)
    with pytest.raises(api.NomadConnectionError) as err:
        client.get("/v1/job/web")
    assert str(err.value).startswith("Nomad API GET /v1/job/web: no answer from %s within 1s (timed out)" % silent_server)
    assert err.value.attempts == 2 and sleeps == [0.5]
    with pytest.raises(api.NomadConnectionError) as err:
        client.post("/v1/job/web", body={"Job": {}})
    assert err.value.attempts == 1 and "not retried" in str(err.value) and sleeps == [0.5]


# -- pagination -----------------------------------------------------------------------------------
def test_get_all_follows_next_token_in_go_canonical_header_form(monkeypatch):
    """Go's net/http sends X-Nomad-NextToken as X-Nomad-Nexttoken (textproto.CanonicalMIMEHeaderKey)."""
    client = api.NomadClient(url="http://127.0.0.1:9")
    pages = {None: (["a", "b"], "c"), "c": (["c"], None)}
    seen = []

    def get(path, query=None, **kwargs):
        seen.append(dict(query))
        items, nxt = pages[query.get("next_token")]
        return api.NomadResponse(200, items, {"X-Nomad-Nexttoken": nxt} if nxt else {})
    monkeypatch.setattr(client, "get", get)
    assert client.get_all("/v1/nodes", query={"os": True}) == ["a", "b", "c"]
    assert seen == [{"os": True}, {"os": True, "next_token": "c"}]


def test_get_all_against_the_double(double, client):
    double.state.add_nodes(4, start=3)
    all_nodes = client.get("/v1/nodes").data
    assert [n["ID"] for n in client.get_all("/v1/nodes", query={"per_page": 2})] == [n["ID"] for n in all_nodes]
    assert len(calls(double, "GET", "/v1/nodes")) == 1 + 4


# -- polling ----------------------------------------------------------------------------------------
def test_poll_returns_when_done_and_times_out_with_last_value():
    values = iter([1, 2, 3])
    assert api.poll(lambda: next(values), lambda v: v == 2, 10, "x", sleep=lambda s: None) == 2
    now = [0.0]

    def sleep(s):
        now[0] += s
    with pytest.raises(api.NomadTimeoutError) as err:
        api.poll(lambda: {"Status": "running"}, lambda v: False, 3, lambda v: "job still %s" % v["Status"],
                 sleep=sleep, clock=lambda: now[0])
    assert str(err.value) == "job still running after 3s" and err.value.details == {"last": {"Status": "running"}}


def test_poll_lets_a_terminal_failure_through():
    def done(value):
        raise api.NomadStateError("deployment failed")
    with pytest.raises(api.NomadStateError, match="deployment failed"):
        api.poll(lambda: 1, done, 10, "x", sleep=lambda s: None)


# -- GET -> compare -> write ------------------------------------------------------------------------
class _Mod(object):
    """Just what NomadModule.ensure needs from an AnsibleModule."""

    def __init__(self, check_mode=False, diff=True):
        self.check_mode, self._diff = check_mode, diff

    def add_diff(self, result, before, after):
        mod.NomadModule.add_diff(self, result, before, after)

    def ensure(self, *args, **kwargs):
        return mod.NomadModule.ensure(self, *args, **kwargs)


@pytest.mark.parametrize("check_mode, before, after, expect_call, changed", [
    (False, {"a": 1}, {"a": 1}, None, False),
    (False, {"a": 1}, {"a": 2}, "write", True),
    (False, None, {"a": 2}, "write", True),
    (False, {"a": 1}, None, "delete", True),
    (True, {"a": 1}, {"a": 2}, None, True),
    (True, {"a": 1}, None, None, True),
])
def test_ensure_writes_only_what_changed_and_never_in_check_mode(check_mode, before, after, expect_call, changed):
    done = []
    result = {}
    _Mod(check_mode).ensure(result, before, after, write=lambda: done.append("write"),
                            delete=lambda: done.append("delete"))
    assert result["changed"] is changed and done == ([expect_call] if expect_call else [])
    assert result["diff"] == {"before": before or {}, "after": after or {}}


# -- one NOMAD_* mapping ----------------------------------------------------------------------------
def test_inventory_reads_the_environment_through_the_client_mapping(double, monkeypatch):
    from ansible_collections.edgeops.nomad.plugins.inventory import nomad_nodes
    assert "env:" not in nomad_nodes.DOCUMENTATION  # no second NOMAD_* list in the inventory's options
    monkeypatch.setenv("NOMAD_ADDR", double.url)
    monkeypatch.setenv("NOMAD_TOKEN", SECRET)
    inv = nomad_nodes.InventoryModule()
    options = {"url": None, "token": None, "ca_cert": None, "client_cert": None, "client_key": None,
               "validate_certs": True, "region": None, "timeout": 5, "retries": 0}
    monkeypatch.setattr(inv, "get_option", options.get)
    client = inv._client()
    assert client.url == double.url and client.token == SECRET
    assert json.dumps(client.get("/v1/nodes", namespaced=False).data)
