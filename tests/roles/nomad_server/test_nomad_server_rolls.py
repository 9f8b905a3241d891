# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quorum-safe rolls, backups and one writer per object, on the rendered objects and files.

Quorum-safe rolls: a restarted server is a non-voter for server_stabilization_time
(nomad/autopilot.go, AutopilotConfig); the StatefulSet must not count it available before that;
certificate renewals must not restart pods: Nomad reloads TLS files on SIGHUP when their content
changed (command/agent/command.go handleReload; command/agent/agent.go ShouldReload;
nomad/structs/config/tls.go CertificateInfoIsEqual).
Backups: snapshot save asks for the operator capability snapshot-save from 1.11.3 on
(nomad/operator_endpoint.go, Operator.snapshotSave); the backup pods read the Secret that
tasks/backup_token.yml writes; the Enterprise agent gets only what it needs (no Consul).
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from _server_render import ENT, MTLS, ROOT, container, one, render

VAULT_TLS = {"nomad_server_tls_source": "vault", "nomad_server_vault_address": "https://vault.example.test:8200",
             "nomad_server_vault_auth_role": "nomad", "nomad_server_vault_pki_role": "nomad-server",
             "nomad_server_tls_verify_https_client": True}
CASES = {
    "mtls": MTLS,
    "slow_stabilization": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "1m30s"}},
    # The same 90 s in every sub-second unit Go's time.ParseDuration reads (Go src/time/format.go, ParseDuration),
    # and 10.5 s that must round up: each unit counts, none is read as 0.
    "stabilization_ns": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "90000000000ns"}},
    "stabilization_us": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "90000000us"}},
    "stabilization_micro": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "90000000\u00b5s"}},
    "stabilization_ms": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "90000ms"}},
    "stabilization_mixed": {**MTLS, "nomad_server_autopilot": {"server_stabilization_time": "10s500000us"}},
    "vault_tls": VAULT_TLS,
    "backups_ce": {**MTLS, "nomad_server_backup_enabled": True},
    "backups_ent": {**MTLS, **ENT, "nomad_server_backup_enabled": True},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render(tmp_path_factory.mktemp("rolls"), CASES)


@pytest.mark.parametrize("case_id, stabilization", [("mtls", 10), ("slow_stabilization", 90)])
def test_pod_available_only_after_stabilization(rendered, case_id, stabilization):
    sts = one(rendered[case_id], "StatefulSet")
    assert sts["spec"].get("minReadySeconds", 0) > stabilization, sts["spec"].get("minReadySeconds")


@pytest.mark.parametrize("case_id, stabilization", [
    ("stabilization_ns", 90), ("stabilization_us", 90), ("stabilization_micro", 90), ("stabilization_ms", 90),
    ("stabilization_mixed", 11), ("slow_stabilization", 90), ("mtls", 10)])
def test_min_ready_seconds_reads_every_go_duration_unit(rendered, case_id, stabilization):
    """minReadySeconds = server_stabilization_time in whole seconds, rounded up, + 10 s of margin."""
    sts = one(rendered[case_id], "StatefulSet")
    assert sts["spec"].get("minReadySeconds") == stabilization + 10, sts["spec"].get("minReadySeconds")


def test_certificate_renewal_does_not_restart_pods(rendered):
    pki = one(rendered["vault_tls"], "VaultPKISecret")
    targets = pki["spec"].get("rolloutRestartTargets", [])
    assert not [t for t in targets if t.get("kind") == "StatefulSet"], targets


def _reload_script(rendered, case_id):
    pod = one(rendered[case_id], "StatefulSet")["spec"]["template"]["spec"]
    assert pod.get("shareProcessNamespace") is True, "the sidecar must see the agent's process"
    side = [c for c in pod["containers"] if c["name"] != "nomad"]
    assert len(side) == 1, [c["name"] for c in pod["containers"]]
    assert any(m["name"] == "tls" for m in side[0]["volumeMounts"])
    return side[0]["command"] + side[0]["args"]


FAKE_SLEEP = r"""#!/bin/sh
# Stand-in for sleep: counts the loop turns; on turn $CHANGE_AT the certificate changes; stops after 4.
n=$(( $(cat "$STATE/turns" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$STATE/turns"
[ "$n" = "$CHANGE_AT" ] && echo renewed >> "$TLS/tls.crt"
[ "$n" -le 4 ]
"""
FAKE_PKILL = r"""#!/bin/sh
echo "$*" >> "$STATE/pkill"
"""


@pytest.mark.parametrize("change_at, expect_signals", [(2, 1), (99, 0)])
def test_tls_change_sends_one_sighup_to_the_agent(rendered, tmp_path, change_at, expect_signals):
    command = _reload_script(rendered, "vault_tls")
    tls = tmp_path / "tls"
    tls.mkdir()
    for name in ("ca.crt", "tls.crt", "tls.key"):
        (tls / name).write_text(name, encoding="utf-8")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, text in (("sleep", FAKE_SLEEP), ("pkill", FAKE_PKILL)):
        (bindir / name).write_text(text, encoding="utf-8")
        (bindir / name).chmod(0o755)
    # The script reads the mounted files at the container path; point it at the test copy.
    command = [part.replace("/nomad/tls/", str(tls) + "/") for part in command]
    env = {"PATH": "%s:/usr/bin:/bin" % bindir, "STATE": str(tmp_path), "TLS": str(tls), "CHANGE_AT": str(change_at)}
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    calls = (tmp_path / "pkill").read_text(encoding="utf-8").splitlines() if (tmp_path / "pkill").exists() else []
    assert len(calls) == expect_signals, calls
    # SIGHUP to the agent process only (not to `nomad operator api` probes, not TERM).
    assert all(call == "-HUP -f ^nomad agent" for call in calls), calls


def test_backup_pods_read_the_secret_backup_token_writes(rendered):
    tasks = yaml.safe_load((ROOT / "roles/nomad_server/tasks/backup_token.yml").read_text(encoding="utf-8"))
    stores = [t for t in tasks if "kubernetes.core.k8s" in t]
    assert len(stores) == 1
    definition = stores[0]["kubernetes.core.k8s"]["definition"]
    assert definition["metadata"]["name"] == "{{ __nomad_server_names.backup_token }}"
    assert "token" in definition["stringData"]
    cron = one(rendered["backups_ce"], "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in container(pod, "snapshot")["env"]}
    ref = env["NOMAD_TOKEN"]["valueFrom"]["secretKeyRef"]
    # __nomad_server_names.backup_token with the default name: the backups' own Secret.
    assert (ref["name"], ref["key"]) == ("nomad-backup-token", "token"), ref
    agent = one(rendered["backups_ent"], "Deployment")
    env = {e["name"]: e for e in container(agent["spec"]["template"]["spec"], "snapshot-agent")["env"]}
    assert env["NOMAD_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "nomad-backup-token"


def test_snapshot_agent_gets_only_what_it_needs(rendered):
    config = one(rendered["backups_ent"], "ConfigMap", "nomad-snapshots-agent")["data"]["snapshot.hcl"]
    # Consul is on by default in the agent (service registration, lock): off, and no Consul-only keys.
    assert "deregister_after" not in config, config
    assert "consul {" in config and "enabled = false" in config, config
    assert "local_storage {" in config


def test_day2_playbooks_do_not_write_the_statefulset_themselves():
    for name in ("upgrade_servers.yml", "recover_raft.yml"):
        text = (ROOT / "playbooks" / name).read_text(encoding="utf-8")
        plays = yaml.safe_load(text)
        modules = [k for play in plays for task in play.get("tasks", []) for k in task if "." in k]
        # Only the shared token lookup and the role's entry point: no patch of the StatefulSet (a
        # second field manager), no restated pod selector.
        assert set(modules) <= {"ansible.builtin.import_tasks", "ansible.builtin.include_role"}, (name, modules)
        assert "app.kubernetes.io/name=nomad" not in text, name
    assert not (ROOT / "playbooks/tasks/upgrade_server_pod.yml").exists()
