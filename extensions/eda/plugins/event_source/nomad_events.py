# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_events: an Event-Driven Ansible event source on Nomad's event stream."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import ssl
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp

DOCUMENTATION = r"""
---
short_description: Events from Nomad's event stream (C(/v1/event/stream)) for ansible-rulebook
version_added: 0.1.0
description:
  - An ansible-rulebook event source that subscribes to a Nomad agent's event stream and puts each
    Nomad event on the rulebook's queue (node status and eligibility changes, allocation client
    status, deployment status, job registrations and every other topic Nomad publishes).
  - Each event keeps Nomad's own fields as Nomad sends them (C(Topic), C(Type), C(Key),
    C(Namespace), C(FilterKeys), C(Index), C(Payload)) and adds C(nomad), a small flat dict for rule
    conditions (see the notes).
  - Connects with the same options and environment variables as the collection's modules
    (C(NOMAD_ADDR), C(NOMAD_TOKEN), C(NOMAD_CACERT), C(NOMAD_CLIENT_CERT), C(NOMAD_CLIENT_KEY),
    C(NOMAD_NAMESPACE), C(NOMAD_REGION)); the token is sent in the C(X-Nomad-Token) header only.
  - A dropped stream or a restarted server is reconnected with exponential backoff, resuming after
    the last index delivered; frames at or below that index are dropped (Nomad resumes AT the index
    asked for, and a restarted server replays its log), so no event is delivered twice. Events older
    than the server's event buffer (C(event_buffer_size), 100 indexes by default) cannot be
    replayed; Nomad gives no sign of such a gap.
  - A refused subscription stops the source with a message that says why, without retrying. Nomad
    2.0.5 refuses with C(200 OK) and an empty body (the connection closes before the first
    heartbeat); older versions with C(403 Permission denied). A TLS failure (unknown CA, certificate
    refused by the agent, client certificate required) stops it the same way.
options:
  url:
    description:
      - Address of a Nomad agent HTTP API, for example V(https://nomad.example.com:4646).
      - If not set, the environment variable E(NOMAD_ADDR) is used, then V(http://127.0.0.1:4646).
    type: str
    aliases: [address]
  token:
    description:
      - Nomad ACL token (SecretID). If not set, E(NOMAD_TOKEN) is used.
      - Needs C(node:read) for the C(Node) topic and C(read-job) on each watched namespace for
        C(Job), C(Allocation), C(Deployment), C(Evaluation) and C(Service); C(NodePool), C(ACL*) and
        C(*) need a management token (Nomad's C(nomad/event_endpoint.go) C(validateNsOp)).
    type: str
  ca_cert:
    description:
      - CA certificate (PEM) that signed the agent's HTTPS certificate. If not set, E(NOMAD_CACERT) is used.
    type: path
  client_cert:
    description:
      - Client certificate (PEM) for mutual TLS. Needs O(client_key). If not set, E(NOMAD_CLIENT_CERT) is used.
    type: path
  client_key:
    description:
      - Private key (PEM) of O(client_cert). If not set, E(NOMAD_CLIENT_KEY) is used.
    type: path
  validate_certs:
    description:
      - Verify the agent's TLS certificate. Only turn this off for throw-away test clusters.
    type: bool
    default: true
  region:
    description:
      - Nomad region to address. If not set, E(NOMAD_REGION) is used, then the agent's own region.
    type: str
  namespace:
    description:
      - Namespace whose events to receive (V(*) for every namespace that exists when the stream
        starts). If not set, E(NOMAD_NAMESPACE) is used, then V(default). Events without a namespace
        (C(Node), C(NodePool)) always come through.
    type: str
  timeout:
    description:
      - Seconds to wait for a connection and for each answer of the start-up reads.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a start-up read (the leader check, the start index, the node list)
        after a connection error or a 5xx answer before waiting for the next reconnect.
    type: int
    default: 3
  topics:
    description:
      - Topics to subscribe to, in Nomad's filter syntax C(Topic) or C(Topic:Key), for example
        V(Node), V(Allocation:web) (the allocations of job C(web), as Nomad matches a key against the
        event's C(Key) and C(FilterKeys)) or V(Deployment:web).
      - Known topics are C(Node), C(NodePool), C(Job), C(Allocation), C(Deployment), C(Evaluation),
        C(Service), C(HostVolume), C(CSIVolume), C(CSIPlugin), C(Variable), C(Operator), C(ACLToken),
        C(ACLPolicy), C(ACLRole), C(ACLAuthMethod), C(ACLBindingRule) and C(*) (every topic). Other
        names are refused here (Nomad would accept them, ask for a management token and send nothing).
    type: list
    elements: str
    default: [Node]
  filter_keys:
    description:
      - More keys per topic, as a dict of topic to a list of keys, merged with O(topics), for example
        V(Allocation) to V([web, api]). A topic whose keys include C(*) receives all its events.
    type: dict
  index:
    description:
      - Raft index to start at. V(0) replays the server's whole event buffer first (up to
        C(event_buffer_size) old indexes, so old downs, readies and failures a rule may react to again).
      - If not set, the stream starts now - after the highest index of the subscribed topics' state
        (the C(X-Nomad-Index) of their list endpoints), so only changes from now on arrive.
    type: int
  meta_hosts:
    description:
      - Set C(meta.hosts) of C(Node) and C(Allocation) events to the Nomad node name, which limits
        C(run_playbook), C(run_module) and C(run_job_template) to that inventory host.
      - Only for inventories whose host names are Nomad node names (the C(edgeops.nomad.nomad_nodes)
        inventory names them so); a limit that matches no inventory host fails the playbook run.
    type: bool
    default: false
  heartbeat_timeout:
    description:
      - Seconds without any data, heartbeats included, after which the connection counts as dead and is
        reconnected. Nomad sends a heartbeat every 30 seconds.
    type: float
    default: 75
  backoff:
    description:
      - Seconds to wait before the first reconnect; doubled after each failed attempt (with jitter) up
        to O(max_backoff), and back to this value once a stream has been established.
    type: float
    default: 1
  max_backoff:
    description:
      - Longest wait between two reconnects, in seconds.
    type: float
    default: 60
notes:
  - "The C(nomad) part of each event (keys not given for a topic are absent):
    C(topic), C(type), C(index), C(namespace) for every event;
    C(Node) events: C(node_id), C(node_name), C(node_pool), C(datacenter), C(node_status),
    C(previous_node_status) (the status this source last saw for the node, from the node list read at
    start and the Node events since; absent for a node it has never seen), C(eligibility), C(drain)
    (a drain is running);
    C(Allocation) events: C(alloc_id), C(alloc_name), C(alloc_status) (the client status: pending,
    running, complete, failed, lost, unknown), C(desired_status), C(job_id), C(node_id), C(node_name),
    and C(node_pool) and C(datacenter) of its node (Nomad's allocation carries neither; they come
    from the node list, which needs C(node:read));
    C(Deployment) events: C(deployment_id), C(deployment_status), C(status_description), C(job_id),
    C(job_version);
    C(Job) events: C(job_id), C(job_status), C(job_version), C(job_stable), C(deleted) (purged);
    C(Evaluation) events: C(eval_id), C(eval_status), C(job_id), C(triggered_by)."
  - "The event Type is the Raft message of the whole change, not a verb per object: a node that
    misses its heartbeats goes down as Type C(NodeStreamEvent), lost allocations arrive as
    C(PlanResult). Write conditions on the state (C(event.nomad.node_status), C(event.nomad.alloc_status))."
  - "C(meta.uuid) is derived from Index, Topic, Key and Type, so an event keeps its id."
  - Needs the Python package C(aiohttp) (ansible-rulebook depends on it) and ansible-core, whose HTTP
    client the start-up reads share with the modules.
"""

EXAMPLES = r"""
- name: Edge nodes of this Nomad cluster
  hosts: all
  sources:
    - edgeops.nomad.nomad_events:
        topics: [Node]
  rules:
    - name: An edge node is back after being down
      condition: >-
        event.nomad.node_status == "ready" and event.nomad.previous_node_status in ["down", "disconnected"]
      action:
        run_playbook:
          name: edgeops.nomad.edge_client_recovered

- name: Deployments and allocations of the edge namespace, over mutual TLS
  hosts: localhost
  sources:
    - edgeops.nomad.nomad_events:
        url: https://nomad.example.com:4646
        ca_cert: /etc/nomad.d/tls/ca.pem
        client_cert: /etc/nomad.d/tls/cli.pem
        client_key: /etc/nomad.d/tls/cli-key.pem
        namespace: edge
        topics:
          - Deployment
          - Allocation:sensor-gateway
  rules:
    - name: Print failed deployments
      condition: event.nomad.deployment_status == "failed"
      action:
        print_event:
"""

LOG = logging.getLogger("edgeops.nomad.nomad_events")

# nomad/structs/event.go: the topics Nomad 2.0.5 publishes, and "*" (every topic).
TOPICS = ("ACLToken", "ACLPolicy", "ACLRole", "ACLAuthMethod", "ACLBindingRule", "Job", "Allocation", "Deployment",
          "Evaluation", "Node", "NodePool", "Service", "HostVolume", "CSIVolume", "CSIPlugin", "Operator", "Variable",
          "*")
# nomad/event_endpoint.go validateNsOp: the capability each topic needs; the rest (default: case) needs
# a management token.
TOPIC_ACL = {
    "Node": 'node { policy = "read" }',
    "Job": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "Allocation": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "Deployment": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "Evaluation": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "Service": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "CSIPlugin": 'namespace "<ns>" { capabilities = ["read-job"] }',
    "CSIVolume": 'namespace "<ns>" { capabilities = ["csi-read-volume"] }',
    "HostVolume": 'namespace "<ns>" { capabilities = ["host-volume-read"] }',
    "Variable": 'namespace "<ns>" { variables { path "*" { capabilities = ["list"] } } }',
    "Operator": 'operator { policy = "read" }',
}
# The list endpoint whose X-Nomad-Index is the state index of a topic's objects (the "start now" index).
TOPIC_LIST = {
    "Node": "/v1/nodes", "Allocation": "/v1/allocations", "Deployment": "/v1/deployments", "Job": "/v1/jobs",
    "Evaluation": "/v1/evaluations", "NodePool": "/v1/node/pools", "Service": "/v1/services",
}
OPTIONS = ("url", "address", "token", "ca_cert", "client_cert", "client_key", "validate_certs", "region", "namespace",
           "timeout", "retries", "topics", "filter_keys", "index", "meta_hosts", "heartbeat_timeout", "backoff",
           "max_backoff")
EVENT_UUID_NAMESPACE = uuid.UUID("5b4d7a2e-8d0c-4f6a-9a51-2c1e0b7f4d93")
BUFFER_FRAMES = 1000  # frames read ahead of the rulebook; a full buffer pauses reading (Nomad may then cut, we resume)


class NomadEventSourceError(Exception):
    """The source cannot go on (refused subscription, TLS failure, bad option): stops it, no retry."""


class _Retry(Exception):
    """The stream ended or failed in a way a reconnect can cure. ``tls_suspect``: a connection-level failure
    on https, which a refused TLS handshake can also look like (a reset overtaking the alert)."""

    def __init__(self, message, tls_suspect=False):
        super().__init__(message)
        self.tls_suspect = tls_suspect


class _Refused(Exception):
    """The server refused the subscription (403, or 200 with no heartbeat before the end)."""

    def __init__(self, how, body=""):
        super().__init__(how)
        self.how = how
        self.body = body


def _nomad_api():
    """The collection's HTTP client module (plugins/module_utils/_nomad_api.py): the one NOMAD_* mapping,
    TLS context and error classes every plugin of edgeops.nomad shares. ansible-rulebook runs this file
    with runpy, so the collections root is put on sys.path when the file lives in an installed collection."""
    try:
        from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api as api
    except ImportError:
        here = Path(os.path.abspath(__file__))
        if len(here.parents) > 7 and here.parents[6].name == "ansible_collections":
            sys.path.insert(0, str(here.parents[7]))
            from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api as api
        else:
            raise NomadEventSourceError(
                "nomad_events: cannot import edgeops.nomad's module_utils; install the collection and use the "
                "source by its name edgeops.nomad.nomad_events") from None
    return api


def parse_topics(topics, filter_keys=None):
    """``topics`` (``Topic`` or ``Topic:Key`` strings) plus ``filter_keys`` ({topic: [keys]}) ->
    {topic: [keys]} in Nomad's query form (nomad/stream command/agent/event_endpoint.go parseEventTopics).

    A topic whose keys include ``*`` is collapsed to ``["*"]``: Nomad's ``eventMatchesKey``
    (nomad/stream/subscription.go) treats ``*`` as a wildcard only when it is the only key, so
    ``Node:*`` next to ``Node:abc`` would otherwise deliver only ``abc``.
    """
    wanted: dict[str, list[str]] = {}
    errors = []
    if isinstance(topics, str):
        topics = [topics]
    for raw in topics or []:
        text = str(raw).strip()
        parts = text.split(":")
        if len(parts) > 2 or not parts[0] or (len(parts) == 2 and not parts[1]):
            errors.append("%r is not Topic or Topic:Key" % text)
            continue
        topic, key = parts[0], parts[1] if len(parts) == 2 else "*"
        wanted.setdefault(topic, []).append(key)
    if filter_keys is not None and not isinstance(filter_keys, dict):
        errors.append("filter_keys must be a dict of topic to a list of keys")
        filter_keys = {}
    for topic, keys in (filter_keys or {}).items():
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or not keys:
            errors.append("filter_keys.%s must be a non-empty list of keys" % topic)
            continue
        wanted.setdefault(str(topic), []).extend(str(k) for k in keys)
    unknown = sorted(t for t in wanted if t not in TOPICS)
    if unknown:
        errors.append("unknown topic(s) %s; Nomad publishes %s" % (", ".join(unknown), ", ".join(TOPICS)))
    if not wanted and not errors:
        errors.append("at least one topic is needed")
    if errors:
        raise NomadEventSourceError("topics: " + "; ".join(errors))
    result = {}
    for topic, keys in wanted.items():
        unique = list(dict.fromkeys(keys))
        result[topic] = ["*"] if "*" in unique else unique
    return result


def _node_summary(node):
    return {"Name": node.get("Name"), "Status": node.get("Status"), "NodePool": node.get("NodePool"),
            "Datacenter": node.get("Datacenter")}


def flatten(event, nodes):
    """The ``nomad`` part of an event (documented in DOCUMENTATION notes); ``nodes`` is the node cache
    ({ID: {Name, Status, NodePool, Datacenter}}) before this event."""
    topic = event.get("Topic")
    payload = event.get("Payload") or {}
    flat = {"topic": topic, "type": event.get("Type"), "index": event.get("Index"),
            "namespace": event.get("Namespace") or None}
    if topic == "Node":
        node = payload.get("Node") or {}
        seen = nodes.get(node.get("ID"))
        flat.update(node_id=node.get("ID"), node_name=node.get("Name"), node_pool=node.get("NodePool"),
                    datacenter=node.get("Datacenter"), node_status=node.get("Status"),
                    eligibility=node.get("SchedulingEligibility"), drain=node.get("DrainStrategy") is not None)
        if seen is not None:
            flat["previous_node_status"] = seen.get("Status")
    elif topic == "Allocation":
        alloc = payload.get("Allocation") or {}
        node = nodes.get(alloc.get("NodeID")) or {}
        flat.update(alloc_id=alloc.get("ID"), alloc_name=alloc.get("Name"), alloc_status=alloc.get("ClientStatus"),
                    desired_status=alloc.get("DesiredStatus"), job_id=alloc.get("JobID"), node_id=alloc.get("NodeID"),
                    node_name=alloc.get("NodeName") or node.get("Name"))
        if node:
            flat.update(node_pool=node.get("NodePool"), datacenter=node.get("Datacenter"))
    elif topic == "Deployment":
        dep = payload.get("Deployment") or {}
        flat.update(deployment_id=dep.get("ID"), deployment_status=dep.get("Status"),
                    status_description=dep.get("StatusDescription"), job_id=dep.get("JobID"),
                    job_version=dep.get("JobVersion"))
    elif topic == "Job":
        job = payload.get("Job") or {}
        flat.update(job_id=job.get("ID"), job_status=job.get("Status"), job_version=job.get("Version"),
                    job_stable=job.get("Stable"), deleted=bool(payload.get("Deleted")))
    elif topic == "Evaluation":
        ev = payload.get("Evaluation") or {}
        flat.update(eval_id=ev.get("ID"), eval_status=ev.get("Status"), job_id=ev.get("JobID"),
                    triggered_by=ev.get("TriggeredBy"))
    return flat


def _bool(value, name):
    """A boolean option as ansible reads one (a rulebook variable may turn it into the text "false")."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1", "y", "t"):
        return True
    if text in ("false", "no", "off", "0", "n", "f", ""):
        return False
    raise NomadEventSourceError("%s: must be true or false (got %r)" % (name, value))


class NomadEventSource:
    """One subscription: start-up reads, the stream with reconnects, the frames turned into events."""

    def __init__(self, args, environ=None):
        unknown = sorted(k for k in args if k not in OPTIONS and not k.startswith("eda_"))
        if unknown:
            raise NomadEventSourceError("nomad_events: unknown option(s) %s; the options are %s"
                                        % (", ".join(unknown), ", ".join(OPTIONS)))
        self.api = _nomad_api()
        settings = dict(args)
        if settings.get("url") in (None, "") and settings.get("address"):
            settings["url"] = settings["address"]
        if settings.get("validate_certs") is not None:
            settings["validate_certs"] = _bool(settings["validate_certs"], "validate_certs")
        try:
            keys = ("url", "token", "ca_cert", "client_cert", "client_key", "validate_certs", "region", "namespace",
                    "timeout", "retries")
            self.client = self.api.NomadClient.from_settings({k: settings.get(k) for k in keys},
                                                             environ=os.environ if environ is None else environ)
        except self.api.NomadAPIError as exc:
            raise NomadEventSourceError("nomad_events: %s" % exc) from None
        topics = args.get("topics")
        self.topics = parse_topics(["Node"] if topics is None else topics, args.get("filter_keys"))
        for topic in sorted(self.topics):
            if topic not in TOPIC_ACL:
                LOG.warning("nomad_events: topic %s needs a management token (nomad/event_endpoint.go validateNsOp)",
                            topic)
        self.index = self._number(args, "index", None, int, 0)
        self.meta_hosts = _bool(args.get("meta_hosts", False), "meta_hosts")
        self.heartbeat_timeout = self._number(args, "heartbeat_timeout", 75, float, 0.001)
        self.backoff = self._number(args, "backoff", 1, float, 0)
        self.max_backoff = self._number(args, "max_backoff", 60, float, 0)
        self.last_index = 0  # Index of the last frame taken: every frame at or below it is dropped
        self.nodes = {}  # node ID -> {Name, Status, NodePool, Datacenter}
        self.buffer = asyncio.Queue(BUFFER_FRAMES)
        self.stats = {"frames": 0, "events": 0, "duplicates": 0, "heartbeats": 0, "connections": 0}
        self._started = False
        self._connected_once = False

    @staticmethod
    def _number(args, name, default, kind, minimum):
        value = args.get(name, default)
        if value is None:
            return None
        try:
            value = kind(value)
        except (TypeError, ValueError):
            raise NomadEventSourceError("%s: must be a number (got %r)" % (name, value)) from None
        if value < minimum:
            raise NomadEventSourceError("%s: must be %s or more (got %r)" % (name, minimum, value))
        return value

    # -- start-up reads (the collection's HTTP client, in a thread) ------------------------------------
    async def _call(self, method, *args, **kwargs):
        return await asyncio.to_thread(method, *args, **kwargs)

    def _tls_error(self, text):
        return NomadEventSourceError(
            "nomad_events: TLS failure talking to %s, not retried: %s (check ca_cert / NOMAD_CACERT, and "
            "client_cert and client_key when the agent requires client certificates)" % (self.client.url, text))

    async def _start_up(self):
        """Leader check (TLS and reachability, no ACL needed), then the node cache and the start index."""
        api = self.api
        try:
            await self._call(self.client.get, "/v1/status/leader", namespaced=False)
        except api.NomadTLSError as exc:
            raise self._tls_error(exc.message) from None
        if self.index is not None:
            self.last_index = max(self.index - 1, 0)
        if set(self.topics) & {"Node", "Allocation", "*"}:
            await self._seed_nodes()
        highest = 0
        if self.index is None:
            topics = TOPIC_LIST if "*" in self.topics else [t for t in self.topics if t in TOPIC_LIST]
            for path in sorted(set(TOPIC_LIST[t] for t in topics)):
                try:
                    resp = await self._call(self.client.get, path, query={"per_page": 1},
                                            namespaced=path not in ("/v1/nodes", "/v1/node/pools"))
                except (api.NomadConnectionError, api.NomadTLSError):
                    raise
                except api.NomadAPIError as exc:
                    if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                        # a token that may stream a topic may still lack its list capability (list-jobs)
                        LOG.info("nomad_events: %s answered %s (%s); the start index leaves it out", path,
                                 exc.status, exc.body)
                        continue
                    raise
                highest = max(highest, resp.index or 0)
            self.last_index = highest
            LOG.info("nomad_events: starting after index %d (the subscribed topics' state now)", highest)
        self._started = True

    async def _seed_nodes(self):
        if self.nodes:
            return
        try:
            stubs = await self._call(self.client.get_all, "/v1/nodes", namespaced=False)
        except self.api.NomadPermissionError:
            LOG.warning("nomad_events: the token may not read nodes (node:read): no datacenter, node pool or "
                        "previous status in the events")
            return
        for stub in stubs:
            self.nodes[stub["ID"]] = _node_summary(stub)

    async def _check_tls(self):
        """After a connection-level failure on https, one plain request tells a refused handshake (stop)
        from a network problem (reconnect)."""
        try:
            await self._call(self.client.get, "/v1/status/leader", namespaced=False)
        except self.api.NomadTLSError as exc:
            raise self._tls_error(exc.message) from None
        except self.api.NomadAPIError:
            pass

    async def _diagnose_refusal(self, refused):
        """Why the subscription was refused, as precisely as GET /v1/acl/token/self can tell
        (command/agent/acl_endpoint.go aclTokenSelf: 403 "ACL token not found" for an unknown or
        expired token)."""
        api = self.api
        shape = ("403 %s" % (refused.body or "Permission denied")) if refused.how == "403" else \
            "200 OK, then closed before the first heartbeat, as Nomad 2.0 refuses"
        needs = "; ".join("%s: %s" % (t, TOPIC_ACL.get(t, "a management token")) for t in sorted(self.topics))
        ns = self.client.namespace or "default"
        try:
            await self._call(self.client.get, "/v1/acl/token/self", namespaced=False)
            why = ("the token is valid but lacks a capability for the topics or namespace %r (%s); or the "
                   "server's event broker is off (server.enable_event_broker)" % (ns, needs))
        except api.NomadPermissionError as exc:
            why = "the token is unknown or expired (%s)" % (exc.body or "ACL token not found")
        except api.NomadAPIError as exc:
            why = ("the token could not be checked (%s); the subscription needs %s" % (exc.message, needs))
        return NomadEventSourceError("nomad_events: ACL refusal, not retried: %s refused the event stream "
                                     "subscription (%s): %s" % (self.client.url, shape, why))

    # -- the stream ------------------------------------------------------------------------------------
    def _query(self):
        params = [("index", str(self.last_index + 1))]
        for topic in sorted(self.topics):
            params.extend(("topic", "%s:%s" % (topic, key)) for key in self.topics[topic])
        if self.client.namespace:
            params.append(("namespace", self.client.namespace))
        if self.client.region:
            params.append(("region", self.client.region))
        return params

    def _headers(self):
        headers = {"Accept": "application/json", "User-Agent": "edgeops.nomad.nomad_events"}
        if self.client.token:
            headers["X-Nomad-Token"] = self.client.token
        return headers

    async def _stream_once(self, session):
        """One connection; returns never: raises _Refused, _Retry or NomadEventSourceError."""
        url = self.client.url + "/v1/event/stream"
        ssl_arg = self.client.tls_context() if url.startswith("https://") else None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.client.timeout,
                                        sock_read=self.heartbeat_timeout)
        subscribed = False
        try:
            async with session.get(url, params=self._query(), headers=self._headers(), ssl=ssl_arg,
                                   timeout=timeout) as resp:
                self.stats["connections"] += 1
                if resp.status == 403:  # Nomad <= 1.11.1 (no hijack): a real 403 with its text
                    raise _Refused("403", (await resp.text()).strip()[:200])
                if resp.status in (400, 404, 405):  # EventStream's checks (bad index, topic); no stream at this URL
                    raise NomadEventSourceError("nomad_events: %s refused the request: %s %s" % (
                        url, resp.status, (await resp.text()).strip()[:300]))
                if resp.status != 200:
                    raise _Retry("answer %s: %s" % (resp.status, (await resp.text()).strip()[:200]))
                pending = bytearray()
                async for chunk in resp.content.iter_any():
                    pending.extend(chunk)
                    while True:
                        end = pending.find(b"\n")
                        if end < 0:
                            break
                        line = bytes(pending[:end]).strip()
                        del pending[:end + 1]
                        if line:
                            subscribed = await self._line(line, subscribed)
                # EOF. Only lines ending in "\n" were taken: a cut half line is read again after the resume.
                if not subscribed:
                    raise _Refused("empty")
                raise _Retry("the server closed the stream")
        except (_Refused, _Retry, NomadEventSourceError, asyncio.CancelledError):
            raise
        except aiohttp.ClientSSLError as exc:
            raise self._tls_error(str(exc)) from None
        except aiohttp.ClientOSError as exc:
            if isinstance(exc.__cause__, ssl.SSLError) or isinstance(getattr(exc, "os_error", None), ssl.SSLError):
                raise self._tls_error(str(exc)) from None
            raise _Retry(str(exc) or type(exc).__name__, tls_suspect=url.startswith("https://")) from None
        except ssl.SSLError as exc:
            raise self._tls_error(str(exc)) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            what = "no data for %ss" % self.heartbeat_timeout if isinstance(exc, asyncio.TimeoutError) else str(exc)
            raise _Retry(what or type(exc).__name__) from None
        finally:
            if subscribed:
                self._connected_once = True

    async def _line(self, line, subscribed):
        """One line of the stream: a heartbeat ``{}`` or a frame ``{"Events": [...], "Index": N}``
        (nomad/stream/ndjson.go NewJsonStream; api/event_stream.go Events.IsHeartbeat)."""
        try:
            frame = json.loads(line)
        except ValueError:
            raise _Retry("a line of the stream is not JSON: %r" % line[:80]) from None
        index = int(frame.get("Index") or 0) if isinstance(frame, dict) else 0
        events = frame.get("Events") if isinstance(frame, dict) else None
        if index == 0 and not events:
            self.stats["heartbeats"] += 1
            return True
        if index <= self.last_index:
            # Nomad resumes AT the asked index, and past its end at its newest frame
            # (nomad/stream/event_buffer.go StartAtClosest); a restarted server replays its log.
            self.stats["duplicates"] += 1
            return True
        seen = set()
        for event in events or []:
            # nomad/stream/subscription.go filter: an event matching two keys of one request is appended twice
            ident = (event.get("Topic"), event.get("Key"), event.get("Type"))
            if ident in seen:
                continue
            seen.add(ident)
            await self.buffer.put(self._event(event, index))
        self.last_index = index
        self.stats["frames"] += 1
        return True

    def _event(self, event, index):
        event = dict(event)
        event.setdefault("Index", index)
        flat = flatten(event, self.nodes)
        if event.get("Topic") == "Node":
            node = (event.get("Payload") or {}).get("Node") or {}
            if node.get("ID"):
                if event.get("Type") == "NodeDeregistration":
                    self.nodes.pop(node["ID"], None)
                else:
                    self.nodes[node["ID"]] = _node_summary(node)
        event["nomad"] = flat
        meta = {"uuid": str(uuid.uuid5(EVENT_UUID_NAMESPACE, "%s/%s/%s/%s" % (
            index, event.get("Topic"), event.get("Key"), event.get("Type"))))}
        if self.meta_hosts and flat.get("node_name"):
            meta["hosts"] = flat["node_name"]
        event["meta"] = meta
        self.stats["events"] += 1
        return event

    async def read(self):
        """Connect, read, reconnect with backoff until cancelled or refused."""
        delay = self.backoff
        refusals = 0
        async with aiohttp.ClientSession() as session:
            while True:
                self._connected_once = False
                reason = "the stream ended"
                try:
                    if not self._started:
                        await self._start_up()
                    await self._stream_once(session)
                except _Refused as refused:
                    refusals += 1
                    if refusals > 1:  # one immediate retry: a server restarting between the headers and the RPC
                        raise await self._diagnose_refusal(refused) from None
                    LOG.info("nomad_events: subscription refused (%s); checking once more", refused.how)
                    continue
                except _Retry as exc:
                    reason = str(exc)
                    if exc.tls_suspect and not self._connected_once:
                        await self._check_tls()
                except self.api.NomadTLSError as exc:
                    raise self._tls_error(exc.message) from None
                except self.api.NomadAPIError as exc:
                    reason = str(exc)
                if self._connected_once:
                    delay, refusals = self.backoff, 0
                wait = min(delay, self.max_backoff) * random.uniform(0.5, 1.0)
                LOG.warning("nomad_events: %s; reconnecting in %.1fs after index %d", reason, wait, self.last_index)
                await asyncio.sleep(wait)
                delay = min(max(delay, 0.001) * 2, self.max_backoff)

    async def run(self, queue):
        """Read in a task of its own (Nomad drops a reader silent for 40 s, and the rulebook's queue holds
        one event), hand the events to the rulebook in order; a fatal error comes after the events read
        before it."""
        reader = asyncio.create_task(self.read())
        getter = None
        try:
            while True:
                getter = asyncio.ensure_future(self.buffer.get())
                done, dummy = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await queue.put(getter.result())
                    continue
                getter.cancel()
                if getter.done() and not getter.cancelled():
                    await queue.put(getter.result())
                while not self.buffer.empty():
                    await queue.put(self.buffer.get_nowait())
                reader.result()  # raises the reader's error
                return
        finally:
            if getter is not None:
                getter.cancel()
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):  # pylint: disable=broad-except
                pass


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """ansible-rulebook's entry point: put Nomad's events on ``queue`` until cancelled."""
    source = NomadEventSource(args)
    await source.run(queue)


if __name__ == "__main__":
    # python nomad_events.py  (NOMAD_ADDR, NOMAD_TOKEN from the environment): prints the events.

    class MockQueue(asyncio.Queue):
        """Prints each event instead of queueing it."""

        async def put(self, item):
            print(json.dumps(item, sort_keys=True))  # noqa: T201

    asyncio.run(main(MockQueue(), {"topics": sys.argv[1:] or ["Node"]}))
