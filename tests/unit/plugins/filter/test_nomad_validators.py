# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of edgeops.nomad._type_errors and edgeops.nomad._agent_config_errors (the filters the
preflight tables use) and of the agent-config key data copied from shared/nomad/agent-config.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_validators import FilterModule, agent_config_errors, type_errors
from ansible_collections.edgeops.nomad.plugins.plugin_utils._nomad_agent_schema import KEYS

ROOT = Path(__file__).resolve().parents[4]
SHARED = Path(os.environ.get("EDGEOPS_SHARED", ROOT.parent / "shared")) / "nomad" / "agent-config.json"

# --- type_errors --------------------------------------------------------------------------------

RESOURCES = {"requests": {"cpu": "k8s_quantity", "memory": "k8s_quantity"}, "limits": {"cpu": "k8s_quantity", "memory": "k8s_quantity"}}
VOLUMES = [{"name": "nomad_name", "path": "absolute_path", "*": "any"}]

TYPE_CASES = [
    # (value, spec, expected messages (substring per message, in order))
    ("10s", "go_duration", []),
    ("ten seconds", "go_duration", ["v: 'ten seconds' is not a Go duration"]),
    ("", "host?", []),
    (None, "host?", []),
    ("bad host", "host?", ["v: 'bad host' is not a host name"]),
    ({"requests": {"cpu": "500m", "memory": "1Gi"}}, RESOURCES, []),
    ({"requests": {"memory": "two gigs"}}, RESOURCES, ["v.requests.memory: 'two gigs' is not a Kubernetes quantity"]),
    ({"request": {"memory": "1Gi"}}, RESOURCES, ["v.request: unknown key (did you mean 'requests'?)"]),
    ({"limits": "2Gi"}, RESOURCES, ["v.limits: '2Gi' is not a dict"]),
    ([{"name": "data", "path": "/srv"}, {"name": "x y", "path": "srv", "mode": "0755"}], VOLUMES,
     ["v[1].name: 'x y' must match", "v[1].path: 'srv' is not an absolute path"]),
    (["a:1", "b:0"], ["host_port"], ["v[1]: 'b:0' has port '0'"]),
    ("a:1", ["host_port"], ["v: 'a:1' is not a list"]),
    ({"zone": "a", "Bad Key": "b", "k": "-bad"}, {"@keys": "label_key", "*": "label_value"},
     ["v: key 'Bad Key' is not a Kubernetes label key", "v.k: '-bad' is not a Kubernetes label value"]),
    (30000, "port(min=30000,max=32767)", []),
    (4647, "port(min=30000,max=32767)", ["v: 4647 is not a port number: use an integer from 30000 to 32767"]),
]


@pytest.mark.parametrize("value,spec,expected", TYPE_CASES, ids=[repr(c[0])[:40] for c in TYPE_CASES])
def test_type_errors_walks_nested_values(value, spec, expected):
    errors = type_errors(value, spec, "v")
    assert len(errors) == len(expected), errors
    for error, text in zip(errors, expected):
        assert error.startswith(text), errors


def test_type_errors_list_form_prefixes_each_variable():
    checks = [
        {"var": "nomad_server_backup_schedule", "value": "61 * * * *", "type": "cron"},
        {"var": "nomad_server_storage_size", "value": "10Gi", "type": "k8s_quantity(positive=true)"},
        {"var": "nomad_server_edge_cidrs", "value": ["10.0.0.0/33", "10.0.0.0/8", "300.0.0.0/8"], "type": ["cidr"]},
    ]
    assert type_errors(checks) == [
        "nomad_server_backup_schedule: '61 * * * *': '61' is outside the minute range 0-59 (a cron schedule: 5 fields"
        " 'minute hour day-of-month month day-of-week' (e.g. '17 */6 * * *') or @hourly, @daily, @weekly, @monthly, @yearly)",
        "nomad_server_edge_cidrs[0]: '10.0.0.0/33' is not a CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix,"
        " IPv4 prefix 0-32, IPv6 0-128)",
        "nomad_server_edge_cidrs[2]: '300.0.0.0/8' is not a CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix,"
        " IPv4 prefix 0-32, IPv6 0-128)",
    ]


def test_type_table_by_name_gives_the_same_messages_as_the_list_form():
    # The roles' preflight tables: {variable: type}, each value looked up by the variable's name.
    table = {"nomad_server_backup_schedule": "cron", "nomad_server_storage_size": "k8s_quantity(positive=true)",
             "nomad_server_edge_cidrs": ["cidr"]}
    values = {"nomad_server_backup_schedule": "61 * * * *", "nomad_server_storage_size": "10Gi",
              "nomad_server_edge_cidrs": ["10.0.0.0/33", "10.0.0.0/8", "300.0.0.0/8"]}
    rows = [{"var": name, "value": values[name], "type": spec} for name, spec in table.items()]
    expected = type_errors(rows)
    assert len(expected) == 3 and all(m.startswith(("nomad_server_backup_schedule:", "nomad_server_edge_cidrs[")) for m in expected)
    assert type_errors(table, values=values) == expected
    assert type_errors(table, values=[values[name] for name in table]) == expected


@pytest.mark.parametrize("values", [None, {"nomad_server_backup_schedule": "@daily"}, ["@daily"]])
def test_type_table_without_every_value_is_a_role_bug(values):
    with pytest.raises(AnsibleFilterError, match="type_errors: "):
        type_errors({"nomad_server_backup_schedule": "cron", "nomad_server_edge_cidrs": ["cidr"]}, values=values)


@pytest.mark.parametrize("spec", ["no_such_type", "int(min)", ["a", "b"], 5])
def test_a_bad_spec_is_a_role_bug_reported_as_a_filter_error(spec):
    with pytest.raises(AnsibleFilterError):
        type_errors("x", spec, "v")


WEIRD = [None, True, 0, -1, 1.5, float("nan"), "", " ", "\x00", "\u00b5", [], {}, [None], {"a": None}, {1: 2}, b"x", object()]


@pytest.mark.parametrize("value", WEIRD, ids=[repr(w)[:20] for w in WEIRD])
def test_no_input_makes_a_validator_raise(value):
    from ansible_collections.edgeops.nomad.plugins.plugin_utils._nomad_validators import VALIDATORS

    for name, validator in VALIDATORS.items():
        result = validator(value)
        assert result is None or isinstance(result, str), name
    assert isinstance(agent_config_errors(value, "x"), list)
    assert isinstance(agent_config_errors({"server": value, "client": {"host_volume": value}}, "x"), list)


# --- agent_config_errors ------------------------------------------------------------------------

SERVER_MANAGED = {"server.bootstrap_expect": "nomad_server_replicas", "data_dir": "it must be /nomad/data on the PVC"}

AGENT_CASES = [
    ({}, []),
    ({"server": {"job_gc_threshold": "4h", "heartbeat_grace": "30s"}, "telemetry": {"publish_node_metrics": True}}, []),
    ({"client": {"host_volume": {"data": {"path": "/srv", "read_only": True}}}}, []),
    ({"keyring": {"awskms": {"name": "k", "active": True, "kms_key_id": "abc"}}}, []),
    ({"consul": [{"name": "default", "address": "127.0.0.1:8500"}, {"name": "other"}]}, []),
    # the example: a misspelt key
    ({"client": {"gc_intervall": "1m"}}, ["x.client.gc_intervall: is not a Nomad agent setting (did you mean 'gc_interval'?)"]),
    ({"Data_Dir": "/x"}, ["x.Data_Dir: is not a Nomad agent setting (did you mean 'data_dir'?)"]),
    ({"clinet": {}}, ["x.clinet: is not a Nomad agent setting (did you mean 'client'?)"]),
    ({"zzz": 1}, ["x.zzz: is not a Nomad agent setting; allowed here: acl, addresses,"]),
    # deeper levels, including blocks where Nomad itself silently ignores unknown keys
    ({"server": {"default_scheduler_config": {"preemption_config": {"batch_scheduler_enabld": True}}}},
     ["x.server.default_scheduler_config.preemption_config.batch_scheduler_enabld: is not a Nomad agent setting (did you mean"
      " 'batch_scheduler_enabled'?)"]),
    ({"client": {"host_volume": {"data": {"path": "/srv", "readonly": True}}}},
     ["x.client.host_volume.data.readonly: is not a Nomad agent setting (did you mean 'read_only'?)"]),
    ({"vault": {"adress": "https://v"}}, ["x.vault.adress: is not a Nomad agent setting (did you mean 'address'?)"]),
    ({"consul": [{"name": "a"}, {"tokn": "t"}]}, ["x.consul[1].tokn: is not a Nomad agent setting (did you mean 'token'?)"]),
    ({"vault": {"allow_unauthenticated": True}}, ["x.vault.allow_unauthenticated: is not a Nomad agent setting any more (last in Nomad 1.9.7)"]),
    # managed keys name the variable to use
    ({"server": {"bootstrap_expect": 5}}, ["x.server.bootstrap_expect: is set by the role; use nomad_server_replicas instead"]),
    ({"data_dir": "/tmp"}, ["x.data_dir: is set by the role and cannot be overridden: it must be /nomad/data on the PVC"]),
    # types
    ({"autopilot": {"last_contact_threshold": "two hundred milliseconds"}},
     ["x.autopilot.last_contact_threshold: 'two hundred milliseconds' is not a Go duration"]),
    ({"server": {"raft_protocol": "three"}}, ["x.server.raft_protocol: 'three' is not an integer"]),
    ({"acl": {"enabled": "yes"}}, ["x.acl.enabled: 'yes' is not a boolean"]),
    ({"client": {"servers": "a:4647"}}, ["x.client.servers: 'a:4647' is not a list of strings"]),
    ({"log_level": "LOUD"}, ["x.log_level: 'LOUD' is not one of"]),
    ({"server": "yes"}, ["x.server: 'yes' is not a dict of Nomad agent settings"]),
    ({"plugin": ["docker"]}, ["x.plugin: ['docker'] is not a dict of label -> block"]),
]


@pytest.mark.parametrize("config,expected", AGENT_CASES, ids=[json.dumps(c[0])[:60] for c in AGENT_CASES])
def test_agent_config_errors(config, expected):
    errors = agent_config_errors(config, "x", managed=SERVER_MANAGED)
    assert len(errors) == len(expected), errors
    for error, text in zip(errors, expected):
        assert error.startswith(text), errors


def test_agent_config_edition_version_and_root():
    assert agent_config_errors({"enable_custom_upgrades": True}, "nomad_server_autopilot", root="autopilot", edition="ce") == [
        "nomad_server_autopilot.enable_custom_upgrades: is a Nomad Enterprise setting (the edition is Community)"]
    assert agent_config_errors({"enable_custom_upgrades": True}, "v", root="autopilot", edition="enterprise") == []
    assert agent_config_errors({"client": {"common_plugin_dir": "/x"}}, "v", version="1.10.5") == [
        "v.client.common_plugin_dir: needs Nomad >= 1.11.0 (the role installs 1.10.5)"]
    assert agent_config_errors({"client": {"common_plugin_dir": "/x"}}, "v", version="2.0.5") == []
    assert agent_config_errors({"memory": "lots", "cpu": 100}, "nomad_client_reserved", root="client.reserved") == [
        "nomad_client_reserved.memory: 'lots' is not an integer"]
    assert agent_config_errors([{"name": "a"}, {"nme": "b"}], "nomad_client_consul", root="consul") == [
        "nomad_client_consul[1].nme: is not a Nomad agent setting (did you mean 'name'?)"]
    with pytest.raises(AnsibleFilterError):
        agent_config_errors({}, "v", root="server.enabled")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"_type_errors", "_agent_config_errors"}


# --- the key data in the collection is what the shared schema says ------------------------------


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/nomad/agent-config.json not available")
def test_agent_schema_data_is_generated_from_the_shared_schema():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen-nomad-agent-schema.py"), "--check", str(SHARED)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/nomad/agent-config.json not available")
def test_every_schema_key_path_is_known():
    doc = json.loads(SHARED.read_text(encoding="utf-8"))

    def paths(keys, prefix=""):
        for name, spec in keys.items():
            yield prefix + name
            yield from paths(spec.get("keys", spec.get("k", {})), prefix + name + ".")

    assert sorted(paths(doc["schema"]["keys"])) == sorted(paths(KEYS))
    assert len(list(paths(KEYS))) == 440
