# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nomad_events event source against the Nomad API double's event stream (which follows Nomad
2.0.5: tests/tools/nomad_api_double/events.py and its tests). The source runs as ansible-rulebook runs it:
the file loaded with runpy, ``main(queue, args)`` in an event loop."""

from __future__ import annotations

import asyncio
import runpy
import tempfile
import time
from pathlib import Path

import pytest

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadClient
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.testca import make as make_ca

SOURCE = Path(__file__).resolve().parents[6] / "extensions" / "eda" / "plugins" / "event_source" / "nomad_events.py"
SECRET = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
FAST = {"backoff": 0.05, "max_backoff": 0.2, "heartbeat_timeout": 5}


@pytest.fixture(scope="module")
def plugin():
    return runpy.run_path(str(SOURCE))


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=8)).start()
    NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    server.state.events.heartbeat = 0.1
    with server.state.lock:
        for node in server.state.nodes.values():
            node["Status"] = "ready"
    yield server
    server.stop()


def args(double, **extra):
    return dict(dict(FAST, url=double.url, token=SECRET), **extra)


def node(double, name):
    return next(n for n in double.state.nodes.values() if n["Name"] == name)


def change(double, *names_and_statuses):
    """Node status changes in the double's state (each its own Raft index and frame)."""
    out = []
    with double.state.lock:
        for name, status in names_and_statuses:
            out.append(double.state.change_node_status(node(double, name), status))
    return out


def token(double, rules):
    api = NomadClient(url=double.url, token=SECRET)
    name = "p%d" % len(double.state.policies)
    api.put("/v1/acl/policy/" + name, body={"Name": name, "Rules": rules})
    return api.put("/v1/acl/token", body={"Name": name, "Type": "client", "Policies": [name]}).data["SecretID"]


def stream_requests(double):
    return [r for r in double.state.requests if r["path"] == "/v1/event/stream"]


async def wait_for(condition, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.02)


class Run:
    """The source's main() in a task, its queue, and the events read from it."""

    def __init__(self, plugin, source_args):
        self.queue = asyncio.Queue(1)  # ansible-rulebook's source queue holds one event (app.py spawn_sources)
        self.task = asyncio.create_task(plugin["main"](self.queue, source_args))
        self.events = []

    async def take(self, count, timeout=10.0):
        for dummy in range(count):
            self.events.append(await asyncio.wait_for(self.queue.get(), timeout))
        return self.events[-count:]

    async def stop(self):
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


async def subscribed(double, count=1):
    await wait_for(lambda: double.state.events.open_streams >= count, what="the source's subscription")


# -- normal flow -----------------------------------------------------------------------------------------------
def test_node_events_with_nomads_fields_and_the_flat_part(plugin, double):
    async def scenario():
        run = Run(plugin, args(double, meta_hosts=True))
        await subscribed(double)
        idx = change(double, ("edge-00002", "down"), ("edge-00002", "ready"))
        down, ready = await run.take(2)
        await run.stop()
        return idx, down, ready

    idx, down, ready = asyncio.run(scenario())
    assert [down["Index"], ready["Index"]] == idx
    assert (down["Topic"], down["Type"], down["Namespace"], down["Key"]) == \
        ("Node", "NodeStreamEvent", "", node(double, "edge-00002")["ID"])
    assert down["Payload"]["Node"]["Status"] == "down"  # Nomad's own event, kept as sent
    assert down["nomad"] == {"topic": "Node", "type": "NodeStreamEvent", "index": idx[0], "namespace": None,
                             "node_id": down["Key"], "node_name": "edge-00002", "node_pool": "edge-x86",
                             "datacenter": "dc1", "node_status": "down", "previous_node_status": "ready",
                             "eligibility": "eligible", "drain": False}
    assert ready["nomad"]["previous_node_status"] == "down" and ready["nomad"]["node_status"] == "ready"
    assert down["meta"]["hosts"] == "edge-00002" and down["meta"]["uuid"] != ready["meta"]["uuid"]


def test_starts_now_unless_an_index_is_given(plugin, double):
    """Without index the stream starts after the subscribed topics' state (their lists' X-Nomad-Index);
    index 0 replays Nomad's whole buffer (nomad/stream/event_broker.go Subscribe: head)."""
    old = change(double, ("edge-00001", "down"))

    async def scenario(extra):
        run = Run(plugin, args(double, **extra))
        await subscribed(double)
        await asyncio.sleep(0.3)
        early = run.queue.qsize()
        new = change(double, ("edge-00003", "down"))
        event, = await run.take(1)
        await run.stop()
        await wait_for(lambda: double.state.events.open_streams == 0, what="the stream to close")
        return early, event, new

    early, event, new = asyncio.run(scenario({}))
    assert early == 0 and event["Index"] == new[0]
    early, event, new = asyncio.run(scenario({"index": 0}))
    assert event["Index"] == old[0]  # the old down, replayed from the buffer


def test_heartbeats_never_reach_the_rulebook(plugin, double):
    double.state.events.heartbeat = 0.05

    async def scenario():
        run = Run(plugin, args(double))
        await subscribed(double)
        await asyncio.sleep(0.6)
        size = run.queue.qsize()
        await run.stop()
        return size

    assert asyncio.run(scenario()) == 0


def test_lost_allocations_carry_the_site_of_their_node(plugin, double):
    """Nomad's allocation has no datacenter or pool: they come from the node list the source keeps."""
    st = double.state
    api = NomadClient(url=double.url, token=SECRET)
    api.post("/v1/jobs", body={"Job": {"ID": "web", "NodePool": "edge-x86", "TaskGroups": [
        {"Name": "g", "Count": 2, "Tasks": [{"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true"}}]}]}})
    api.get("/v1/job/web/deployment")
    api.get("/v1/job/web/deployment")  # the scheduler stand-in placed the allocations
    target = next(a for a in st.allocs.values() if a["JobID"] == "web")["NodeName"]

    async def scenario():
        run = Run(plugin, args(double, topics=["Allocation"]))
        await subscribed(double)
        change(double, (target, "down"))
        lost = await run.take(len([a for a in st.allocs.values() if a["NodeName"] == target]))
        await run.stop()
        return lost

    lost = asyncio.run(scenario())
    assert all(e["nomad"]["alloc_status"] == "lost" and e["nomad"]["datacenter"] == node(double, target)["Datacenter"]
               and e["nomad"]["node_pool"] == "edge-x86" and e["nomad"]["job_id"] == "web" for e in lost)
    assert all(e["Type"] == "PlanResult" for e in lost)


# -- resume: no loss, no duplicate ---------------------------------------------------------------------------
def test_forced_disconnects_in_a_burst_lose_nothing_and_repeat_nothing(plugin, double):
    """N events across cuts (whole streams, and a line cut in the middle) arrive N times, each once.
    Nomad resumes AT the index asked for and past the newest at the newest frame (nomad/stream/event_buffer.go
    StartAtClosest), so a resumed stream repeats the last frame: the source drops every frame whose Index is
    not above the last it delivered."""
    names = ["edge-%05d" % i for i in range(8)]
    emitted = []

    async def scenario():
        run = Run(plugin, args(double))
        await subscribed(double)
        for burst in range(6):
            for i in range(5):
                name = names[(burst * 5 + i) % len(names)]
                emitted.extend(change(double, (name, "down" if node(double, name)["Status"] == "ready" else "ready")))
            double.state.events.cut(partial=burst % 2 == 1)
            await asyncio.sleep(0.05)
        await run.take(len(emitted), timeout=20)
        # one more cut with nothing new: the resumed stream asks past the newest index and gets the newest
        # frame again ("requested index greater than tail receives tail")
        connections = len(stream_requests(double))
        double.state.events.cut()
        await wait_for(lambda: len(stream_requests(double)) > connections and double.state.events.open_streams == 1,
                       what="the resumed stream")
        await asyncio.sleep(0.5)  # anything more would be a duplicate
        extra = run.queue.qsize()
        await run.stop()
        return run.events, extra

    received, extra = asyncio.run(scenario())
    keys = [(e["Index"], e["Key"], e["Type"]) for e in received]
    assert len(emitted) == 30 and len(set(emitted)) == 30
    assert extra == 0 and len(received) == len(emitted) and len(set(keys)) == len(keys)
    assert [e["Index"] for e in received] == emitted
    assert len(stream_requests(double)) >= 6  # it did reconnect after each cut


def test_a_frame_repeated_in_one_frame_comes_once(plugin, double):
    """nomad/stream/subscription.go filter appends an event matching two keys of the request twice."""
    st = double.state
    api = NomadClient(url=double.url, token=SECRET)
    api.post("/v1/jobs", body={"Job": {"ID": "web", "NodePool": "edge-x86", "TaskGroups": [
        {"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true"}}]}]}})
    api.get("/v1/job/web/deployment")
    api.get("/v1/job/web/deployment")
    alloc = next(a for a in st.allocs.values() if a["JobID"] == "web")

    async def scenario():
        run = Run(plugin, args(double, topics=["Allocation:web", "Allocation:" + alloc["ID"]]))
        await subscribed(double)
        with st.lock:
            st.set_alloc_client_status([alloc], "running")
        await run.take(1)
        await asyncio.sleep(0.3)
        extra = run.queue.qsize()
        await run.stop()
        return run.events, extra

    events, extra = asyncio.run(scenario())
    assert extra == 0 and events[0]["nomad"]["alloc_status"] == "running"


def test_a_line_of_300_kib_arrives_whole(plugin, double):
    """A node with its attributes, or a plan's frame, is far larger than one read: lines are put together from
    the pieces and only complete lines are parsed (older aiohttp's readline stops at 128 KiB)."""
    with double.state.lock:
        node(double, "edge-00001")["Attributes"]["big"] = "x" * 300000

    async def scenario():
        run = Run(plugin, args(double))
        await subscribed(double)
        change(double, ("edge-00001", "down"))
        event, = await run.take(1)
        await run.stop()
        return event

    assert len(asyncio.run(scenario())["Payload"]["Node"]["Attributes"]["big"]) == 300000


# -- refusals stop the source, never a retry loop ----------------------------------------------------------------
def _fails(plugin, source_args, timeout=15):
    async def scenario():
        started = time.monotonic()
        with pytest.raises(plugin["NomadEventSourceError"]) as failure:
            await asyncio.wait_for(plugin["main"](asyncio.Queue(1), source_args), timeout)
        return str(failure.value), time.monotonic() - started

    return asyncio.run(scenario())


def test_nomad_2_refusal_200_with_no_heartbeat_stops_the_source(plugin, double):
    """Event.stream's 403 cannot reach the hijacked connection: 200 and EOF before the first {}."""
    reader = token(double, 'node { policy = "read" }')
    message, took = _fails(plugin, args(double, token=reader, topics=["Allocation"]))
    assert message.startswith("nomad_events: ACL refusal, not retried: %s refused the event stream subscription "
                              "(200 OK, then closed before the first heartbeat, as Nomad 2.0 refuses)" % double.url)
    assert "lacks a capability" in message and 'Allocation: namespace "<ns>" { capabilities = ["read-job"] }' in message
    assert reader not in message and len(stream_requests(double)) == 2  # one immediate second try, no loop
    message, took = _fails(plugin, args(double, token="11111111-2222-3333-4444-555555555555"))
    assert "the token is unknown or expired (ACL token not found)" in message


def test_an_older_nomads_403_stops_the_source(plugin, double):
    """Nomad up to 1.11.1 answered the refusal with a real 403 "Permission denied" (no hijack)."""
    double.state.faults.append({"path": "/v1/event/stream", "method": "GET", "status": 403,
                                "body": "Permission denied", "remaining": 10})
    message, took = _fails(plugin, args(double))
    assert "ACL refusal, not retried" in message and "(403 Permission denied)" in message
    assert len(stream_requests(double)) == 2 and took < 10


@pytest.fixture(scope="module")
def tls_dirs():
    base = tempfile.mkdtemp()
    make_ca(base + "/a")
    make_ca(base + "/b")
    return base + "/a", base + "/b"


@pytest.mark.parametrize("client", ["other CA", "no client certificate"])
def test_a_tls_failure_stops_the_source(plugin, tls_dirs, client):
    good, other = tls_dirs
    server = NomadAPIDouble(DoubleState(nodes=2), tls_cert=good + "/server.pem", tls_key=good + "/server-key.pem",
                            tls_client_ca=good + "/ca.pem").start()
    try:
        if client == "other CA":
            extra = {"ca_cert": other + "/ca.pem", "client_cert": good + "/client.pem", "client_key": good + "/client-key.pem"}
        else:
            extra = {"ca_cert": good + "/ca.pem"}
        message, took = _fails(plugin, dict(FAST, url=server.url, **extra))
        assert message.startswith("nomad_events: TLS failure talking to %s, not retried: " % server.url)
        assert ("CERTIFICATE_VERIFY_FAILED" if client == "other CA" else "CERTIFICATE_REQUIRED") in message
        assert took < 10
    finally:
        server.stop()


def test_mutual_tls_with_the_right_certificates_streams(plugin, tls_dirs):
    good = tls_dirs[0]
    server = NomadAPIDouble(DoubleState(nodes=2), tls_cert=good + "/server.pem", tls_key=good + "/server-key.pem",
                            tls_client_ca=good + "/ca.pem").start()
    server.state.events.heartbeat = 0.1
    try:
        async def scenario():
            run = Run(plugin, dict(FAST, url=server.url, ca_cert=good + "/ca.pem", client_cert=good + "/client.pem",
                                   client_key=good + "/client-key.pem"))
            await subscribed(server)
            with server.state.lock:
                server.state.change_node_status(next(iter(server.state.nodes.values())), "disconnected")
            event, = await run.take(1)
            await run.stop()
            return event
        assert asyncio.run(scenario())["nomad"]["node_status"] == "disconnected"
    finally:
        server.stop()


# -- cancellation ------------------------------------------------------------------------------------------------
def test_cancellation_closes_the_stream(plugin, double):
    """ansible-rulebook cancels the source task (a shutdown action, another source ending): the stream's
    connection closes, the double sees no open stream any more."""
    async def scenario():
        run = Run(plugin, args(double))
        await subscribed(double)
        run.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run.task
        await wait_for(lambda: double.state.events.open_streams == 0, timeout=3, what="the stream to close")
        return run.task.cancelled()

    assert asyncio.run(scenario()) is True


# -- options --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("topics, filter_keys, expected", [
    (["Node"], None, {"Node": ["*"]}),
    (["Allocation:web", "Allocation:api", "Allocation:web"], None, {"Allocation": ["web", "api"]}),
    (["Allocation:web", "Allocation:*"], None, {"Allocation": ["*"]}),  # collapsed: eventMatchesKey quirk
    (["Deployment"], {"Allocation": ["web"], "Job": "web"}, {"Deployment": ["*"], "Allocation": ["web"], "Job": ["web"]}),
])
def test_topics_in_nomads_filter_syntax(plugin, topics, filter_keys, expected):
    assert plugin["parse_topics"](topics, filter_keys) == expected


@pytest.mark.parametrize("topics, message", [
    (["A:b:c"], "topics: 'A:b:c' is not Topic or Topic:Key"),
    (["Nodes"], "topics: unknown topic(s) Nodes; Nomad publishes"),
    ([], "topics: at least one topic is needed"),
])
def test_bad_topics_are_refused_before_connecting(plugin, topics, message):
    with pytest.raises(plugin["NomadEventSourceError"], match=r"^" + message.replace("(", r"\(").replace(")", r"\)")):
        plugin["parse_topics"](topics)


def test_connection_settings_come_from_nomads_environment_variables(plugin, monkeypatch):
    monkeypatch.setenv("NOMAD_ADDR", "https://nomad.example:4646")
    monkeypatch.setenv("NOMAD_TOKEN", SECRET)
    monkeypatch.setenv("NOMAD_NAMESPACE", "edge")
    source = plugin["NomadEventSource"]({"validate_certs": "false"})
    assert (source.client.url, source.client.token, source.client.namespace) == ("https://nomad.example:4646", SECRET, "edge")
    assert source.client.validate_certs is False and source._headers()["X-Nomad-Token"] == SECRET
    assert ("namespace", "edge") in source._query() and not any(SECRET in v for dummy, v in source._query())
    with pytest.raises(plugin["NomadEventSourceError"], match="unknown option"):
        plugin["NomadEventSource"]({"topic": ["Node"]})
