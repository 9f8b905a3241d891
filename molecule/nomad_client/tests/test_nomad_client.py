"""Verify edgeops.nomad.nomad_client on the Molecule containers (testinfra, podman connection).

The Nomad binary on these hosts is the stand-in test double from tests/tools/stand_in_nomad/, not HashiCorp Nomad.
"""

import os
import re
import sys

ROOT = os.environ.get("EDGEOPS_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, ROOT)

TOKEN = "test-double-intro-token-0123456789"
ARCH = {"nomad-client-amd64-a": "amd64", "nomad-client-amd64-b": "amd64", "nomad-client-arm64": "arm64"}


def _name(host):
    return host.backend.get_hostname()


def test_binary_path_mode_and_version(host):
    nomad = host.file("/usr/local/bin/nomad")
    assert nomad.is_file
    assert nomad.user == "root" and nomad.group == "root"
    assert nomad.mode == 0o755
    out = host.check_output("/usr/local/bin/nomad version")
    # 2.0.5 still installed after the fault tests tried to install 2.0.6 from broken mirrors.
    assert out.splitlines()[0] == "Nomad v2.0.5"
    assert "linux/%s" % ARCH[_name(host)] in out


def test_config_file_mode_and_content(host):
    conf = host.file("/etc/nomad.d/client.hcl")
    assert conf.is_file
    assert conf.mode == 0o640
    assert conf.user == "root"
    text = conf.content_string
    assert "edge-data" in text and "/srv/nomad/edge-data" in text
    assert "nomad-lb.example.test:4647" in text
    pool = "edge-arm" if ARCH[_name(host)] == "arm64" else "edge-amd64"
    assert pool in text
    assert TOKEN not in text


def test_config_passes_the_schema(host, tmp_path):
    from tests.tools.nomad_schema import check_agent_config

    rendered = tmp_path / "client.hcl"
    rendered.write_text(host.file("/etc/nomad.d/client.hcl").content_string, encoding="utf-8")
    errors = check_agent_config(rendered, nomad_version="2.0.5")
    assert not errors, errors


def test_dirs(host):
    data = host.file("/opt/nomad/data")
    assert data.is_directory and data.mode == 0o700 and data.user == "root"
    conf = host.file("/etc/nomad.d")
    assert conf.is_directory and conf.mode == 0o750
    vol = host.file("/srv/nomad/edge-data")
    assert vol.is_directory
    assert vol.user == "nobody" and vol.group == "nogroup"
    assert vol.mode == 0o750


def _unit(host):
    lines = [line.strip() for line in host.file("/etc/systemd/system/nomad.service").content_string.splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith(("#", "[")))


def test_unit_enabled_active_and_ready(host):
    svc = host.service("nomad")
    assert svc.is_enabled
    assert svc.is_running
    unit = _unit(host)
    # Type=notify: systemd reports the unit active only after the agent sent READY=1 (the stand-in does, as Nomad).
    # With drain_on_shutdown (every host here, group vars) a stop sends SIGTERM, which drains with leave_on_terminate
    # (command/agent/command.go handleSignals); the role's own restarts send SIGINT, which never drains.
    assert unit["Type"] == "notify" and unit["KillMode"] == "process" and unit["KillSignal"] == "SIGTERM"
    assert host.check_output("systemctl show -p Type --value nomad") == "notify"
    assert host.check_output("systemctl show -p ActiveState --value nomad") == "active"


def _seconds(systemd_span):
    """systemd's time span ("2min 5s") in seconds."""
    units = {"h": 3600, "min": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(h|min|ms|s)\b", systemd_span))


def test_drain_on_shutdown_can_finish_before_systemd_kills_the_agent(host):
    # drain deadline 1m (group vars) + 5 s added by DrainSelf (client/drain.go): systemd must wait longer, and
    # the agent drains only with a leave flag (command/agent/command.go handleSignals)
    assert _seconds(host.check_output("systemctl show -p TimeoutStopUSec --value nomad")) > 65
    text = host.file("/etc/nomad.d/client.hcl").content_string
    assert "leave_on_terminate = true" in text and "leave_on_interrupt = false" in text


def test_tls_and_acl_on(host):
    text = host.file("/etc/nomad.d/client.hcl").content_string
    assert 'ca_file = "/etc/nomad.d/tls/ca.pem"' in text and "rpc = true" in text
    assert "acl {\n  enabled = true\n}" in text
    key = host.file("/etc/nomad.d/tls/key.pem")
    assert key.mode == 0o600 and key.user == "root"
    assert "PRIVATE KEY" in key.content_string


def test_token_file_mode_and_not_in_process_list(host):
    if ARCH[_name(host)] == "arm64":
        token_file = host.file("/etc/nomad.d/nomad.env")
        expected = "NOMAD_CLIENT_INTRO_TOKEN=%s\n" % TOKEN
    else:
        token_file = host.file("/opt/nomad/data/client/intro_token.jwt")
        expected = TOKEN + "\n"
    assert token_file.mode == 0o600 and token_file.user == "root"
    assert token_file.content_string == expected
    ps = host.check_output("ps -eo args")
    assert "agent -config=/etc/nomad.d" in ps
    assert TOKEN not in ps


def test_restarted_once_on_config_change_and_never_on_a_noop_run(host):
    # converge starts the agent (1); idempotence must not restart it; side_effect changes meta (2).
    log = host.file("/var/log/nomad-stand-in.log").content_string
    starts = [line for line in log.splitlines() if " start " in line]
    assert len(starts) == 2, log
    assert "changed" in host.file("/etc/nomad.d/client.hcl").content_string
