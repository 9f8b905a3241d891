"""GET /v1/event/stream: Nomad's event stream (command/agent/event_endpoint.go EventStream,
nomad/event_endpoint.go Event.stream, nomad/stream/ndjson.go NewJsonStream); the broker is events.py."""

import time
from urllib.parse import parse_qs, urlsplit

from ..common import HTTPFailure, Streaming, route
from ..events import check_subscription, wire

GO_MAX_INT = 2 ** 63 - 1


def parse_index(text):
    """EventStream: strconv.Atoi of ``index`` ("" is "0"); the int becomes the broker's uint64."""
    text = text or "0"
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit() or not body.isascii():
        raise HTTPFailure(400, 'Unable to parse index: strconv.Atoi: parsing "%s": invalid syntax' % text)
    value = int(text)
    if abs(value) > GO_MAX_INT:
        raise HTTPFailure(400, 'Unable to parse index: strconv.Atoi: parsing "%s": value out of range' % text)
    return value % 2 ** 64  # uint64(args.Index) in Event.stream


def parse_event_topics(values):
    """parseEventTopics / parseTopic: no ``topic`` at all is {"*": ["*"]}; ``T`` is ``T:*``; ``T:k`` keys
    are appended per topic; more than one ``:`` is a 400. Topic names are not checked."""
    if values is None:
        return {"*": ["*"]}
    topics = {}
    for value in values:
        parts = value.split(":")
        if len(parts) == 1:
            topic, key = value, "*"
        elif len(parts) != 2:
            raise HTTPFailure(400, "Invalid topic query: error parsing topics: Invalid key value pair for topic, "
                                   "topic: %s" % value)
        else:
            topic, key = parts
        topics.setdefault(topic, []).append(key)
    return topics


class Events:
    """Handler of /v1/event/stream."""

    def event_stream(self):
        """The checks before the hijack answer with real codes (400); a method other than GET is 405
        (the route takes GET only). Everything after is written by stream()."""
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        index = parse_index((query.get("index") or [""])[-1])
        topics = parse_event_topics(query.get("topic"))
        namespace = self.namespace()  # parseNamespace: "" is "default"; "*" is every namespace
        return 200, Streaming(lambda request: stream(request, topics, namespace, index)), {}


def stream(request, topics, namespace, index):
    """EventStream's hijacked connection: "HTTP/1.1 200 OK" and the headers go out BEFORE the Event.Stream
    RPC authenticates and checks the ACL, so a refusal (bad token, missing capability, broker disabled)
    is a 200 whose body ends at once: the RPC's 403 or 500 cannot reach the client (wrap's WriteHeader on
    a hijacked connection is a no-op). A subscription that passes sends "{}" first (NewJsonStream's
    initial heartbeat), then one frame per line, with "{}" every heartbeat interval from a ticker that
    traffic does not reset. Connection: close framing, no Content-Length, no chunking, no gzip."""
    st = request.state
    broker = st.events
    request.close_connection = True
    head = ("%s 200 OK\r\nCache-Control: no-cache\r\nContent-Type: application/json\r\nVary: Accept-Encoding\r\n"
            "Connection: close\r\n\r\n" % request.request_version)
    try:
        request.wfile.write(head.encode())
        request.wfile.flush()
        with st.lock:
            namespaces, refusal = check_subscription(request, topics, namespace)
            subscription = None
            if refusal is None and broker.enabled:  # State().EventBroker(): "EventBroker not configured", 500
                subscription = broker.subscribe(topics, namespaces, index)
        if subscription is None:
            return
        generation = broker.generation
        request.wfile.write(b"{}\n")
        request.wfile.flush()
        next_beat = time.monotonic() + broker.heartbeat
        with broker.cond:
            broker.open_streams += 1
        try:
            while True:
                with broker.cond:
                    while True:
                        if broker.generation != generation:
                            return
                        try:
                            frames = broker.next_frames(subscription)
                        except LookupError:  # "event dropped from buffer": the subscription ends
                            return
                        beat = time.monotonic() >= next_beat
                        if frames or beat:
                            break
                        broker.cond.wait(max(next_beat - time.monotonic(), 0.001))
                    truncate = bool(frames) and broker.truncate_next
                    if truncate:
                        broker.truncate_next = False
                for frame in frames:
                    line = wire(frame) + b"\n"
                    if truncate:  # test control: the connection dies in the middle of a line
                        request.wfile.write(line[:len(line) // 2])
                        request.wfile.flush()
                        return
                    request.wfile.write(line)
                if beat:
                    request.wfile.write(b"{}\n")
                    next_beat += broker.heartbeat
                request.wfile.flush()
        finally:
            with broker.cond:
                broker.open_streams -= 1
    except OSError:  # the client went away
        return


ROUTES = [
    route("GET", r"/v1/event/stream", Events.event_stream),
]
