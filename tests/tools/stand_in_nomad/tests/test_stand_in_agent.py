"""The stand-in Nomad agent (tests/tools/stand_in_nomad: nomad.sh.in + agent.py) against the Nomad API double's
client RPC routes, over mutual TLS: it registers, heartbeats, leaves and falls back as a Nomad 2.0.5 client does
(client/client.go registerAndHeartbeat, retryRegisterNode, getRegistrationToken; command/agent/command.go
handleSignals; client/drain.go DrainSelf). Runs on this host (no container), with Nomad's dev-mode timers."""

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.testca import make as make_ca

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture()
def tls(tmp_path_factory):
    return make_ca(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture()
def servers(tls):
    state = DoubleState(nodes=0)
    api = NomadAPIDouble(state).start()
    rpc = NomadAPIDouble(state, rpc_only=True, tls_cert=os.path.join(tls, "server.pem"),
                         tls_key=os.path.join(tls, "server-key.pem"), tls_client_ca=os.path.join(tls, "ca.pem")).start()
    port = rpc.server_address[1]
    state.set_server_config({"server": {"heartbeat_stagger": False, "min_heartbeat_ttl": "2s",
                                        "client_introduction": {"enforcement": "strict"}},
                             "advertise": {"rpc": "127.0.0.1:%d" % port}})
    yield state, api, port
    rpc.stop()
    api.stop()


class Agent:
    """One stand-in agent process (started and stopped by its PID)."""

    def __init__(self, tmp, tls, port, leave_on_terminate=False, drain=False, name="edge-1"):
        self.tmp = tmp
        binary = tmp / "nomad"
        if not binary.exists():
            text = open(os.path.join(HERE, "nomad.sh.in")).read() + "# ---- stand-in agent (python) ----\n" + \
                open(os.path.join(HERE, "agent.py")).read()
            binary.write_text(text.replace("@VERSION@", "2.0.5").replace("@PLATFORM@", "linux/amd64"))
            binary.chmod(0o755)
        self.binary = binary
        (tmp / "conf").mkdir(exist_ok=True)
        self.data = tmp / "data"
        drain_block = '  drain_on_shutdown {\n    deadline = "30s"\n  }\n' if drain else ""
        (tmp / "conf" / "client.hcl").write_text(
            'region = "global"\ndatacenter = "dc1"\nname = "%s"\ndata_dir = "%s"\nleave_on_terminate = %s\n'
            'client {\n  enabled = true\n  node_pool = "edge"\n  server_join {\n    retry_join = ["127.0.0.1:%d"]\n  }\n'
            '%s}\ntls {\n  http = true\n  rpc = true\n  verify_server_hostname = true\n  ca_file = "%s/ca.pem"\n'
            '  cert_file = "%s/client.pem"\n  key_file = "%s/client-key.pem"\n}\n'
            % (name, self.data, "true" if leave_on_terminate else "false", port, drain_block, tls, tls, tls))
        self.proc = None

    def intro_token(self, jwt):
        (self.data / "client").mkdir(parents=True, exist_ok=True)
        (self.data / "client" / "intro_token.jwt").write_text(jwt + "\n")

    def start(self):
        env = dict(os.environ, NOMAD_STAND_IN_LOG=str(self.tmp / "stand-in.log"), NOMAD_STAND_IN_DEV_TIMERS="1")
        self.out = open(self.tmp / "agent.out", "a")
        self.proc = subprocess.Popen([str(self.binary), "agent", "-config=%s" % (self.tmp / "conf")], env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT)
        return self

    def signal(self, signum, timeout=20):
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        finally:
            self.out.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        return (self.tmp / "agent.out").read_text()

    def state(self):
        return json.loads((self.data / "client" / "stand-in-state.json").read_text())

    def node_id(self):
        path = self.data / "client" / "client-id"
        return path.read_text().strip() if path.exists() else ""


@pytest.fixture()
def agents(tmp_path):
    started = []

    def make(*args, **kwargs):
        agent = Agent(tmp_path, *args, **kwargs)
        started.append(agent)
        return agent

    yield make
    for agent in started:
        agent.stop()


def wait_for(what, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    return what()


def node(state, node_id):
    with state.lock:
        found = state.nodes.get(node_id)
        return dict(found) if found else None


def ready(state, agent):
    return lambda: (node(state, agent.node_id()) or {}).get("Status") == "ready"


def intro(state, pool="edge", ttl=600 * 10 ** 9):
    with state.lock:
        return state.issue_intro_token(pool, "", ttl)


def test_registers_with_its_intro_token_over_mutual_tls_then_heartbeats(servers, tls, agents):
    state, dummy, port = servers
    agent = agents(tls, port)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(lambda: (agent.data / "client" / "client-id").exists() and ready(state, agent)()), agent.output()
    for name in ("client-id", "secret-id", "stand-in-state.json"):
        assert stat.S_IMODE(os.stat(agent.data / "client" / name).st_mode) == 0o600
    assert agent.state()["HasRegistered"] is True and agent.state()["NodeIdentity"]
    assert "node registration complete" in agent.output()
    seen = node(state, agent.node_id())
    assert seen["Name"] == "edge-1" and seen["NodePool"] == "edge" and seen["Attributes"]["nomad.version"] == "2.0.5"
    assert state.intro_violations == 0


def test_without_a_token_strict_refuses_and_warn_admits(servers, tls, agents):
    """retryRegisterNode: Permission denied without an introduction token -> anonymous retries (admitted by warn)."""
    state, dummy, port = servers
    agent = agents(tls, port).start()
    assert wait_for(lambda: "error registering" in agent.output()), agent.output()
    assert "Permission denied" in agent.output() and not state.nodes
    state.set_server_config({"server": {"client_introduction": {"enforcement": "warn"}}})
    assert wait_for(ready(state, agent)), agent.output()
    assert state.server_log[-1]["message"] == "node registration without introduction token"


def test_restart_registers_with_its_identity_not_the_intro_token(servers, tls, agents):
    """getRegistrationToken: once registered (the flag in the state) the introduction token is not used."""
    state, dummy, port = servers
    agent = agents(tls, port)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(ready(state, agent))
    assert agent.signal(signal.SIGINT) == 1
    agent.intro_token("not-a-jwt")  # a token for another cluster, or garbage: never read again
    agent.start()
    assert wait_for(lambda: agent.output().count("node registration complete") == 2), agent.output()
    assert state.intro_violations == 0


def test_sigint_without_leave_exits_at_once_and_leaves_the_node_eligible(servers, tls, agents):
    """handleSignals: SIGINT without leave_on_interrupt returns 1 at once (no drain); the tasks keep running."""
    state, dummy, port = servers
    agent = agents(tls, port, leave_on_terminate=True, drain=True)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(ready(state, agent))
    start = time.time()
    assert agent.signal(signal.SIGINT) == 1
    assert time.time() - start < 5
    seen = node(state, agent.node_id())
    assert seen["SchedulingEligibility"] == "eligible" and seen["LastDrain"] is None


def test_sigterm_with_leave_on_terminate_drains_and_the_node_stays_ineligible(servers, tls, agents):
    """DrainSelf: MarkEligible false, meta "shutting down"; the restarted agent re-registers and the node stays
    ineligible (re-registration keeps the eligibility, hashicorp/nomad#17093)."""
    state, dummy, port = servers
    agent = agents(tls, port, leave_on_terminate=True, drain=True)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(ready(state, agent))
    assert agent.signal(signal.SIGTERM) == 0
    seen = node(state, agent.node_id())
    assert seen["SchedulingEligibility"] == "ineligible" and seen["LastDrain"]["Meta"] == {"message": "shutting down"}
    agent.start()
    assert wait_for(lambda: agent.output().count("node registration complete") == 2)
    assert node(state, agent.node_id())["SchedulingEligibility"] == "ineligible"


def test_purged_node_registers_again_with_its_identity(servers, tls, agents):
    """registerAndHeartbeat: "node not found" on a heartbeat -> re-registering node."""
    state, dummy, port = servers
    agent = agents(tls, port)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(ready(state, agent))
    with state.lock:
        state.delete_node(agent.node_id())
    assert wait_for(lambda: "re-registering node" in agent.output() and ready(state, agent)()), agent.output()


def test_expired_identity_after_gc_only_recovers_without_an_intro_token(servers, tls, agents):
    """A GC'd node with an expired identity (client/client.go retryRegisterNode): with an introduction token still
    on the host it retries with its identity forever; without one the first refusal clears the registration flag
    and the anonymous retry is admitted under warn (hashicorp/nomad#28555 describes the lock-out)."""
    state, dummy, port = servers
    state.set_server_config({"server": {"client_introduction": {"enforcement": "warn"}}})
    agent = agents(tls, port)
    agent.intro_token(intro(state))
    agent.start()
    assert wait_for(ready(state, agent))
    assert agent.signal(signal.SIGINT) == 1
    with state.lock:
        state.set_agent_heartbeating(state.nodes[agent.node_id()], False)
        state.advance(30 * 3600 * 10 ** 9)  # down after 20s, collected after 24h, the 24h identity expired
    assert node(state, agent.node_id()) is None
    agent.start()
    time.sleep(4)
    assert node(state, agent.node_id()) is None and agent.state()["HasRegistered"] is True, agent.output()
    assert agent.signal(signal.SIGINT) == 1
    os.remove(agent.data / "client" / "intro_token.jwt")
    agent.start()
    assert wait_for(ready(state, agent)), agent.output()
    messages = [e["message"] for e in state.server_log if e.get("node_id") == agent.node_id()]
    assert messages[-2:] == ["node registration introduction authentication failure",
                             "node registration without introduction token"]


def test_config_is_read_as_nomad_merges_a_directory(tmp_path):
    """LoadConfigDir: the .hcl files of the directory in path order, a later scalar wins, client.servers appended."""
    sys.path.insert(0, HERE)
    try:
        import agent as stand_in
    finally:
        sys.path.pop(0)
    (tmp_path / "a.hcl").write_text('name = "a"\nclient {\n  servers = ["10.0.0.1"]\n  meta = {\n    "k.x" = "v"\n  }\n}\n')
    (tmp_path / "b.hcl").write_text('name = "b"\nclient {\n  servers = ["10.0.0.2:30647"]\n}\nplugin "exec" {\n}\n')
    (tmp_path / "c.txt").write_text("ignored")
    cfg = stand_in.load_config([str(tmp_path)])
    assert cfg["name"] == "b" and cfg["client"]["servers"] == ["10.0.0.1", "10.0.0.2:30647"]
    assert cfg["client"]["meta"] == {"k.x": "v"} and cfg["plugin"] == {"exec": {}}
