"""GET /v1/event/stream of the double against Nomad 2.0.5's rules (events.py, resources/events.py) and the
events its state changes publish (state.py). Each test names the Nomad file and function it restates."""

import http.client
import json
import socket
import time
from urllib.parse import urlencode, urlsplit

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.events import Subscription

SECRET = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"


class Stream:
    """One raw event stream: the status line and headers as sent, then lines read one by one."""

    def __init__(self, url, params=None, token=None, timeout=5):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        query = urlencode(params or [], doseq=True)
        head = "GET /v1/event/stream%s HTTP/1.1\r\nHost: x\r\n" % ("?" + query if query else "")
        if token:
            head += "X-Nomad-Token: %s\r\n" % token
        self.sock.sendall((head + "\r\n").encode())
        self.file = self.sock.makefile("rb")
        self.status = self.file.readline().decode().strip()
        self.headers = {}
        while True:
            line = self.file.readline().decode().strip()
            if not line:
                break
            key, value = line.split(":", 1)
            self.headers[key.strip()] = value.strip()

    def line(self):
        """The next line (b"" at EOF)."""
        return self.file.readline()

    def frame(self):
        """The next frame, heartbeats skipped."""
        while True:
            raw = self.line()
            if not raw:
                return None
            data = json.loads(raw)
            if data:
                return data

    def close(self):
        self.file.close()
        self.sock.close()


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(nodes=8)).start()
    yield server
    server.stop()


@pytest.fixture()
def acl_double():
    server = NomadAPIDouble(DoubleState(acl=True, nodes=4)).start()
    conn = http.client.HTTPConnection(urlsplit(server.url).netloc)
    conn.request("POST", "/v1/acl/bootstrap", json.dumps({"BootstrapSecret": SECRET}))
    assert conn.getresponse().status == 200
    yield server
    server.stop()


def call(double, method, path, body=None, token=SECRET):
    conn = http.client.HTTPConnection(urlsplit(double.url).netloc, timeout=10)
    conn.request(method, path, json.dumps(body) if body is not None else None, {"X-Nomad-Token": token} if token else {})
    resp = conn.getresponse()
    text = resp.read().decode()
    try:
        return resp.status, json.loads(text) if text else None
    except ValueError:
        return resp.status, text


def node(double, name):
    return next(n for n in double.state.nodes.values() if n["Name"] == name)


def token_with(double, rules):
    """A client token whose one policy has these rules."""
    name = "p%d" % len(double.state.policies)
    assert call(double, "POST", "/v1/acl/policy/" + name, {"Name": name, "Rules": rules})[0] == 200
    status, token = call(double, "POST", "/v1/acl/token", {"Name": name, "Type": "client", "Policies": [name]})
    assert status == 200
    return token["SecretID"]


# -- the HTTP side: command/agent/event_endpoint.go EventStream ----------------------------------------------
def test_headers_go_out_first_then_an_initial_heartbeat_then_frames(double):
    """EventStream hijacks the connection and writes 200 OK with Content-Type application/json, Cache-Control
    no-cache and (HTTP/1.1, ContentLength -1) Connection: close, no length, no chunking; NewJsonStream
    (nomad/stream/ndjson.go) sends {} at once; frames are one JSON object per line with sorted keys."""
    stream = Stream(double.url, [("topic", "Node")])
    assert stream.status == "HTTP/1.1 200 OK"
    assert stream.headers["Content-Type"] == "application/json" and stream.headers["Cache-Control"] == "no-cache"
    assert stream.headers["Connection"] == "close"
    assert "Content-Length" not in stream.headers and "Transfer-Encoding" not in stream.headers
    assert stream.line() == b"{}\n"
    with double.state.lock:
        idx = double.state.change_node_status(node(double, "edge-00001"), "down")
    raw = stream.line()
    frame = json.loads(raw)
    assert raw == json.dumps(frame, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    assert frame["Index"] == idx and [e["Type"] for e in frame["Events"]] == ["NodeStreamEvent"]
    event = frame["Events"][0]
    assert (event["Topic"], event["Key"], event["Namespace"], event["FilterKeys"], event["Index"]) == \
        ("Node", node(double, "edge-00001")["ID"], "", None, idx)
    assert event["Payload"]["Node"]["Status"] == "down" and event["Payload"]["Node"]["SecretID"] == ""
    stream.close()


def test_heartbeats_come_every_interval_whatever_the_traffic(double):
    """Event.stream: NewJsonStream(ctx, 30s) writes {} from a ticker (the double's interval is settable)."""
    double.state.events.heartbeat = 0.2
    stream = Stream(double.url, [("topic", "Node")])
    started = time.monotonic()
    lines = [stream.line() for dummy in range(4)]
    assert lines == [b"{}\n"] * 4
    assert 0.5 <= time.monotonic() - started < 3
    stream.close()


@pytest.mark.parametrize("params, text", [
    ([("index", "abc")], 'Unable to parse index: strconv.Atoi: parsing "abc": invalid syntax'),
    ([("topic", "A:b:c")], "Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: A:b:c"),
])
def test_bad_index_or_topic_is_a_real_400_before_the_stream(double, params, text):
    """EventStream checks index (strconv.Atoi) and topics (parseEventTopics/parseTopic) before the hijack."""
    assert call(double, "GET", "/v1/event/stream?" + urlencode(params)) == (400, text)


def test_only_get_is_served(double):
    assert call(double, "POST", "/v1/event/stream", {}) == (405, "Invalid method")  # CodedError(405, ErrInvalidMethod)


# -- resume: nomad/stream/event_buffer.go StartAtClosest ------------------------------------------------
def _publish_downs(double, names):
    out = []
    with double.state.lock:
        for name in names:
            out.append(double.state.change_node_status(node(double, name), "down"))
    return out


@pytest.mark.parametrize("ask, first", [
    ("0", 0),          # index 0: the whole buffer from its head
    ("exact", 1),      # an index held in the buffer: AT it (inclusive)
    ("between", 2),    # between two items: the first newer one
    ("past", 2),       # past the newest: the newest item ("requested index greater than tail receives tail")
])
def test_subscribe_starts_at_the_closest_item(double, ask, first):
    indexes = _publish_downs(double, ["edge-00001", "edge-00002"])
    with double.state.lock:  # a gap of two indexes without events before the last item
        double.state.next_index()
        double.state.next_index()
        last = double.state.change_node_status(node(double, "edge-00005"), "down")
    indexes.append(last)
    wanted = {"0": "0", "exact": str(indexes[1]), "between": str(indexes[1] + 1), "past": str(last + 50)}[ask]
    stream = Stream(double.url, [("topic", "Node"), ("index", wanted)])
    assert stream.line() == b"{}\n"
    got = [stream.frame()["Index"] for dummy in range(len(indexes) - first)]
    assert got == indexes[first:]
    stream.close()


def test_the_buffer_keeps_event_buffer_size_indexes(double):
    """eventBuffer holds event_buffer_size items, one per Raft index; older ones are gone and a subscriber
    asking for them starts at the head, silently."""
    double.state.events.resize(2)
    indexes = _publish_downs(double, ["edge-00001", "edge-00002", "edge-00003"])
    stream = Stream(double.url, [("topic", "Node"), ("index", str(indexes[0]))])
    stream.line()
    assert [stream.frame()["Index"] for dummy in range(2)] == indexes[1:]
    stream.close()


# -- filtering: nomad/stream/subscription.go filter, eventMatchesKey -------------------------------------
def _alloc_event(alloc_id, job, deployment="d1", namespace="default"):
    return {"Topic": "Allocation", "Type": "PlanResult", "Key": alloc_id, "Namespace": namespace,
            "FilterKeys": [job, deployment], "Index": 1, "Payload": {}}


def test_keys_match_the_key_or_filter_keys_and_an_event_can_come_twice():
    sub = Subscription({"Allocation": ["web", "a1"]}, ["default"], None)
    events = [_alloc_event("a1", "web"), _alloc_event("a2", "web"), _alloc_event("a3", "api")]
    assert [e["Key"] for e in sub.filter(events)] == ["a1", "a1", "a2"]  # a1 matches both keys: appended twice


def test_a_star_beside_a_key_is_not_a_wildcard():
    sub = Subscription({"Allocation": ["*", "a2"]}, ["default"], None)
    assert [e["Key"] for e in sub.filter([_alloc_event("a1", "web"), _alloc_event("a2", "web")])] == ["a2"]
    assert len(Subscription({"Allocation": ["*"]}, ["default"], None).filter([_alloc_event("a1", "web")])) == 1


def test_namespaces_filter_namespaced_events_only():
    sub = Subscription({"*": ["*"]}, ["edge"], None)
    node_event = {"Topic": "Node", "Type": "NodeStreamEvent", "Key": "n", "Namespace": "", "FilterKeys": None}
    kept = sub.filter([_alloc_event("a1", "web", namespace="default"), _alloc_event("a2", "web", namespace="edge"),
                       node_event])
    assert [e["Key"] for e in kept] == ["a2", "n"]


# -- ACL: nomad/event_endpoint.go Event.stream, validateNsOp ---------------------------------------------
def test_a_refused_subscription_is_200_and_an_empty_body(acl_double):
    """The 403 of the RPC cannot reach a hijacked connection: 200, headers, EOF, no {} (Nomad 2.0.5)."""
    reader = token_with(acl_double, 'node { policy = "read" }')
    refused = Stream(acl_double.url, [("topic", "Allocation")], token=reader)
    assert refused.status == "HTTP/1.1 200 OK" and refused.line() == b""
    unknown = Stream(acl_double.url, [("topic", "Node")], token="not-a-token")
    assert unknown.status == "HTTP/1.1 200 OK" and unknown.line() == b""
    allowed = Stream(acl_double.url, [("topic", "Node")], token=reader)
    assert allowed.line() == b"{}\n"
    for stream in (refused, unknown, allowed):
        stream.close()


@pytest.mark.parametrize("rules, topic, namespace, allowed", [
    ('node { policy = "read" }', "Node", "default", True),
    ('namespace "default" { capabilities = ["read-job"] }', "Node", "default", False),
    ('namespace "default" { capabilities = ["read-job"] }', "Allocation", "default", True),
    ('namespace "default" { capabilities = ["read-job"] }', "Deployment", "default", True),
    ('namespace "default" { capabilities = ["read-job"] }', "Job", "edge", False),
    ('namespace "default" { capabilities = ["read-job"] }', "Job", "*", False),  # "*": every namespace
    ('namespace "*" { policy = "read" }', "Job", "*", True),
    ('namespace "*" { policy = "read" }\nnode { policy = "write" }', "NodePool", "default", False),  # management
    ('namespace "*" { policy = "read" }\nnode { policy = "write" }', "*", "default", False),
])
def test_each_topic_needs_its_capability(acl_double, rules, topic, namespace, allowed):
    with acl_double.state.lock:
        acl_double.state.namespaces["edge"] = acl_double.state._namespace("edge", "", None, 2)
    stream = Stream(acl_double.url, [("topic", topic), ("namespace", namespace)], token=token_with(acl_double, rules))
    assert (stream.line() == b"{}\n") is allowed
    stream.close()


# -- the events of the double's own state changes (nomad/state/events.go, Types by Raft message) -----------
def _frames_after(double, change, topics=("*",), count=None, token=None):
    """The frames of ``change`` (a subscription past the newest index replays the newest item first, as
    StartAtClosest does: frames at or below the index before the change are left out)."""
    before = double.state.index
    stream = Stream(double.url, [("topic", t) for t in topics] + [("index", str(before + 1))], token=token)
    assert stream.line() == b"{}\n"
    with double.state.lock:
        change()
    frames = []
    double.state.events.heartbeat = 0.3
    while count is None or len(frames) < count:
        stream.sock.settimeout(1.0)
        try:
            frame = stream.frame()
        except socket.timeout:
            break
        if frame is None:
            break
        if frame["Index"] > before:
            frames.append(frame)
    stream.close()
    return [(e["Topic"], e["Type"]) for f in frames for e in f["Events"]], frames


def test_node_down_then_lost_allocations_then_ready(double):
    """nomad/heartbeat.go invalidateHeartbeat -> Node.UpdateStatus (NodeStreamEvent), then the scheduler's
    plan marks the node's allocations lost (PlanResult; scheduler/structs "alloc is lost since its node is
    down"); back: NodeStreamEvent ready with "Node reregistered by heartbeat"."""
    st = double.state
    with st.lock:
        for n in st.nodes.values():  # the job places on ready edge-x86 nodes only
            if n["NodePool"] == "edge-x86":
                n["Status"] = "ready"
    status = call(double, "POST", "/v1/jobs", {"Job": {"ID": "web", "NodePool": "edge-x86", "TaskGroups": [
        {"Name": "g", "Count": 2, "Tasks": [{"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true"}}]}]}})
    assert status[0] == 200
    call(double, "GET", "/v1/job/web/deployment")
    call(double, "GET", "/v1/job/web/deployment")  # the scheduler stand-in ran: allocations placed
    placed = [a for a in st.allocs.values() if a["JobID"] == "web"]
    assert len(placed) == 2
    target = node(double, placed[0]["NodeName"])
    types, frames = _frames_after(double, lambda: st.change_node_status(target, "down"), count=2)
    lost = [e for f in frames for e in f["Events"] if e["Topic"] == "Allocation"]
    assert types[0] == ("Node", "NodeStreamEvent") and lost and all(t == ("Allocation", "PlanResult") for t in types[1:])
    assert all(e["Payload"]["Allocation"]["ClientStatus"] == "lost" and "Job" not in e["Payload"]["Allocation"]
               and e["Payload"]["Allocation"]["DesiredDescription"] == "alloc is lost since its node is down"
               for e in lost)
    assert frames[1]["Index"] > frames[0]["Index"]
    types, frames = _frames_after(double, lambda: st.change_node_status(target, "ready"), count=1)
    assert types == [("Node", "NodeStreamEvent")]
    assert frames[0]["Events"][0]["Payload"]["Node"]["Events"][-1]["Message"] == "Node reregistered by heartbeat"


@pytest.mark.parametrize("change, expected", [
    (lambda st, n: st.start_drain(n, 3600 * 10 ** 9, False, None), [("Node", "NodeDrain")]),
    (lambda st, n: st.set_eligibility(n, "ineligible"), [("Node", "NodeEligibility")]),
    (lambda st, n: st.update_node_attributes(n, {"nomad.version": "2.0.6"}), [("Node", "NodeRegistration")]),
    (lambda st, n: st.register_fake_node("new-edge", "edge-lab", "dc9"),
     [("Node", "NodeRegistration"), ("NodePool", "NodeRegistration")]),  # fetchOrCreateNodePoolTxn
])
def test_node_changes_publish_their_raft_message_type(double, change, expected):
    types, frames = _frames_after(double, lambda: change(double.state, node(double, "edge-00001")), count=1)
    assert types == expected


def test_a_drain_that_completes_is_a_second_node_drain_event(double):
    """The drainer completes a drain in its own transaction (BatchNodeUpdateDrainRequestType: NodeDrain)."""
    target = node(double, "edge-00001")
    types, frames = _frames_after(double, lambda: double.state.start_drain(target, -1, False, None), count=2)
    assert types == [("Node", "NodeDrain"), ("Node", "NodeDrain")]
    assert frames[1]["Events"][0]["Payload"]["Node"]["DrainStrategy"] is None


def test_job_register_deployment_success_and_alloc_status(double):
    """JobRegistered (job and eval), PlanResult (deployment, allocations), EvaluationUpdated; the client's
    AllocationUpdated; a successful deployment marks the job stable in the same transaction
    (updateDeploymentStatusImpl -> updateJobStabilityImpl: Deployment and Job events, DeploymentStatusUpdate)."""
    st = double.state
    with st.lock:
        for n in st.nodes.values():
            n["Status"] = "ready"

    def register():
        st.register_job(("default", "api"), {"ID": "api", "Namespace": "default", "Type": "service",
                                             "NodePool": "default", "Datacenters": ["*"], "TaskGroups": [
                                                 {"Name": "g", "Count": 1, "Tasks": [{"Name": "t"}]}]}, None,
                        st.next_index())
    types = _frames_after(double, register, count=1)[0]
    assert types == [("Job", "JobRegistered"), ("Evaluation", "JobRegistered")]
    ev = next(e for e in st.evals.values() if e["JobID"] == "api")
    types = _frames_after(double, lambda: (st.tick_eval(ev), st.tick_eval(ev)), count=2)[0]
    assert types == [("Deployment", "PlanResult"), ("Allocation", "PlanResult"), ("Evaluation", "EvaluationUpdated")]
    alloc = next(a for a in st.allocs.values() if a["JobID"] == "api")
    types, frames = _frames_after(double, lambda: st.set_alloc_client_status([alloc], "running"), count=1)
    assert types == [("Allocation", "AllocationUpdated")]
    assert frames[0]["Events"][0]["FilterKeys"] == ["api", alloc["DeploymentID"]]
    dep = st.deployments[("default", "api")]
    types, frames = _frames_after(double, lambda: st.set_deployment_status(dep, "successful", "ok"), count=1)
    assert types == [("Deployment", "DeploymentStatusUpdate"), ("Job", "DeploymentStatusUpdate")]
    assert frames[0]["Events"][1]["Payload"]["Job"]["Stable"] is True


def test_a_purged_job_is_deleted_in_its_event(double):
    st = double.state
    with st.lock:
        st.register_job(("default", "gone"), {"ID": "gone", "Namespace": "default", "Type": "batch",
                                              "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t"}]}]}, None,
                        st.next_index())
    gone = st.jobs[("default", "gone")]
    types, frames = _frames_after(double, lambda: st.deregister_job(("default", "gone"), gone, True, st.next_index()),
                                  count=1)
    assert types == [("Job", "JobDeregistered"), ("Evaluation", "JobDeregistered")]
    assert frames[0]["Events"][0]["Payload"]["Deleted"] is True  # JobEvent.Deleted on a purge


# -- test controls: cut (resume tests) ---------------------------------------------------------------------
def test_a_cut_ends_every_open_stream_and_a_partial_cut_leaves_half_a_line(double):
    stream = Stream(double.url, [("topic", "Node")])
    assert stream.line() == b"{}\n"
    assert call(double, "POST", "/_double/event-stream-status")[1]["open_streams"] == 1
    call(double, "POST", "/_double/event-stream-cut", {})
    assert stream.line() == b""
    stream.close()
    stream = Stream(double.url, [("topic", "Node")])
    stream.line()
    call(double, "POST", "/_double/event-stream-cut", {"partial": True})
    _publish_downs(double, ["edge-00001"])
    rest = stream.file.read()  # to EOF: half of the frame's line, no newline
    assert rest.startswith(b'{"Events":[') and not rest.endswith(b"\n")
    with pytest.raises(ValueError):
        json.loads(rest)
    stream.close()


# -- job versions and revert (nomad/job_endpoint.go GetJobVersions, Job.Revert) ----------------------------
def test_versions_and_revert_follow_nomad(double):
    st = double.state
    base = {"ID": "web", "Type": "batch", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec",
                                                                                 "Config": {"command": "/bin/a"}}]}]}
    call(double, "POST", "/v1/jobs", {"Job": base})
    changed = json.loads(json.dumps(base))
    changed["TaskGroups"][0]["Tasks"][0]["Config"]["command"] = "/bin/b"
    call(double, "POST", "/v1/jobs", {"Job": changed})
    status, data = call(double, "GET", "/v1/job/web/versions?diffs=true")
    assert status == 200 and [v["Version"] for v in data["Versions"]] == [1, 0]
    assert len(data["Diffs"]) == 1 and data["Diffs"][0]["Type"] == "Edited"
    status, data = call(double, "GET", "/v1/job/web/versions?diffs=true&diff_version=1")
    assert [d["Type"] for d in data["Diffs"]] == ["None", "Edited"]
    assert call(double, "GET", "/v1/job/web/versions?diffs=true&diff_version=9") == (500, "version 9 not found")
    assert call(double, "GET", "/v1/job/nope/versions") == (404, "job versions not found")
    assert call(double, "POST", "/v1/job/web/revert", {"JobVersion": 0}) == (400, "JobID must be specified")
    assert call(double, "POST", "/v1/job/web/revert", {"JobID": "x", "JobVersion": 0}) == (400, "Job ID does not match")
    assert call(double, "POST", "/v1/job/web/revert", {"JobID": "web", "JobVersion": 1}) == \
        (500, "can't revert to current version")
    assert call(double, "POST", "/v1/job/web/revert", {"JobID": "web", "JobVersion": 7}) == \
        (500, 'job "web" in namespace "default" at version 7 not found')
    assert call(double, "POST", "/v1/job/web/revert", {"JobID": "web", "JobVersion": 0, "EnforcePriorVersion": 3}) == \
        (500, "Current job has version 1; enforcing version 3")
    status, data = call(double, "POST", "/v1/job/web/revert", {"JobID": "web", "JobVersion": 0, "EnforcePriorVersion": 1})
    assert status == 200 and data["EvalID"]
    job = st.jobs[("default", "web")]
    assert job["Version"] == 2 and job["TaskGroups"][0]["Tasks"][0]["Config"]["command"] == "/bin/a"
    assert job["Stable"] is False  # "functionally a new registration"
