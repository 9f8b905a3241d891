# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the test tool tests/tools/nomad_schema: good samples pass, bad samples fail as expected."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.edgeops.nomad.plugins.filter.to_nomad_hcl import to_nomad_hcl
from tests.tools.nomad_schema import check_agent_config, check_job
from tests.tools.nomad_schema.agent import load_agent_dir, load_agent_paths
from tests.tools.nomad_schema.common import parse_duration

ROOT = Path(__file__).resolve().parents[4]
SAMPLES = ROOT / "tests" / "tools" / "nomad_schema" / "samples"

CLIENT = {
    "data_dir": "/opt/nomad/data",
    "region": "global",
    "datacenter": "edge-1",
    "log_level": "INFO",
    "client": {
        "enabled": True,
        "node_pool": "edge",
        "servers": ["10.0.0.10:4647"],
        "meta": {"edge.site": "plant-7"},
        "options": {"driver.allowlist": "docker,exec"},
        "host_volume": {"data": {"path": "/srv/data", "read_only": False}},
        "host_network": {"lan": {"cidr": "10.0.0.0/8", "reserved_ports": "22,8000-8100"}},
        "reserved": {"cpu": 100, "memory": 256},
    },
    "plugin": {"docker": {"config": {"allow_privileged": False, "volumes": {"enabled": True}}}},
    "tls": {"http": True, "rpc": True},
    "consul": {"name": "default", "address": "127.0.0.1:8500"},
}
WINDOWS_CLIENT = {
    "data_dir": r"C:\ProgramData\HashiCorp\nomad\data",
    "log_file": r"C:\ProgramData\HashiCorp\nomad\logs\\",
    "client": {"enabled": True, "servers": ["10.0.0.10:4647"]},
    "eventlog": {"enabled": True, "level": "ERROR"},
}
SERVER = {
    "data_dir": "/nomad/data",
    "bind_addr": "0.0.0.0",
    "server": {
        "enabled": True,
        "bootstrap_expect": 3,
        "encrypt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "raft_protocol": 3,
        "client_introduction": {"enforcement": "warn"},
        "server_join": {"retry_join": ["nomad-0.nomad", "nomad-1.nomad"]},
    },
    "acl": {"enabled": True},
    "telemetry": {"prometheus_metrics": True, "collection_interval": "10s"},
    "limits": {"rpc_max_conns_per_client": 100},
    "keyring": {"aead": {"name": "local", "active": True}},
}


def changed(base, dotted, value):
    """A deep copy of base with dotted set to value (value None deletes)."""
    data = copy.deepcopy(base)
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return data


@pytest.mark.parametrize("config", [CLIENT, WINDOWS_CLIENT, SERVER], ids=["client", "windows", "server"])
def test_good_agent_configs_pass_as_dict_and_rendered(config, tmp_path):
    assert check_agent_config(config, edition="ce", nomad_version="2.0.5") == []
    rendered = tmp_path / "nomad.hcl"
    rendered.write_text(to_nomad_hcl(config), encoding="utf-8")
    assert check_agent_config(rendered, edition="ce", nomad_version="2.0.5") == []


BAD_AGENT = [
    ("unknown top key", changed(CLIENT, "bogus", 1), "bogus: unknown key"),
    ("typo with hint", changed(CLIENT, "client.servrs", ["a"]), "client.servrs: unknown key (did you mean 'servers'?)"),
    ("unknown key where Nomad ignores it", changed(CLIENT, "consul.adress", "x"), "consul.adress: unknown key"),
    ("unknown key in labeled block", changed(CLIENT, "client.host_volume.data.readonly", True), "unknown key (did you mean 'read_only'?)"),
    ("string for int", changed(CLIENT, "ports", {"http": "4646"}), 'ports.http: expected int, got string "4646"'),
    ("string for bool", changed(CLIENT, "client.enabled", "true"), "client.enabled: expected bool"),
    ("bad duration", changed(CLIENT, "client.gc_interval", "10 minutes"), 'client.gc_interval: expected a duration string such as "30s"'),
    ("int for duration", changed(CLIENT, "client.gc_interval", 60), "client.gc_interval: expected a duration string"),
    ("string for list", changed(CLIENT, "client.servers", "10.0.0.1:4647"), "client.servers: expected a list of strings"),
    ("non-string map value", changed(CLIENT, "client.options", {"x": 1}), "client.options: expected an object of string values"),
    ("allowed values", changed(CLIENT, "log_level", "VERBOSE"), 'log_level: "VERBOSE" is not one of'),
    ("allowed values nested", changed(SERVER, "server.client_introduction.enforcement", "hard"), 'enforcement: "hard" is not one of'),
    ("relative data_dir", changed(CLIENT, "data_dir", "nomad/data"), "data-dir must be given as an absolute path: got nomad/data"),
    ("relative alloc_dir", changed(CLIENT, "client.alloc_dir", "alloc"), "alloc-dir must be given as an absolute path"),
    ("node pool regex", changed(CLIENT, "client.node_pool", "edge pool"), 'Invalid node pool: invalid name "edge pool"'),
    ("node pool all", changed(CLIENT, "client.node_pool", "all"), 'not allowed to register in node pool "all"'),
    ("no agent mode", changed(CLIENT, "client.enabled", False), "Must specify either server, client or dev mode"),
    ("server needs data_dir", changed(SERVER, "data_dir", None), 'Must specify "data_dir" config option'),
    ("gossip key not base64", changed(SERVER, "server.encrypt", "not base64!"), "Invalid encryption key: not valid base64"),
    ("gossip key 16 bytes", changed(SERVER, "server.encrypt", "AAECAwQFBgcICQoLDA0ODw=="), "decodes to 16 bytes"),
    ("raft protocol", changed(SERVER, "server.raft_protocol", 2), "server.raft_protocol: 2 is not one of 3"),
    ("even bootstrap_expect", changed(SERVER, "server.bootstrap_expect", 2), "odd number"),
    ("zero bootstrap_expect", changed(SERVER, "server.bootstrap_expect", 0), "must be at least 1"),
    ("rpc conns", changed(SERVER, "limits.rpc_max_conns_per_client", 20), "rpc_max_conns_per_client must be > 25; found: 20"),
    ("job priority", changed(SERVER, "server.job_max_priority", 50), "job_max_priority cannot be 50"),
    ("raft multiplier", changed(SERVER, "server.raft_multiplier", 11), "raft_multiplier cannot be 11"),
    (
        "intro ttls",
        changed(SERVER, "server.client_introduction", {"default_identity_ttl": "1h", "max_identity_ttl": "30m"}),
        "default_identity_ttl is greater than max_identity_ttl",
    ),
    ("keyring provider", changed(SERVER, "keyring", {"vaultish": {"name": "x"}}), 'unknown keyring provider: "vaultish"'),
    ("keyring extra must be string", changed(SERVER, "keyring", {"awskms": {"kms_key_id": 5}}), "keyring provider option must be a string"),
    (
        "removed key",
        changed(CLIENT, "vault", {"allow_unauthenticated": True}),
        "vault.allow_unauthenticated: removed from Nomad (last seen in v1.9.7)",
    ),
    ("deprecated key", changed(CLIENT, "client.disk_free_mb", 10), "client.disk_free_mb: deprecated"),
    ("reserved ports", changed(CLIENT, "client.reserved.reserved_ports", "22,80-70"), "bad port or range 80-70"),
    ("host volume path", changed(CLIENT, "client.host_volume", {"d": {"read_only": True}}), "Missing path in host_volume config"),
    ("dynamic ports", changed(CLIENT, "client.min_dynamic_port", 40000), "Invalid dynamic port range"),
    ("meta key", changed(CLIENT, "client.meta", {"bad key": "x"}), "Invalid Client.Meta key: bad key"),
    ("datacenter star", changed(CLIENT, "datacenter", "dc*"), "Datacenter contains invalid characters"),
    ("eventlog level", changed(WINDOWS_CLIENT, "eventlog.level", "DEBUG"), 'eventlog.level: "DEBUG" is not one of'),
    ("block given twice", changed(CLIENT, "tls", [{"http": True}, {"rpc": True}]), "tls: block given 2 times"),
    ("block as scalar", changed(CLIENT, "tls", True), "tls: expected a block"),
    (
        "telemetry intervals",
        changed(SERVER, "telemetry", {"in_memory_collection_interval": "2m", "in_memory_retention_period": "1m"}),
        "in_memory_collection_interval must be <=",
    ),
    ("boltdb and logstore", changed(SERVER, "server.raft_boltdb", {"no_freelist_sync": True}), None),
]


@pytest.mark.parametrize(("config", "expected"), [(c, e) for n, c, e in BAD_AGENT], ids=[n for n, c, e in BAD_AGENT])
def test_bad_agent_configs_fail(config, expected):
    errors = check_agent_config(config)
    assert errors, "the checker accepted a bad config"
    if expected:
        assert any(expected in e for e in errors), errors


def test_raft_boltdb_with_logstore():
    config = changed(SERVER, "server.raft_logstore", {"backend": "wal"})
    config["server"]["raft_boltdb"] = {"no_freelist_sync": True}
    errors = check_agent_config(config, allow_deprecated=True)
    assert any("cannot specify both deprecated 'raft_boltdb' and 'raft_logstore'" in e for e in errors)


def test_edition_and_version_flags():
    ent = changed(SERVER, "server.non_voting_server", True)
    assert check_agent_config(ent) == []
    assert any("Nomad Enterprise only" in e for e in check_agent_config(ent, edition="ce"))
    newer = changed(SERVER, "server.raft_logstore", {"backend": "wal"})
    assert check_agent_config(newer, nomad_version="2.0.0") == []
    assert any("needs Nomad >= 2.0.0 (checking for 1.11.3)" in e for e in check_agent_config(newer, nomad_version="1.11.3"))
    # backported keys count in the patch release that got them
    minimal = {"data_dir": "/d", "client": {"enabled": True}}
    backported = changed(minimal, "client.artifact", {"http_read_timeout": "10m"})
    assert check_agent_config(backported, nomad_version="1.2.8") == []
    assert check_agent_config(backported, nomad_version="1.2.7") != []
    named = changed(CLIENT, "consul", [{"name": "default"}, {"name": "other"}])
    assert check_agent_config(named) == []
    assert any("Enterprise only" in e for e in check_agent_config(named, edition="ce"))


def test_expressions_are_not_literals(tmp_path):
    path = tmp_path / "x.hcl"
    path.write_text('data_dir = "/d"\nclient {\n  enabled = true\n  node_class = var.cls\n}\n', encoding="utf-8")
    assert any("is not a literal value" in e for e in check_agent_config(path))


def test_unreadable_files(tmp_path):
    bad = tmp_path / "bad.hcl"
    bad.write_text("client {\n  enabled = \n", encoding="utf-8")
    assert "HCL syntax error" in check_agent_config(bad)[0]
    assert "No such file" in check_agent_config(tmp_path / "missing.hcl")[0]
    assert check_agent_config(["not", "a", "dict"]) == ["(top level): the agent configuration must be an object, got list"]


# ---- jobs ---------------------------------------------------------------------------------------
JOB = """
job "web" {
  type        = "service"
  datacenters = ["dc1"]
  node_pool   = "edge"

  group "app" {
    count = 2

    disconnect {
      lost_after = "1h"
      reconcile  = "best_score"
    }

    volume "data" {
      type   = "host"
      source = "data"
    }

    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    task "server" {
      driver = "docker"

      config {
        image = "nginx:1.27"
        ports = ["http"]
        nested {
          anything = true
        }
      }

      env {
        MODE = "edge"
      }

      meta = {
        "a.b" = "c"
      }

      volume_mount {
        volume      = "data"
        destination = "/data"
      }

      resources {
        cpu    = 100
        memory = 128
      }

      constraint {
        attribute = "${attr.kernel.name}"
        value     = "linux"
      }
    }
  }
}
"""


def job_with(old, new):
    assert old in JOB, old
    return JOB.replace(old, new, 1)


def test_good_job_passes():
    assert check_job(JOB) == []


BAD_JOBS = [
    (
        "unknown attribute",
        job_with('node_pool   = "edge"', 'node_pool = "edge"\n  datacenter = "dc1"'),
        'Unsupported argument; An argument named "datacenter" is not expected here.',
    ),
    ("unknown block", job_with("    restart {", "    restrat {"), 'Unsupported block type; Blocks of type "restrat" are not expected here.'),
    (
        "duplicate single block",
        job_with("    restart {", "    ephemeral_disk {\n      size = 10\n    }\n    ephemeral_disk {\n      size = 20\n    }\n    restart {"),
        "Duplicate ephemeral_disk block",
    ),
    ("bad job type", job_with('type        = "service"', 'type = "daemon"'), '"daemon" is not one of'),
    ("missing driver", job_with('driver = "docker"', 'user = "nobody"'), "Missing task driver"),
    ("no tasks", JOB.replace('task "server"', 'task_x "server"'), "Missing tasks for task group"),
    (
        "lost_after with stop_on_client_after",
        job_with('lost_after = "1h"', 'lost_after = "1h"\n      stop_on_client_after = "5m"'),
        "Disconnect cannot be configured with both lost_after and stop_after",
    ),
    ("bad reconcile", job_with('reconcile  = "best_score"', 'reconcile = "newest"'), '"newest" is not one of'),
    ("bad disconnect duration", job_with('lost_after = "1h"', 'lost_after = "an hour"'), 'expected a duration such as "30s"'),
    ("negative lost_after", job_with('lost_after = "1h"', 'lost_after = "-1h"'), "lost_after cannot be a negative duration"),
    (
        "deprecated max_client_disconnect",
        job_with("count = 2", 'count = 2\n    max_client_disconnect = "1h"'),
        "max_client_disconnect: deprecated since Nomad 1.8.0",
    ),
    (
        "deprecated stop_after_client_disconnect",
        job_with("count = 2", 'count = 2\n    stop_after_client_disconnect = "1h"'),
        "stop_after_client_disconnect: deprecated",
    ),
    (
        "deprecated prevent_reschedule_on_lost",
        job_with("count = 2", "count = 2\n    prevent_reschedule_on_lost = true"),
        "prevent_reschedule_on_lost: deprecated",
    ),
    ("bad constraint operator", job_with('value     = "linux"', 'value = "linux"\n        operator = "~="'), '"~=" is not one of'),
    ("constraint needs value", job_with('value     = "linux"', ""), 'Operator "=" requires an RTarget'),
    (
        "is_set takes no value",
        job_with('value     = "linux"', 'operator = "is_set"\n        value = "x"'),
        'Operator "is_set" does not support an RTarget',
    ),
    ("bad regexp", job_with('value     = "linux"', 'operator = "regexp"\n        value = "(unclosed"'), "Regular expression failed to compile"),
    ("attribute braces", job_with('attribute = "${attr.kernel.name}"', 'attribute = "$attr.kernel.name"'), "is missing an opening brace"),
    ("count negative", job_with("count = 2", "count = -1"), "Task group count can't be negative"),
    ("count is a string", job_with("count = 2", 'count = "2"'), "expected a whole number"),
    ("meta value not a string", job_with('"a.b" = "c"', '"a.b" = 3'), "expected a string, got number 3"),
    ("restart mode", job_with('mode     = "fail"', 'mode = "never"'), 'Unsupported restart mode: "never"'),
    ("restart interval", job_with('interval = "30m"', 'interval = "1s"'), "Interval can not be less than 5s"),
    ("task disk", job_with("memory = 128", "memory = 128\n        disk = 100"), "Task can't ask for disk resources"),
    (
        "memory_max below memory",
        job_with("memory = 128", "memory = 128\n        memory_max = 64"),
        "MemoryMaxMB value (64) should be larger than MemoryMB value (128)",
    ),
    ("undefined volume", job_with('volume      = "data"', 'volume = "logs"'), "references undefined volume logs"),
    ("volume type", job_with('type   = "host"', 'type = "nfs"'), "volume has unrecognized type nfs"),
    (
        "update in batch job",
        job_with('type        = "service"', 'type = "batch"').replace("    restart {", "    update {\n      max_parallel = 1\n    }\n    restart {"),
        'Job type "batch" does not allow update block',
    ),
    ("system count", job_with('type        = "service"', 'type = "system"'), "Count cannot exceed 1 with system scheduler"),
    (
        "stop_on_client_after in system job",
        job_with('type        = "service"', 'type = "system"').replace('lost_after = "1h"', 'stop_on_client_after = "1m"'),
        "stop_after can only be used with service or batch job types",
    ),
    ("reschedule delay", job_with("    restart {", '    reschedule {\n      delay = "1s"\n    }\n    restart {'), "Delay cannot be less than 5s"),
    ("task named alloc", job_with('task "server"', 'task "alloc"'), "invalid task name 'alloc'"),
    (
        "missing required lifecycle hook",
        job_with('driver = "docker"', 'driver = "docker"\n      lifecycle {\n        sidecar = true\n      }'),
        'The argument "hook" is required',
    ),
    ("two job blocks", JOB + 'job "other" {\n}\n', "Duplicate job block"),
    (
        "affinity weight zero",
        job_with("    restart {", '    affinity {\n      attribute = "${node.class}"\n      value = "edge"\n      weight = 0\n    }\n    restart {'),
        "Affinity weight cannot be zero",
    ),
    (
        "affinity weight range",
        job_with(
            "    restart {", '    affinity {\n      attribute = "${node.class}"\n      value = "edge"\n      weight = 200\n    }\n    restart {'
        ),
        "within the range [-100,100]",
    ),
    ("affinity needs attribute", job_with("    restart {", '    affinity {\n      value = "edge"\n    }\n    restart {'), "no attribute provided"),
    ("empty datacenter", job_with('datacenters = ["dc1"]', 'datacenters = ["dc1", ""]'), "Job datacenter must be non-empty string"),
    ("stray top-level block", JOB + 'jobs "x" {\n}\n', 'Blocks of type "jobs" are not expected here'),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for n, t, e in BAD_JOBS], ids=[n for n, t, e in BAD_JOBS])
def test_bad_jobs_fail(text, expected):
    errors = check_job(text)
    assert any(expected in e for e in errors), errors


def test_job_syntax_error():
    assert "HCL syntax error" in check_job('job "x" {\n  type = \n}\n')[0]
    assert check_job("\n") == ["(file): Missing job block"]


def test_durations():
    assert parse_duration("1h30m") == 5400
    assert parse_duration("250ms") == 0.25
    assert parse_duration("0") == 0
    assert parse_duration("-5s") == -5
    for bad in ("5", "1 h", "h", "", "1d", 30):
        assert parse_duration(bad) is None


# ---- CLI on the sample files ---------------------------------------------------------------
def run_cli(*args):
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "tests.tools.nomad_schema", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_good_samples_pass():
    jobs = sorted(str(p) for p in (SAMPLES / "good").glob("*.nomad.hcl"))
    agents = sorted(str(p) for p in (SAMPLES / "good").glob("*") if not p.name.endswith(".nomad.hcl"))
    assert jobs and agents
    result = run_cli("job", *jobs)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_cli("agent", "--edition", "ce", "--nomad-version", "1.11.0", *agents)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("job", "deprecated-disconnect.nomad.hcl", "max_client_disconnect: deprecated"),
        ("job", "unknown-keys.nomad.hcl", 'An argument named "datacenter" is not expected here.'),
        ("agent", "client.hcl", "client.servrs: unknown key"),
    ],
)
def test_cli_bad_samples_fail(kind, name, expected):
    result = run_cli(kind, str(SAMPLES / "bad" / name))
    assert result.returncode == 1
    assert expected in result.stdout


def test_cli_usage_error():
    assert run_cli("nothing").returncode == 2


def test_config_directory_is_merged_like_nomad(tmp_path):
    (tmp_path / "00-base.hcl").write_text(to_nomad_hcl({"data_dir": "/d", "server": {"enabled": True}}), encoding="utf-8")
    (tmp_path / "10-gossip.hcl").write_text(to_nomad_hcl({"server": {"encrypt": SERVER["server"]["encrypt"]}}), encoding="utf-8")
    (tmp_path / "20-consul.json").write_text('{"consul": [{"name": "default"}]}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "99-editor.hcl~").write_text("broken {", encoding="utf-8")
    assert check_agent_config(tmp_path) == []
    # the gossip fragment alone is not a whole config, but passes as a fragment
    assert check_agent_config(tmp_path / "10-gossip.hcl") != []
    assert check_agent_config(tmp_path / "10-gossip.hcl", partial=True) == []
    (tmp_path / "30-bad.hcl").write_text('server {\n  encrypt = "short"\n}\n', encoding="utf-8")
    assert any("Invalid encryption key" in e for e in check_agent_config(tmp_path))
    (tmp_path / "40-broken.hcl").write_text("server {\n", encoding="utf-8")
    assert "40-broken.hcl: HCL syntax error" in check_agent_config(tmp_path)[0]


PACKAGE_HCL = (ROOT / "tests" / "tools" / "stand_in_nomad" / "package" / "etc" / "nomad.d" / "nomad.hcl").read_text(encoding="utf-8")
CLIENT_ONLY = {"data_dir": "/opt/nomad/data", "client": {"enabled": True, "servers": ["lb.example.test:4647"]}}


# command/agent/config.go: LoadConfigDir merges every .hcl/.json file of a directory in sorted order;
# ServerConfig.Merge and ClientConfig.Merge only ever turn `enabled` on, and append `client.servers`.
def test_a_later_file_cannot_turn_a_server_off_and_client_servers_add_up(tmp_path):
    (tmp_path / "client.hcl").write_text(to_nomad_hcl(CLIENT_ONLY), encoding="utf-8")
    (tmp_path / "nomad.hcl").write_text(PACKAGE_HCL, encoding="utf-8")
    (tmp_path / "zz-off.json").write_text('{"server": [{"enabled": false}]}', encoding="utf-8")
    merged = load_agent_dir(tmp_path)
    assert merged["server"]["enabled"] is True
    assert merged["client"]["servers"] == ["lb.example.test:4647", "127.0.0.1"]


def test_mode_client_refuses_an_agent_that_is_also_a_server(tmp_path):
    (tmp_path / "client.hcl").write_text(to_nomad_hcl(CLIENT_ONLY), encoding="utf-8")
    assert check_agent_config(tmp_path, mode="client") == []
    (tmp_path / "nomad.hcl").write_text(PACKAGE_HCL, encoding="utf-8")  # what HashiCorp's package ships there
    errors = check_agent_config(tmp_path, mode="client")
    assert any(e.startswith("server.enabled: true in the loaded configuration") for e in errors), errors
    assert check_agent_config({"server": {"enabled": True}, "data_dir": "/d"}, mode="client")[-1].startswith(
        "client.enabled: not true")
    proc = run_cli("agent", "--mode", "client", str(tmp_path))
    assert proc.returncode == 1 and "would run a Nomad server as well" in proc.stdout, proc.stdout


def test_several_config_paths_merge_in_order(tmp_path):
    (tmp_path / "a.hcl").write_text(to_nomad_hcl(CLIENT_ONLY), encoding="utf-8")
    (tmp_path / "b.hcl").write_text('client {\n  servers = ["10.0.0.1:4647"]\n}\n', encoding="utf-8")
    merged = load_agent_paths([tmp_path / "a.hcl", tmp_path / "b.hcl"])
    assert merged["client"]["servers"] == ["lb.example.test:4647", "10.0.0.1:4647"]
    assert check_agent_config(merged, mode="client") == []


def test_partial_still_checks_keys_and_rules():
    assert check_agent_config({"server": {"encrypt": "bad"}}, partial=True) == ["server.encrypt: Invalid encryption key: not valid base64"]
    assert check_agent_config({"bogus": 1}, partial=True) == ["bogus: unknown key"]


ARTIFACT_JOB = """
variable "agent_sha256" {
  type = string
}
job "edge" {
  node_pool = "edge"
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "local/agent"
      }
      artifact {
        source      = "https://artifacts.example.test/agent.tar.gz"
        destination = "local/"
        options {
          checksum = CHECKSUM
        }
      }
    }
  }
}
"""


def artifact_job(checksum, default=None):
    text = ARTIFACT_JOB.replace("CHECKSUM", checksum)
    if default is not None:
        text = text.replace("  type = string\n", "  type = string\n  default = %s\n" % default)
    return text


# nomad/structs/structs.go TaskArtifact.validateChecksum (type:value, hex, the type's digest length), and ours:
# a digest of one repeated digit (the all-zero placeholder of an example) is refused; a variable without a default
# is the operator's value, given when the job is parsed.
@pytest.mark.parametrize("checksum, default, expected", [
    ('"sha256:' + "0" * 64 + '"', None, "is a placeholder (every digit 0)"),
    ('"sha256:' + "f" * 64 + '"', None, "is a placeholder (every digit f)"),
    ('"sha256:${var.agent_sha256}"', '"' + "0" * 64 + '"', "is a placeholder (every digit 0)"),
    ("var.agent_sha256", '"sha256:' + "0" * 64 + '"', "is a placeholder (every digit 0)"),
    ('"sha256:abcd"', None, "invalid sha256 checksum: abcd"),
    ('"sha256:' + "zz" * 32 + '"', None, "is not hexadecimal"),
    ('"crc32:abcdabcd"', None, "unsupported checksum type: crc32"),
    ('"' + "ab" * 32 + '"', None, 'checksum must be given as "type:value"'),
    ('" "', None, "checksum value cannot be empty"),
])
def test_artifact_checksums_are_checked_and_placeholders_refused(checksum, default, expected):
    errors = check_job(artifact_job(checksum, default))
    assert any(expected in e and ".artifact[0].options.checksum" in e for e in errors), errors


@pytest.mark.parametrize("checksum, default", [
    ('"sha256:' + "3a" * 32 + '"', None),
    ('"sha512:' + "3a" * 64 + '"', None),
    ('"sha256:${var.agent_sha256}"', None),  # given when the job is parsed (deploy_jobs: the operator's value)
    ('"sha256:${var.agent_sha256}"', '"' + "3a" * 32 + '"'),
    ('"sha256:${NOMAD_META_sum}"', None),  # interpolated by Nomad on the client: skipped, as Nomad skips it
])
def test_real_and_operator_given_checksums_pass(checksum, default):
    assert check_job(artifact_job(checksum, default)) == []


JOB_LEVEL_TASK = (SAMPLES / "good" / "batch-job-level-task.nomad.hcl").read_text(encoding="utf-8")


def test_job_level_task_vault_dynamic_and_variables_pass():
    assert check_job(JOB_LEVEL_TASK) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('driver = "docker"', 'user = "x"', "job['solo'].task['once']: Missing task driver"),
        ('role = "app"', 'rol = "app"', 'An argument named "rol" is not expected here.'),
        ('dynamic "artifact"', 'dynamic "artefact"', 'Blocks of type "artefact" are not expected here.'),
        ('for_each = ["a", "b"]', 'items = ["a"]', 'The argument "for_each" is required'),
        ('source = "https://', 'src = "https://', 'An argument named "src" is not expected here.'),
        ("env         = true", 'env = "yes"', "expected a bool"),
    ],
)
def test_job_level_task_errors(old, new, expected):
    assert old in JOB_LEVEL_TASK
    errors = check_job(JOB_LEVEL_TASK.replace(old, new, 1))
    assert any(expected in e for e in errors), errors


def test_group_level_vault_and_secret_use_the_task_schema():
    text = job_with(
        "    restart {", '    vault {\n      role = "r"\n    }\n    secret "db" {\n      provider = "nomad"\n      path = "x"\n    }\n    restart {'
    )
    assert check_job(text) == []
    bad = text.replace('provider = "nomad"', 'provder = "nomad"')
    assert any('An argument named "provder"' in e for e in check_job(bad))


def test_secret_values_are_not_echoed():
    errors = check_agent_config(changed(SERVER, "acl.replication_token", ["s3cr3t-token"]))
    assert errors == ["acl.replication_token: expected string, got list (value not shown: secret)"]
    errors = check_agent_config(changed(SERVER, "server.encrypt", 12345))
    assert "12345" not in " ".join(errors)


def test_hcl1_json_list_forms(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(
        '{"data_dir": "/d", "client": [{"enabled": true, "host_volume": [{"data": [{"path": "/srv"}]}, {"logs": {"path": "/l"}}]}]}',
        encoding="utf-8",
    )
    assert check_agent_config(path) == []
    path.write_text('{"data_dir": "/d", "client": [{"enabled": true, "host_volume": [{"data": [{"pth": "/srv"}]}]}]}', encoding="utf-8")
    errors = check_agent_config(path)
    assert "client.host_volume['data'].pth: unknown key (did you mean 'path'?)" in errors


def _leaves(keys, prefix=""):
    for name, spec in keys.items():
        yield prefix + name, spec
        yield from _leaves(spec.get("keys", {}), f"{prefix}{name}.")


def test_every_agent_schema_type_is_known_to_the_checker():
    """Fails when shared/nomad gains a type this checker does not handle."""
    from tests.tools.nomad_schema.agent import AgentChecker

    checker = AgentChecker()
    samples = {"string": "x", "int": 1, "float": 1.5, "bool": True, "duration": "1s", "list(string)": ["x"]}
    samples.update({"map(string)": {"k": "v"}, "map(any)": {"k": [1]}})
    for path, spec in _leaves(checker.doc["schema"]["keys"]):
        kind = spec["type"]
        if kind in ("block", "labeled block"):
            continue
        sample = "10GB" if kind.startswith("string(bytes") else samples.get(kind)
        assert checker.scalar_problem(sample, kind) is None, f"{path}: type {kind!r}"


def test_every_jobspec_attribute_type_is_known_to_the_checker():
    from tests.tools.nomad_schema.job import JobChecker

    checker = JobChecker()
    samples = {"bool": True, "list(string)": ["x"], "map(string)": {"k": "v"}, "[]uint16": [80]}
    bad = []

    def walk(node, path):
        for name, spec in node.get("attributes", {}).items():
            kind = spec.get("type", "string")
            if kind.startswith("string"):
                sample = "x"
            elif kind.startswith("number(int"):
                sample = 1
            elif kind.startswith("duration"):
                sample = "1s"
            else:
                sample = samples.get(kind, object())
            before = len(checker.errors)
            checker.attr(f"{path}.{name}", sample, {k: v for k, v in spec.items() if k not in ("allowed", "deprecated")})
            if len(checker.errors) != before:
                bad.append(f"{path}.{name}: {kind}")
        for name, block in node.get("blocks", {}).items():
            if block.get("type") != "block-as-map" and "ref" not in block:
                walk(block, f"{path}.{name}")

    walk(checker.doc["job"], "job")
    walk(checker.doc["group"], "group")
    assert not bad, bad


def test_rules_apply_to_hcl1_json_list_forms():
    config = {"data_dir": "/d", "client": [{"enabled": True, "alloc_dir": "relative", "reserved": [{"reserved_ports": "9-1"}]}]}
    errors = check_agent_config(config)
    assert any("alloc-dir must be given as an absolute path" in e for e in errors), errors
    assert any("bad port or range 9-1" in e for e in errors), errors
