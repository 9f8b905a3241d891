"""Verify the package install method of edgeops.nomad.nomad_client on its Molecule container (testinfra, podman).

The package is the stand-in of HashiCorp's (tests/tools/stand_in_nomad/build_apt_repo.sh, a TEST DOUBLE): the
stand-in binary with HashiCorp's /etc/nomad.d/nomad.hcl (server { enabled = true, bootstrap_expect = 1 }), its own
unit and maintainer scripts that behave like HashiCorp's. Nomad merges every file of a -config directory and a later
file cannot turn server.enabled off (command/agent/config.go LoadConfigDir, ServerConfig.Merge): what the running
agent loads is read from its own command line and merged as Nomad does, then checked by the project's schema tool.
"""

import json
import os
import shlex
import sys

ROOT = os.environ.get("EDGEOPS_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, ROOT)

TOKEN = "test-double-intro-token-0123456789"
ROLE_DIR = "/etc/nomad-client.d"


def agents(host):
    """(pid, argv) of every process running `nomad agent` (the stand-in keeps the agent's arguments visible).
    The pattern's [g] keeps the shell that runs pgrep from matching itself."""
    found = []
    for pid in host.check_output("pgrep -f -- ' agent -confi[g]' || true").split():
        raw = host.check_output("python3 -c %s" % shlex.quote(
            "import json; print(json.dumps(open('/proc/%s/cmdline', 'rb').read().decode().split(chr(0))[:-1]))" % pid))
        found.append((pid, json.loads(raw)))
    return found


def config_paths(argv):
    paths = []
    for i, arg in enumerate(argv):
        if arg.startswith("-config="):
            paths.append(arg.split("=", 1)[1])
        elif arg == "-config":
            paths.append(argv[i + 1])
    return paths


def copy_config(host, path, into):
    """The files Nomad would read at `path` (a file, or a directory's *.hcl and *.json), copied under `into`."""
    target = into / path.lstrip("/")
    if host.file(path).is_directory:
        target.mkdir(parents=True, exist_ok=True)
        for name in host.check_output("ls -1 %s" % shlex.quote(path)).split():
            if name.endswith((".hcl", ".json")) and host.file(path + "/" + name).is_file:
                (target / name).write_text(host.file(path + "/" + name).content_string, encoding="utf-8")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(host.file(path).content_string, encoding="utf-8")
    return target


def test_one_agent_and_it_is_a_client_only(host, tmp_path):
    from tests.tools.nomad_schema import check_agent_config
    from tests.tools.nomad_schema.agent import load_agent_paths

    running = agents(host)
    assert len(running) == 1, running
    pid, argv = running[0]
    paths = config_paths(argv)
    loaded = load_agent_paths([copy_config(host, p, tmp_path) for p in paths])
    errors = check_agent_config(loaded, nomad_version="2.0.5", mode="client")
    assert not errors, (paths, errors)
    assert paths == [ROLE_DIR], argv
    assert loaded["client"]["server_join"]["retry_join"] == ["nomad-lb.example.test:4647"]
    # the agent is the one systemd runs for the role's unit
    assert host.check_output("systemctl show nomad.service --property=MainPID --value") == pid


def test_the_packages_own_directory_would_have_made_a_server(host, tmp_path):
    # the stand-in package is faithful: what its own unit would load is a server as well
    from tests.tools.nomad_schema import check_agent_config
    from tests.tools.nomad_schema.agent import load_agent_paths

    loaded = load_agent_paths([copy_config(host, "/etc/nomad.d", tmp_path)])
    assert any(e.startswith("server.enabled: true") for e in check_agent_config(loaded, mode="client"))


def test_the_roles_unit_shadows_the_packages_and_is_active(host):
    show = dict(line.split("=", 1) for line in host.check_output(
        "systemctl show nomad.service --property=FragmentPath,ActiveState,UnitFileState").splitlines())
    assert show == {"FragmentPath": "/etc/systemd/system/nomad.service", "ActiveState": "active", "UnitFileState": "enabled"}
    assert host.file("/usr/lib/systemd/system/nomad.service").is_file  # the package's, shadowed
    assert "-config=%s" % ROLE_DIR in host.file("/etc/systemd/system/nomad.service").content_string


def test_the_packages_files_are_as_shipped(host):
    # dpkg --verify prints nothing when every file of the package (its conffiles included) is as shipped: upgrades
    # never prompt about a conffile the role changed
    assert host.run("dpkg --verify nomad").stdout == ""
    assert host.check_output("dpkg-query -W -f '${Version}' nomad") == "2.0.6-1"
    assert host.check_output("/usr/bin/nomad version").splitlines()[0] == "Nomad v2.0.6"


def test_the_roles_files_stay_root_only_after_the_packages_chown(host):
    # postinst ran three times (install, the role's upgrade, the reinstall) and chowned /etc/nomad.d each time
    assert host.file("/etc/nomad.d").user == "nomad"
    for path, mode in [(ROLE_DIR, 0o750), (ROLE_DIR + "/client.hcl", 0o640), (ROLE_DIR + "/tls", 0o750),
                       (ROLE_DIR + "/tls/key.pem", 0o600), (ROLE_DIR + "/nomad.env", 0o600), ("/opt/nomad/data", 0o700)]:
        found = host.file(path)
        assert (found.exists, found.user, found.group, found.mode) == (True, "root", "root", mode), path
    assert TOKEN in host.file(ROLE_DIR + "/nomad.env").content_string
    assert TOKEN not in host.file(ROLE_DIR + "/client.hcl").content_string


def test_one_start_per_package_upgrade(host):
    # converge 1, the role's upgrade 1 (postrm's restart, not a second one by the role), the reinstall 1
    log = host.file("/var/log/nomad-stand-in.log").content_string
    starts = [line for line in log.splitlines() if " start pid=" in line]
    assert len(starts) == 3, log
    assert "version=2.0.6" in starts[-1] and "config=%s" % ROLE_DIR in starts[-1]


def test_the_only_apt_source_is_the_signed_repository(host):
    sources = host.file("/etc/apt/sources.list.d/hashicorp.sources").content_string
    assert "Signed-By: /usr/share/keyrings/hashicorp-archive-keyring.asc" in sources
    assert host.file("/usr/share/keyrings/hashicorp-archive-keyring.asc").content_string.startswith(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_what_an_earlier_role_left_in_the_packages_directory_is_gone(host):
    # prepare.yml planted client.hcl and tls/key.pem there, as earlier versions of the role wrote them
    assert not host.file("/etc/nomad.d/client.hcl").exists and not host.file("/etc/nomad.d/tls").exists
    assert host.file("/etc/nomad.d/nomad.hcl").exists  # the package's own file stays
