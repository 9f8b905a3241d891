"""/_double/<what>: the test-only control endpoints (never a Nomad path): fault injection, poll counts,
autopilot health, server versions, the Raft servers, other regions' servers, ACL bootstrap reset, the request
log, issued secrets, a read-only peek without a token, node attribute changes, Nomad's clock, the servers'
configuration, simulated agents that stop heartbeating, and what the servers logged and counted; the stand-ins
for clients and the cluster's own doings (node status, node registration, allocation status, deployment
status), all through DoubleState's change methods so their events reach the event stream; the event broker's
knobs and a cut of the open streams; and what Nomad's clients and jobs would
write for volumes and services (CSI plugins, host volume plugins, service registrations, allocation check results)
and the edition the double plays."""

import uuid
from urllib.parse import parse_qs, urlsplit

from ..common import JSON_NULL, HTTPFailure, format_duration, parse_duration, route
from ..lifecycle import AdvanceRefused, RPCError


class Control:
    """Handler of /_double/<what>."""

    def control(self, what):
        body = self.json_body(required=False) or {}
        st = self.state
        if what == "fault":
            st.faults.append({"path": body["path"], "method": body.get("method"), "status": body.get("status", 500),
                              "body": body.get("body", "injected fault"), "remaining": body.get("count", 1)})
        elif what == "drain-polls":
            st.drain_polls = int(body.get("reads", 2))
        elif what == "autopilot-health":
            st.autopilot_healthy = bool(body.get("healthy", True))
        elif what == "servers-version":  # the servers came back on another version (a roll's outcome)
            st.server_version = str(body["version"])
        elif what == "servers":  # the Raft servers after servers joined or left: [{name, address}]
            st.set_servers([(s["name"], s["address"]) for s in body["servers"]])
        elif what == "wan":  # a server of another region answers gossip at this address (no gossip runs here)
            st.wan_servers[body["address"]] = body["region"]
        elif what == "acl-bootstrap-reset":
            st.acl_reset_index = st.acl_bootstrap_index
        elif what == "requests":
            return 200, list(st.requests), {}
        elif what == "secrets":  # every SecretID the double knows, for leak checks in test output
            return 200, sorted(st.issued_secrets | set(t["SecretID"] for t in st.tokens.values())), {}
        elif what == "peek":  # read-only look at server state without a token (tests verify check mode)
            target = self.query.get("path", "")
            saved = (self.route_path, self.command, self.query)
            self.route_path, self.command = urlsplit(target).path, "GET"
            self.query = dict((k, v[-1]) for k, v in parse_qs(urlsplit(target).query).items())
            self._bypass_auth = True
            try:
                handler, groups = self._route()
                status, data = handler(self, *groups)[:2]
                return 200, {"status": status, "data": None if data is JSON_NULL else data}, {}
            except HTTPFailure as exc:
                return 200, {"status": exc.status, "error": exc.text}, {}
            finally:
                self.route_path, self.command, self.query = saved
                self._bypass_auth = False
        elif what == "clear-requests":
            st.requests = []
        elif what == "clock":  # {"advance": "72h", "connected": [names]}: Nomad's clock moves through every
            # transition on the way; 409 and no move when a node named connected is not heartbeating
            answer = {}
            if self.command == "POST" and body.get("advance") is not None:
                try:
                    step = parse_duration(body["advance"])
                except ValueError as exc:
                    raise HTTPFailure(400, str(exc))
                if step < 0:
                    raise HTTPFailure(400, "the clock only moves forward")
                try:
                    answer["Carried"] = st.advance(step, body.get("connected") or ())
                except AdvanceRefused as exc:
                    raise HTTPFailure(409, str(exc))
            answer.update(Now=st.clock.now_ns(), Offset=st.clock.offset_ns, Time=st.clock.rfc3339())
            return 200, answer, {}
        elif what == "server-config":  # the servers' agent config: {"server": {...}, "advertise": {"rpc": ...}}
            if self.command == "POST":
                try:
                    st.set_server_config(body)
                except RPCError as exc:
                    raise HTTPFailure(exc.status, exc.text)
            cfg = dict(st.server_config)
            for key in ("heartbeat_grace", "min_heartbeat_ttl", "node_gc_threshold", "node_gc_interval",
                        "default_identity_ttl", "max_identity_ttl"):
                cfg[key] = format_duration(cfg[key])
            return 200, cfg, {}
        elif what == "node-agent":  # a simulated agent stops (or starts again) heartbeating
            st.set_agent_heartbeating(self._control_node(body), bool(body.get("heartbeating", False)))
        elif what == "server-log":  # what the servers logged, and the introduction violation counter
            return 200, {"log": list(st.server_log), "introduction_violation_num": st.intro_violations}, {}
        elif what == "node-attributes":  # a node's agent came back changed (e.g. a new nomad.version)
            node = next((n for n in st.nodes.values() if n["Name"] == body.get("name")), None)
            if node is None:
                raise HTTPFailure(404, "node not found")
            st.update_node_attributes(node, body.get("attributes") or {})
        elif what == "node-status":  # a node misses its heartbeats (down, disconnected) or comes back (ready)
            node = self._control_node(body)
            if body.get("status") not in ("initializing", "ready", "down", "disconnected"):
                raise HTTPFailure(400, "status must be initializing, ready, down or disconnected")
            return 200, {"ok": True, "Index": st.change_node_status(node, body["status"])}, {}
        elif what == "node-register":  # a new client registers (in a node pool that may not exist yet)
            node = st.register_fake_node(body["name"], body.get("node_pool", "default"), body.get("datacenter", "dc1"))
            return 200, {"ok": True, "ID": node["ID"], "Index": node["CreateIndex"]}, {}
        elif what == "alloc-status":  # clients report the status of allocations (by ID, or all of a job)
            allocs = [a for a in st.allocs.values() if a["ID"] == body.get("id") or (
                a["JobID"] == body.get("job") and a["Namespace"] == body.get("namespace", "default")
                and a["DesiredStatus"] == "run")]
            if not allocs:
                raise HTTPFailure(404, "allocation not found")
            return 200, {"ok": True, "Index": st.set_alloc_client_status(allocs, body["status"])}, {}
        elif what == "deployment-status":  # the deployment watcher fails (or completes) a job's latest deployment
            dep = st.deployments.get((body.get("namespace", "default"), body.get("job")))
            if dep is None:
                raise HTTPFailure(404, "deployment not found")
            index = st.set_deployment_status(dep, body["status"], body.get("description", ""))
            return 200, {"ok": True, "Index": index}, {}
        elif what == "event-stream":  # knobs of the event broker: heartbeat seconds, buffer size, enabled
            broker = st.events
            with broker.cond:
                if "heartbeat" in body:
                    broker.heartbeat = float(body["heartbeat"])
                if "enabled" in body:
                    broker.enabled = bool(body["enabled"])
            if "buffer_size" in body:
                broker.resize(int(body["buffer_size"]))
        elif what == "event-stream-cut":  # every open stream closes (partial: in the middle of its next line)
            st.events.cut(partial=bool(body.get("partial")))
        elif what == "event-stream-status":  # open streams, events published, the indexes in the buffer
            broker = st.events
            with broker.cond:
                return 200, {"open_streams": broker.open_streams, "published": broker.published,
                             "buffered": [index for index, dummy in broker.items]}, {}
        elif what == "edition":  # the same double answers as the community edition or as Nomad Enterprise
            st.enterprise = bool(body.get("enterprise"))
        elif what == "host-volume-polls":
            st.host_volume_polls = int(body.get("reads", 1))
        elif what == "host-volume-plugin":  # an external plugin in the host_volume_plugin_dir of some nodes
            for node in st.nodes.values():
                if not body.get("node_pool") or node["NodePool"] == body["node_pool"]:
                    node["Attributes"]["plugins.host_volume.%s.version" % body["id"]] = body.get("version", "0.1.0")
        elif what == "csi-plugin":  # a CSI plugin job's controllers and nodes registered their plugin
            idx = st.next_index()
            caps = body.get("capabilities")
            plugin = {"ID": body["ID"], "Provider": body.get("Provider", "csi.example.com"),
                      "Version": body.get("Version", "1.0.0"),
                      "ControllerRequired": bool(body.get("ControllerRequired", True)),
                      "ControllersHealthy": int(body.get("ControllersHealthy", 1)),
                      "ControllersExpected": int(body.get("ControllersExpected", 1)),
                      "NodesHealthy": int(body.get("NodesHealthy", 2)), "NodesExpected": int(body.get("NodesExpected", 2)),
                      "Controllers": {}, "Nodes": {}, "Allocations": [], "CreateIndex": idx, "ModifyIndex": idx,
                      "_capabilities": ["create_delete", "expand"] if caps is None else list(caps)}
            st.csi_plugins[plugin["ID"]] = plugin
        elif what == "service-registration":  # a client registered a service of a running allocation
            idx = st.next_index()
            reg = {"ID": body.get("ID") or "_nomad-task-%s-%s-%s" % (body["AllocID"], body["ServiceName"],
                                                                     body.get("Port", 0)),
                   "ServiceName": body["ServiceName"], "Namespace": body.get("Namespace", "default"),
                   "NodeID": body.get("NodeID", str(uuid.UUID(int=0x5EED << 96))),
                   "Datacenter": body.get("Datacenter", "dc1"), "JobID": body.get("JobID", body["ServiceName"]),
                   "AllocID": body["AllocID"], "Tags": body.get("Tags") or [], "Address": body.get("Address", "10.10.0.1"),
                   "Port": int(body.get("Port", 0)), "CreateIndex": idx, "ModifyIndex": idx}
            st.service_registrations[reg["ID"]] = reg
            st.alloc_checks.setdefault(reg["AllocID"], {})
        elif what == "alloc-checks":  # the allocation's client reports its checks (unreachable: no path to it)
            st.alloc_checks[body["AllocID"]] = None if body.get("unreachable") else dict(body.get("Checks") or {})
        else:
            raise HTTPFailure(404, "unknown double control %s" % what)
        return 200, {"ok": True}, {}

    def _control_node(self, body):
        node = self.state.node_named(body.get("name"))
        if node is None:
            raise HTTPFailure(404, "node not found")
        return node


ROUTES = [
    route("GET POST", r"/_double/([a-z-]+)", Control.control),
]
