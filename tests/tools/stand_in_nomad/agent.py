# TEST DOUBLE - the `nomad agent` of the stand-in Nomad (tests/tools/stand_in_nomad/nomad.sh.in). NOT HashiCorp Nomad.
# build_mirror.sh appends this file to nomad.sh.in, so the stand-in stays one file per platform; it runs with the
# host's python3 (stdlib only). What it does, as a Nomad client agent does it (client/client.go, command/agent):
#   - reads its configuration: every *.hcl and *.json of each -config path, merged in order (command/agent/config.go)
#   - keeps its node ID and secret in <state_dir>/client-id and secret-id (0600), and in <state_dir>/stand-in-state.json
#     what Nomad keeps in state.db: the registration flag (HasRegistered) and the node identity
#   - registers (Node.Register) with the token getRegistrationToken chooses: the introduction token (env
#     NOMAD_CLIENT_INTRO_TOKEN, else <state_dir>/intro_token.jwt) only while it never registered, else its node
#     identity (or its SecretID); on "Permission denied" without an introduction token it clears the flag and
#     retries anonymously (retryRegisterNode); it re-registers only on "node not found" (registerAndHeartbeat)
#   - heartbeats (Node.UpdateStatus) every HeartbeatTTL the server answers, keeps each new identity, replaces its
#     server list with the servers the replies name, and reports its allocations as running (Node.UpdateAlloc)
#   - on SIGINT leaves only with leave_on_interrupt, on SIGTERM only with leave_on_terminate; leaving runs
#     drain_on_shutdown (client/drain.go DrainSelf: MarkEligible false, meta message "shutting down"); otherwise it
#     exits 1 at once (command/agent/command.go handleSignals)
#   - talks to the servers over the Nomad API double's client RPC routes (/_double/rpc/<Method>, JSON over HTTP(S));
#     real Nomad speaks msgpack RPC on 4647. With tls.rpc it presents its client certificate and, with
#     verify_server_hostname, checks that the server's certificate names server.<region>.nomad.
# It logs what Nomad logs at these points ("node registration complete", "error registering", "re-registering
# node", "error heartbeating. retrying") to stdout (the journal), and each start/stop/reload to the stand-in log.
import json
import os
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
from http.client import HTTPConnection, HTTPSConnection

VERSION = os.environ.get("NOMAD_STAND_IN_VERSION", "@VERSION@")
PLATFORM = os.environ.get("NOMAD_STAND_IN_PLATFORM", "@PLATFORM@")
REGISTER_RETRY = 15.0  # client/client.go registerRetryIntv
INITIAL_HEARTBEAT_STAGGER = 10.0  # initialHeartbeatStagger
NO_SERVER_RETRY = 1.0  # noServerRetryIntv
# NOMAD_STAND_IN_DEV_TIMERS=1 (the stand-in's own tests): Nomad's dev-mode timers, a first heartbeat at once and
# every retry after devModeRetryIntv (1s) (client/client.go registerAndHeartbeat, retryIntv)
DEV_TIMERS = os.environ.get("NOMAD_STAND_IN_DEV_TIMERS") == "1"
if DEV_TIMERS:
    REGISTER_RETRY = 0.5
    INITIAL_HEARTBEAT_STAGGER = 0.0
GRACEFUL_TIMEOUT = 5.0  # command/agent/command.go gracefulTimeout


# ---- configuration ------------------------------------------------------------------------------------------
def hcl_tokens(text):
    pattern = re.compile(r'\s+|#[^\n]*|//[^\n]*|(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)\b'
                         r'|(?P<id>[A-Za-z_][A-Za-z0-9_.-]*)|(?P<op>[={}\[\],])')
    pos = 0
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match:
            raise ValueError("unexpected %r at offset %d" % (text[pos:pos + 10], pos))
        pos = match.end()
        kind = match.lastgroup
        if kind:
            yield kind, match.group(kind)


def hcl_string(token):
    return json.loads(token.replace("\\u007b", "{"))


class HCL:
    """The HCL subset edgeops.nomad.to_nomad_hcl writes (attributes, blocks, labeled blocks, object values)."""

    def __init__(self, text):
        self.tokens = list(hcl_tokens(text))
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if value is not None and token[1] != value:
            raise ValueError("expected %r, got %r" % (value, token[1]))
        self.pos += 1
        return token

    def body(self, end=None):
        out = {}
        while self.peek()[1] != end:
            kind, key = self.take()
            key = hcl_string(key) if kind == "str" else key
            if self.peek()[1] == "=":
                self.take("=")
                out[key] = self.value()
            elif self.peek()[0] == "str":
                label = hcl_string(self.take()[1])
                self.take("{")
                out.setdefault(key, {})[label] = self.body("}")
                self.take("}")
            else:
                self.take("{")
                block = self.body("}")
                self.take("}")
                out[key] = merge(out.get(key, {}), block) if isinstance(out.get(key), dict) else block
        return out

    def value(self):
        kind, token = self.take()
        if kind == "str":
            return hcl_string(token)
        if kind == "num":
            return float(token) if "." in token else int(token)
        if token in ("true", "false"):
            return token == "true"
        if token == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("]")
            return items
        if token == "{":
            obj = self.body("}")
            self.take("}")
            return obj
        raise ValueError("unexpected value %r" % token)


def merge(base, extra):
    """Config.Merge, simplified: blocks merge, a later scalar wins, client.servers is appended."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif key == "servers" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + value
        else:
            out[key] = value
    return out


def load_config(paths):
    """LoadConfigDir: the .hcl and .json files of a directory sorted by path, each merged in order."""
    cfg = {}
    for path in paths:
        files = [path]
        if os.path.isdir(path):
            files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".hcl", ".json"))
                           and not f.endswith("~") and not f.startswith(".#"))
        for name in files:
            with open(name) as handle:
                text = handle.read()
            part = json.loads(text) if name.endswith(".json") else HCL(text).body()
            cfg = merge(cfg, part)
    return cfg


def duration(value, default):
    """time.ParseDuration for the units the configs use; seconds (float)."""
    if value in (None, ""):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    sign = -1 if value.startswith("-") else 1
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)", value.lstrip("+-"))
    if value.strip("+-") == "0":
        return 0.0
    return sign * sum(float(n) * units[u] for n, u in parts)


# ---- logging ------------------------------------------------------------------------------------------------
def log(level, msg, **pairs):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
    extra = "".join(' %s="%s"' % (k, v) if " " in str(v) else " %s=%s" % (k, v) for k, v in pairs.items())
    sys.stdout.write("    %s [%s] %s%s\n" % (stamp, level.upper(), msg, extra))
    sys.stdout.flush()


def note(log_file, what):
    with open(log_file, "a") as handle:
        handle.write(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + " %s pid=%d\n" % (what, os.getpid()))


def stagger(seconds):
    return random.random() * seconds


# ---- the agent ----------------------------------------------------------------------------------------------
class RPCError(Exception):
    pass


class NoServers(RPCError):
    pass


class Agent:
    def __init__(self, cfg):
        self.cfg = cfg
        client = cfg.get("client") or {}
        self.region = cfg.get("region") or "global"
        self.data_dir = cfg.get("data_dir") or "/opt/nomad/data"
        self.state_dir = client.get("state_dir") or os.path.join(self.data_dir, "client")
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        self.leave_on_interrupt = bool(cfg.get("leave_on_interrupt"))
        self.leave_on_terminate = bool(cfg.get("leave_on_terminate"))
        self.drain = client.get("drain_on_shutdown")
        join = client.get("server_join") or {}
        self.configured_servers = [self._with_port(s) for s in (client.get("servers") or []) +
                                   (join.get("retry_join") or [])]
        self.servers = list(self.configured_servers)
        tls = cfg.get("tls") or {}
        self.tls = None
        if tls.get("rpc"):
            ctx = ssl.create_default_context(cafile=tls.get("ca_file"))
            if tls.get("cert_file"):
                ctx.load_cert_chain(tls["cert_file"], tls.get("key_file"))
            self.verify_name = "server.%s.nomad" % self.region if tls.get("verify_server_hostname") else None
            ctx.check_hostname = bool(self.verify_name)
            self.tls = ctx
        self.node_id = self._id_file("client-id")
        self.secret_id = self._id_file("secret-id")
        self.state_file = os.path.join(self.state_dir, "stand-in-state.json")
        self.state = self._load_state()
        self.intro_token = self._intro_token()
        self.eligibility = "ineligible" if client.get("default_ineligible") else "eligible"
        self.stop = threading.Event()
        self.registered = threading.Event()
        self.heartbeat_ttl = 0.0
        self.last_ok = 0.0
        self.have_heartbeated = False
        self.reported = {}  # alloc ID -> the ClientStatus reported
        self.sync_wanted = threading.Event()
        self.sync_full = False

    @staticmethod
    def _with_port(addr):
        return addr if re.search(r":\d+$", addr) and not addr.endswith("]") else "%s:4647" % addr

    def _id_file(self, name):
        path = os.path.join(self.state_dir, name)
        if os.path.exists(path):
            with open(path) as handle:
                return handle.read().strip()
        value = str(uuid.uuid4())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return value

    def _load_state(self):
        try:
            with open(self.state_file) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {"HasRegistered": False, "NodeIdentity": ""}

    def _save_state(self):
        tmp = self.state_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle)
        os.replace(tmp, self.state_file)

    def _intro_token(self):
        """command/agent/command.go readConfig: NOMAD_CLIENT_INTRO_TOKEN, else <state_dir>/intro_token.jwt; a
        directory or an unreadable file stops the agent."""
        env = os.environ.get("NOMAD_CLIENT_INTRO_TOKEN", "").strip()
        if env:
            return env
        path = os.path.join(self.state_dir, "intro_token.jwt")
        if os.path.isdir(path):
            raise SystemExit("==> Error starting agent: intro token file is a directory")
        if not os.path.exists(path):
            return ""
        with open(path) as handle:
            return handle.read().strip()

    # -- RPC over the double's carrier ---------------------------------------------------------------------
    def rpc(self, method, args):
        last = None
        for addr in list(self.servers):
            host, port = addr.rsplit(":", 1)
            host = host.strip("[]")
            try:
                if self.tls is not None:
                    conn = HTTPSConnection(host, int(port), timeout=10, context=self.tls)
                    sock = socket.create_connection((host, int(port)), timeout=10)
                    # verify_server_hostname: the server's certificate must name server.<region>.nomad (not the IP)
                    conn.sock = self.tls.wrap_socket(sock, server_hostname=self.verify_name or host)
                else:
                    conn = HTTPConnection(host, int(port), timeout=10)
                conn.request("PUT", "/_double/rpc/" + method, body=json.dumps(args),
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                body = resp.read().decode()
                conn.close()
            except (OSError, ssl.SSLError) as exc:
                last = exc
                continue
            if resp.status == 200:
                return json.loads(body)
            raise RPCError("rpc error: %s" % body)
        raise NoServers("no servers reachable (%s)" % last)

    def node(self):
        ip = self._ip()
        meta = dict((k, str(v)) for k, v in ((self.cfg.get("client") or {}).get("meta") or {}).items())
        client = self.cfg.get("client") or {}
        return {"ID": self.node_id, "SecretID": self.secret_id, "Name": self.cfg.get("name") or socket.gethostname(),
                "Datacenter": self.cfg.get("datacenter") or "dc1", "NodePool": client.get("node_pool") or "default",
                "NodeClass": client.get("node_class") or "", "Meta": meta, "HTTPAddr": "%s:4646" % ip,
                "TLSEnabled": bool((self.cfg.get("tls") or {}).get("http")), "Status": "",
                "SchedulingEligibility": self.eligibility,
                "Attributes": {"nomad.version": VERSION, "kernel.name": "linux", "os.name": _os_name(),
                               "cpu.arch": PLATFORM.split("/")[-1], "unique.hostname": socket.gethostname(),
                               "unique.network.ip-address": ip}}

    @staticmethod
    def _ip():
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect(("192.0.2.1", 9))
            return sock.getsockname()[0]
        except OSError:
            return "127.0.0.1"

    def auth_token(self):
        """nodeAuthToken: the node identity, else the SecretID."""
        return self.state.get("NodeIdentity") or self.secret_id

    def registration_token(self):
        """getRegistrationToken: after a registration (the flag in the state), the node's own token; before,
        the introduction token (or none)."""
        if self.state.get("HasRegistered"):
            return self.auth_token()
        return self.intro_token

    def handle_response(self, resp):
        """handleNodeUpdateResponse: keep a new identity first, then replace the server list."""
        if resp.get("SignedIdentity"):
            self.state["NodeIdentity"] = resp["SignedIdentity"]
            self._save_state()
        servers = [self._with_port(s["RPCAdvertiseAddr"]) for s in resp.get("Servers") or [] if s.get("RPCAdvertiseAddr")]
        if not servers:
            raise NoServers("no servers")
        if servers != self.servers:
            self.servers = servers

    # -- registerAndHeartbeat -------------------------------------------------------------------------------
    def retry_register(self):
        token = self.registration_token()
        while not self.stop.is_set():
            try:
                resp = self.rpc("Node.Register", {"Node": self.node(), "Region": self.region, "AuthToken": token})
                self.handle_response(resp)
                self.state["HasRegistered"] = True
                self._save_state()
                self.registered.set()
                self.heartbeat_ttl = resp.get("HeartbeatTTL", 0) / 1e9
                self.last_ok = time.time()
                log("info", "client: node registration complete")
                return True
            except NoServers:
                log("debug", "client: registration waiting on servers")
                self.servers = list(self.configured_servers) or self.servers
                wait = NO_SERVER_RETRY
            except RPCError as exc:
                if "Permission denied" in str(exc) and not self.intro_token:
                    token = ""
                    self.state["HasRegistered"] = False
                    self._save_state()
                log("error", "client: error registering", error=str(exc))
                wait = REGISTER_RETRY + stagger(REGISTER_RETRY)
            self.stop.wait(wait)
        return False

    def retry_interval(self):
        """getHeartbeatRetryIntv."""
        if not self.have_heartbeated:
            return REGISTER_RETRY + stagger(REGISTER_RETRY)
        left = self.last_ok + self.heartbeat_ttl - time.time()
        if left < -30:
            left = -left
        elif left < 0:
            return 1 + stagger(1)
        wait = stagger(left)
        if wait < 1:
            return 1 + stagger(1)
        if wait > 30:
            return 25 + stagger(5)
        return wait

    def run(self):
        if not self.retry_register():
            return
        wait = stagger(INITIAL_HEARTBEAT_STAGGER)
        reconnected = True
        while not self.stop.wait(wait):
            try:
                resp = self.rpc("Node.UpdateStatus", {"NodeID": self.node_id, "Status": "ready",
                                                      "Region": self.region, "AuthToken": self.auth_token()})
            except RPCError as exc:
                if "node not found" in str(exc):
                    log("info", "client: re-registering node")
                    self.retry_register()
                    wait = stagger(INITIAL_HEARTBEAT_STAGGER)
                    reconnected = True
                    continue
                wait = self.retry_interval()
                log("error", "client: error heartbeating. retrying", error=str(exc), period="%.1fs" % wait)
                if isinstance(exc, NoServers):
                    self.servers = list(self.configured_servers) or self.servers  # triggerDiscovery
                reconnected = True
                continue
            if resp.get("SchedulingEligibility"):
                self.eligibility = resp["SchedulingEligibility"]
            try:
                self.handle_response(resp)
            except NoServers:
                pass
            self.heartbeat_ttl = resp.get("HeartbeatTTL", 0) / 1e9
            self.last_ok = time.time()
            self.have_heartbeated = True
            # the allocation runners report on their own (Nomad's allocSync): never in the heartbeat's way
            self.sync_full = self.sync_full or reconnected
            self.sync_wanted.set()
            reconnected = False
            wait = self.heartbeat_ttl or REGISTER_RETRY

    def alloc_syncer(self):
        while not self.stop.is_set():
            if not self.sync_wanted.wait(1):
                continue
            self.sync_wanted.clear()
            full, self.sync_full = self.sync_full, False
            self.sync_allocs(full=full)

    def sync_allocs(self, full):
        """The allocation runners' updates: allocations to run are reported running, stopped ones complete;
        after a (re)connection every allocation is reported again."""
        try:
            listed = self.rpc("Node.GetClientAllocs", {"NodeID": self.node_id, "AuthToken": self.auth_token()})
            ids = sorted(listed.get("Allocs") or {})
            if not ids:
                return
            allocs = self.rpc("Alloc.GetAllocs", {"AllocIDs": ids, "AuthToken": self.auth_token()}).get("Allocs") or []
            updates = []
            for alloc in allocs:
                want = "running" if alloc["DesiredStatus"] == "run" else "complete"
                if alloc["ClientStatus"] in ("lost", "failed", "complete") and want != "running":
                    continue
                if full or alloc["ClientStatus"] != want or self.reported.get(alloc["ID"]) != want:
                    updates.append({"ID": alloc["ID"], "NodeID": self.node_id, "ClientStatus": want})
                    self.reported[alloc["ID"]] = want
            if updates:
                self.rpc("Node.UpdateAlloc", {"Alloc": updates, "AuthToken": self.auth_token()})
        except RPCError as exc:
            log("warn", "client: error updating allocations", error=str(exc))

    # -- leaving -------------------------------------------------------------------------------------------
    def drain_self(self):
        """client/drain.go DrainSelf: drain with MarkEligible false, then wait until the drain is done, at most
        deadline + 5s (no wait without a deadline)."""
        deadline = duration((self.drain or {}).get("deadline"), 3600.0)
        now = time.time()
        strategy = {"DrainSpec": {"Deadline": int(deadline * 1e9),
                                  "IgnoreSystemJobs": bool((self.drain or {}).get("ignore_system_jobs"))},
                    "StartedAt": _rfc3339(now), "ForceDeadline": _rfc3339(now + deadline) if deadline > 0 else
                    "0001-01-01T00:00:00Z"}
        try:
            self.rpc("Node.UpdateDrain", {"NodeID": self.node_id, "DrainStrategy": strategy, "MarkEligible": False,
                                          "Meta": {"message": "shutting down"}, "AuthToken": self.auth_token()})
        except RPCError as exc:
            log("error", "client: could not drain node", error=str(exc))
            return
        until = time.time() + deadline + 5 if deadline > 0 else None
        while until is None or time.time() < until:
            try:
                node = self.rpc("Node.GetNode", {"NodeID": self.node_id, "AuthToken": self.auth_token()})["Node"]
                if node is None or node.get("DrainStrategy") is None:
                    log("info", "client: self-drain complete")
                    return
            except RPCError:
                pass
            time.sleep(1)
        log("warn", "client: self-drain exceeded deadline")

    def leave(self):
        """agent.Leave within terminateGracefully's wait (5s + the drain deadline): a client that never
        registered blocks until that wait ends."""
        if not self.drain:
            return
        if not self.registered.is_set():
            deadline = duration(self.drain.get("deadline"), 3600.0)
            time.sleep(GRACEFUL_TIMEOUT + max(deadline, 0))
            return
        self.drain_self()


def _rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _os_name():
    try:
        with open("/etc/os-release") as handle:
            for line in handle:
                if line.startswith("ID="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "linux"


def main(argv):
    log_file, args = argv[1], argv[3:]
    paths = [a.split("=", 1)[1] for a in args if a.startswith("-config=")]
    cfg = load_config(paths)
    agent = Agent(cfg)
    signals = []
    done = threading.Event()

    def on_signal(signum, dummy_frame):
        signals.append(signum)
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, lambda *_: note(log_file, "reload"))
    # Like Nomad (command/agent/command.go handleSignals) the agent tells systemd READY=1 once its signal handlers
    # are set (the unit is Type=notify, NotifyAccess=main).
    addr = os.environ.get("NOTIFY_SOCKET", "")
    if addr:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.sendto(b"READY=1", "\0" + addr[1:] if addr.startswith("@") else addr)
        sock.close()
    worker = threading.Thread(target=agent.run, daemon=True)
    worker.start()
    threading.Thread(target=agent.alloc_syncer, daemon=True).start()
    while not done.wait(1):
        pass
    signum = signals[0]
    leave = agent.leave_on_interrupt if signum == signal.SIGINT else agent.leave_on_terminate
    if not leave:  # handleSignals: without the matching leave flag the agent exits 1 at once, tasks keep running
        agent.stop.set()
        note(log_file, "stop")
        return 1
    note(log_file, "leave")
    agent.stop.set()
    agent.leave()
    note(log_file, "stop")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
