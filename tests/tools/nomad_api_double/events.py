"""Nomad's event broker in the double: one publisher that DoubleState's change methods call with the
events of each change, a bounded buffer of frames, subscriptions that filter them, and the ACL check of a
subscription. The HTTP side (GET /v1/event/stream) is resources/events.py.

Each rule restates Nomad 2.0.5; the file and function are named beside it:
  nomad/state/events.go         eventsFromChanges / eventFromChange: every object changed in one Raft
                                transaction becomes one event, all with the transaction's Index and Type
  nomad/stream/event_broker.go  EventBroker.Publish (empty event lists are not published), Subscribe
  nomad/stream/event_buffer.go  eventBuffer (event_buffer_size items, one per Raft index), StartAtClosest
  nomad/stream/subscription.go  filter, eventMatchesKey (namespace, topic and key filtering)
  nomad/event_endpoint.go       Event.stream: Authenticate, ResolveACL, validateNsOp; NewJsonStream(30s)
"""

import collections
import copy
import json
import threading

# nomad/structs/event.go: the topics of Nomad 2.0.5 and the wildcard.
TOPICS = ("ACLToken", "ACLPolicy", "ACLRole", "ACLAuthMethod", "ACLBindingRule", "Job", "Allocation", "Deployment",
          "Evaluation", "Node", "NodePool", "Service", "HostVolume", "CSIVolume", "CSIPlugin", "Operator", "Variable")
DEFAULT_BUFFER_SIZE = 100  # command/agent/config.go DefaultConfig EventBufferSize; nomad/stream NewEventBroker
HEARTBEAT_SECONDS = 30.0  # nomad/event_endpoint.go Event.stream: stream.NewJsonStream(ctx, 30*time.Second)
# nomad/structs/alloc.go Allocation has `_struct bool codec:",omitempty"`: zero-valued fields are left out.
ZERO = (None, "", 0, False, [], {})


def wire(data):
    """Nomad's JSON of a frame: go-msgpack's JsonHandle writes the keys of a struct sorted, no spaces."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def public(obj):
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def make_event(topic, event_type, key, namespace, payload, filter_keys=None):
    """One event (nomad/structs/event.go Event): the Index is the change's, set when it is published;
    Namespace is "" on non-namespaced topics; FilterKeys null when there are none."""
    return {"Topic": topic, "Type": event_type, "Key": key, "Namespace": namespace,
            "FilterKeys": list(filter_keys) if filter_keys else None, "Index": 0,
            "Payload": payload}


def node_payload(node):
    """{"Node": node}: Node.Sanitize() empties SecretID; the JSON extension nodeExt adds the legacy Drain
    (nomad/structs/extensions.go)."""
    out = public(node)
    out["SecretID"] = ""
    out["Drain"] = node.get("DrainStrategy") is not None
    return {"Node": out}


def alloc_payload(alloc):
    """{"Allocation": alloc}: nomad/state/events.go sets alloc.Job = nil; an omitempty struct."""
    out = {k: v for k, v in public(alloc).items() if k != "Job" and v not in ZERO}
    return {"Allocation": out}


class Subscription:
    """One subscriber: its topics and keys, namespaces, and where it is in the buffer."""

    def __init__(self, topics, namespaces, floor):
        self.topics = topics
        self.namespaces = namespaces
        self.floor = floor  # the Index of the last frame handed out (None: take the next one published)
        self.closed = False

    def matches(self, event):
        """nomad/stream/subscription.go filter + eventMatchesKey, quirks included: a non-namespaced event
        (Namespace "") always passes the namespace check; keys are Topics["*"] + Topics[event.Topic]; only
        exactly ["*"] is a wildcard (``*`` next to another key matches only a Key that is literally ``*``)."""
        if event["Namespace"] != "" and event["Namespace"] not in self.namespaces:
            return 0
        if self.topics.get("*") == ["*"]:
            return 1
        keys = list(self.topics.get("*", [])) + list(self.topics.get(event["Topic"], []))
        if not keys:
            return 0
        if keys == ["*"]:
            return 1
        # eventMatchesKey: the Key, or one of FilterKeys; the loop does not stop at the first match, so an
        # event that matches two keys of the request is appended twice
        return sum(1 for key in keys if event["Key"] == key or key in (event.get("FilterKeys") or []))

    def filter(self, events):
        out = []
        for event in events:
            out.extend([event] * self.matches(event))
        return out


class EventBroker:
    """The double's event broker (nomad/stream/event_broker.go EventBroker), under its own condition so
    stream threads wait without holding the state lock."""

    def __init__(self, size=DEFAULT_BUFFER_SIZE, heartbeat=HEARTBEAT_SECONDS):
        self.cond = threading.Condition()
        self.items = collections.deque()  # (index, [events]); one item per Raft index (eventBuffer)
        self.size = size
        self.heartbeat = heartbeat
        self.dropped_up_to = 0  # the highest Index pushed out of the buffer
        self.enabled = True  # server.enable_event_broker
        self.generation = 0  # bumped by cut(): every open stream closes
        self.truncate_next = False  # cut(partial=True): the next frame written is cut in the middle of its line
        self.open_streams = 0
        self.published = 0  # events published (tests count them)

    def publish(self, index, events):
        """EventBroker.Publish: one buffer item per index; an empty list is not published; the oldest item
        leaves once event_buffer_size items are held."""
        if not events:
            return
        for event in events:
            event["Index"] = index
        with self.cond:
            self.items.append((index, events))
            self.published += len(events)
            while len(self.items) > max(self.size, 1):
                self.dropped_up_to = self.items.popleft()[0]
            self.cond.notify_all()

    def resize(self, size):
        with self.cond:
            self.size = size
            while len(self.items) > max(self.size, 1):
                self.dropped_up_to = self.items.popleft()[0]

    def subscribe(self, topics, namespaces, index):
        """EventBroker.Subscribe -> eventBuffer.StartAtClosest: index 0 starts at the buffer's head; an index
        held in the buffer starts AT it (inclusive); one older than the head starts at the head (the older
        events are skipped silently); one past the newest starts at the first newer item, and when there is
        none at the newest item (TestEventBuffer_StartAt_CurrentIdx_Past_Start: "requested index greater than
        tail receives tail")."""
        with self.cond:
            if not self.items:
                floor = None
            elif index == 0 or index <= self.items[0][0]:
                floor = self.items[0][0] - 1
            else:
                start = next((i for i, dummy in self.items if i >= index), self.items[-1][0])
                floor = start - 1
            return Subscription(topics, namespaces, floor)

    def next_frames(self, sub):
        """The frames after ``sub.floor`` (filtered; empty ones skipped as Subscription.Next does). Raises
        LookupError when items the subscriber had not read left the buffer ("event dropped from buffer")."""
        if sub.floor is not None and sub.floor < self.dropped_up_to:
            raise LookupError("event dropped from buffer")  # nomad/stream/event_buffer.go bufferItem.Next
        frames = []
        for index, events in self.items:
            if sub.floor is not None and index <= sub.floor:
                continue
            sub.floor = index
            wanted = sub.filter(events)
            if wanted:
                frames.append({"Events": wanted, "Index": index})
        return frames

    def cut(self, partial=False):
        """Test control: every open stream closes (partial: the next frame written is cut mid-line first)."""
        with self.cond:
            if partial:
                self.truncate_next = True
            else:
                self.generation += 1
            self.cond.notify_all()


def check_subscription(handler, topics, namespace):
    """nomad/event_endpoint.go Event.stream: Authenticate (an unknown or expired token fails), ResolveACL,
    then validateNsOp for every namespace of the request (``*``: every namespace that exists now); any
    failure is structs.ErrPermissionDenied. Returns (namespaces, None) or (None, the reason)."""
    st = handler.state
    namespaces = sorted(st.namespaces) if namespace == "*" else [namespace]
    if not st.acl_enabled:
        return namespaces, None
    from .common import HTTPFailure  # the double's auth helper raises its 403s
    try:
        token = handler.auth("any")
    except HTTPFailure as exc:
        return None, exc.text
    for ns in namespaces:
        for topic in topics:
            if topic in ("Deployment", "Evaluation", "Allocation", "Job", "Service", "CSIPlugin"):
                ok = handler.allowed(token, "namespace", "read-job", ns)
            elif topic == "HostVolume":
                ok = handler.allowed(token, "namespace", "host-volume-read", ns)
            elif topic == "CSIVolume":
                ok = handler.allowed(token, "namespace", "csi-read-volume", ns)
            elif topic == "Node":
                ok = handler.allowed(token, "node", "read")  # AllowNodeRead: node pools are not checked
            elif topic == "Operator":
                ok = handler.allowed(token, "operator", "read")
            elif topic == "Variable":  # AllowVariableSearch: variables rules are not evaluated by the double
                ok = token["Type"] == "management"
            else:  # NodePool ("we can't filter out node pools"), every ACL* topic, "*" and unknown names
                ok = token["Type"] == "management"
            if not ok:
                return None, "Permission denied"
    return namespaces, None
