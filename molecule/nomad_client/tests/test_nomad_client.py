"""Verify edgeops.nomad.nomad_client on the Molecule containers (testinfra, podman connection).

The Nomad binary on these hosts is the stand-in test double from tests/stand_in_nomad/, not HashiCorp Nomad.
"""

import os
import sys

import pytest

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
    from tests.nomad_schema import check_agent_config

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


def test_unit_hardened_enabled_and_active(host):
    svc = host.service("nomad")
    assert svc.is_enabled
    assert svc.is_running
    unit = host.file("/etc/systemd/system/nomad.service").content_string
    for line in ("Restart=on-failure", "KillMode=process", "LimitNOFILE=", "TasksMax=infinity", "OOMScoreAdjust="):
        assert line in unit


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


@pytest.mark.parametrize("path", ["/usr/local/bin/nomad.part", "/etc/nomad.d/client.hcl.part"])
def test_nothing_half_written(host, path):
    assert not host.file(path).exists
