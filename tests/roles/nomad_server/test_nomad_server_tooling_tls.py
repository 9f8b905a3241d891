# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11 (minor): the role's tooling pods present a client certificate, never the servers' key.

Nomad accepts any certificate of its CA on HTTPS when verify_https_client is on (v2.0.5,
helper/tlsutil/config.go IncomingTLSConfig: RequireAndVerifyClientCert, no name check), so the
backup CronJob and the snapshot agent need no server certificate. Raft and server-only RPCs accept
only server.<region>.nomad (nomad/rpc.go validateRaftTLS; nomad/auth/auth.go NewAuthenticator,
validServerCertNames): a pod that holds the servers' key can pose as a server. So the tooling pods
get client.<region>.nomad and the servers' key stays in the StatefulSet.
"""

from __future__ import annotations

import pytest

from _server_render import ENT, MTLS, container, objects, one, render

VAULT = {"nomad_server_tls_source": "vault", "nomad_server_vault_address": "https://vault.example.test:8200",
         "nomad_server_vault_auth_role": "nomad", "nomad_server_vault_pki_role": "nomad-server",
         "nomad_server_tls_verify_https_client": True}
BACKUPS = {"nomad_server_backup_enabled": True}
CASES = {
    "vault_ce": {**VAULT, **BACKUPS},
    "vault_ent_own_role": {**VAULT, **ENT, **BACKUPS, "nomad_server_vault_pki_tooling_role": "nomad-tooling",
                           "nomad_server_region": "eu"},
    "secret_ce": {**MTLS, **BACKUPS},
    "secret_ent_named": {**MTLS, **ENT, **BACKUPS, "nomad_server_tooling_tls_secret_name": "nomad-backup-cert"},
    "no_client_verify": {**MTLS, **BACKUPS, "nomad_server_tls_verify_https_client": False},
    "vault_no_backups": VAULT,
}
# The Secret the tooling pods mount, per case.
TOOLING_SECRET = {"vault_ce": "nomad-tooling-tls", "vault_ent_own_role": "nomad-tooling-tls",
                  "secret_ce": "nomad-tooling-tls", "secret_ent_named": "nomad-backup-cert"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render(tmp_path_factory.mktemp("tooling"), CASES)


def _tooling_pods(objs):
    """(name, pod spec) of every pod template that is not the StatefulSet's."""
    pods = []
    for obj in objs:
        if obj["kind"] == "CronJob":
            pods.append((obj["metadata"]["name"], obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
        elif obj["kind"] in ("Deployment", "Job"):
            pods.append((obj["metadata"]["name"], obj["spec"]["template"]["spec"]))
    return pods


def _server_secret_keys_mounted(pod, server_secret):
    keys = []
    for vol in pod.get("volumes", []):
        secret = vol.get("secret") or {}
        if secret.get("secretName") == server_secret:
            keys += [item["key"] for item in secret.get("items") or [{"key": "*"}]]
    for vol in pod.get("volumes", []):
        for src in (vol.get("projected") or {}).get("sources", []):
            if (src.get("secret") or {}).get("name") == server_secret:
                keys += [item["key"] for item in src["secret"].get("items") or [{"key": "*"}]]
    return keys


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_no_tooling_pod_mounts_the_servers_key_or_certificate(rendered, case_id):
    objs = rendered[case_id]
    pods = _tooling_pods(objs)
    assert pods or case_id == "vault_no_backups", [o["kind"] for o in objs]
    for name, pod in pods:
        keys = _server_secret_keys_mounted(pod, "nomad-tls")
        # At most the CA of the servers' Secret (its key is issuing_ca with Vault, ca.crt otherwise).
        assert set(keys) <= {"ca.crt", "issuing_ca"}, (name, keys)


@pytest.mark.parametrize("case_id", sorted(TOOLING_SECRET))
def test_tooling_pods_present_the_tooling_certificate(rendered, case_id):
    secret = TOOLING_SECRET[case_id]
    pods = _tooling_pods(rendered[case_id])
    assert pods
    for name, pod in pods:
        tls = next(v for v in pod["volumes"] if v["name"] == "tls")["secret"]
        assert tls["secretName"] == secret, (name, tls)
        assert [i["path"] for i in tls["items"]] == ["ca.crt", "tls.crt", "tls.key"], (name, tls)
        assert tls["defaultMode"] == 0o440
        main = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in main["env"]}
        assert (env["NOMAD_CLIENT_CERT"], env["NOMAD_CLIENT_KEY"]) == ("/nomad/tls/tls.crt", "/nomad/tls/tls.key")
        mounts = {m["name"]: m["mountPath"] for m in main["volumeMounts"]}
        assert mounts["tls"] == "/nomad/tls"


def test_vault_issues_a_client_certificate_and_nothing_else(rendered):
    for case_id, role, region in (("vault_ce", "nomad-server", "global"), ("vault_ent_own_role", "nomad-tooling", "eu")):
        pkis = {o["spec"]["destination"]["name"]: o for o in objects(rendered[case_id], "VaultPKISecret")}
        assert set(pkis) == {"nomad-tls", "nomad-tooling-tls"}, case_id
        tooling = pkis["nomad-tooling-tls"]["spec"]
        assert tooling["commonName"] == "client.%s.nomad" % region
        # No server name, no headless wildcard, no address: it cannot serve as a server certificate.
        assert tooling["altNames"] == [] and tooling["ipSans"] == [], tooling
        assert tooling["role"] == role
        assert "rolloutRestartTargets" not in tooling
        assert pkis["nomad-tls"]["spec"]["commonName"] == "server.%s.nomad" % region
        assert pkis["nomad-tls"]["metadata"]["name"] == "nomad-tls"


def test_no_tooling_certificate_without_a_tooling_pod_or_client_verification(rendered):
    pkis = objects(rendered["vault_no_backups"], "VaultPKISecret")
    assert [p["spec"]["commonName"] for p in pkis] == ["server.global.nomad"]
    cron = one(rendered["no_client_verify"], "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    tls = next(v for v in pod["volumes"] if v["name"] == "tls")["secret"]
    assert tls["secretName"] == "nomad-tls" and [i["key"] for i in tls["items"]] == ["ca.crt"], tls
    env = {e["name"] for e in container(pod, "snapshot")["env"]}
    assert not env & {"NOMAD_CLIENT_CERT", "NOMAD_CLIENT_KEY"}, env
