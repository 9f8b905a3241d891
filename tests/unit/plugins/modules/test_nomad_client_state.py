"""edgeops.nomad.nomad_client_state: one module run tells what differs on a client host.

Real files in a temporary directory and a stand-in `systemctl` (a shell script on PATH that prints what
`systemctl show` prints) stand in for the host.
"""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import json
import os
import pwd
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.edgeops.nomad.plugins.modules import nomad_client_state

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def run(capsys, args, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            nomad_client_state.main()
    return json.loads(capsys.readouterr().out)


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A converged host: config file, binary, directory, and a running enabled service."""
    (tmp_path / "etc").mkdir(mode=0o750)
    os.chmod(tmp_path / "etc", 0o750)
    (tmp_path / "etc" / "client.hcl").write_text("datacenter = \"dc1\"\n")
    os.chmod(tmp_path / "etc" / "client.hcl", 0o640)
    (tmp_path / "nomad").write_bytes(b"\x7fELF binary")
    os.chmod(tmp_path / "nomad", 0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    props = tmp_path / "props"
    props.write_text("LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nNeedDaemonReload=no\n")
    script = bindir / "systemctl"
    script.write_text("#!/bin/sh\n[ \"$1\" = show ] && [ \"$2\" = nomad.service ] || exit 3\ncat %s\n" % props)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    # systemd runs as init on this stand-in host (sd_booted(3): /run/systemd/system exists)
    (tmp_path / "run-systemd-system").mkdir()
    monkeypatch.setattr(nomad_client_state, "SYSTEMD_RUN_DIR", str(tmp_path / "run-systemd-system"), raising=False)
    args = {
        "files": [
            {"label": "config", "path": str(tmp_path / "etc" / "client.hcl"), "sha256": sha("datacenter = \"dc1\"\n"),
             "mode": "0640", "owner": ME, "group": MY_GROUP},
            {"label": "binary", "path": str(tmp_path / "nomad"),
             "sha256": hashlib.sha256(b"\x7fELF binary").hexdigest(), "mode": "0755"},
        ],
        "directories": [{"path": str(tmp_path / "etc"), "mode": "0750", "owner": ME, "group": MY_GROUP}],
        "service": {"name": "nomad"},
    }
    return tmp_path, props, args


def test_converged_host_differs_in_nothing(capsys, host):
    _tmp, _props, args = host
    out = run(capsys, args)
    assert out["differs"] == [] and out["converged"] is True and out["changed"] is False
    assert out["service"]["unit_file_state"] == "enabled"


def test_who_runs_the_service_since_when(capsys, host):
    # the package install method compares these before and after the package changed: HashiCorp's postrm restarts
    # the service on a DEB upgrade (.release/linux/postrm), and the role must not restart it a second time
    _tmp, props, args = host
    props.write_text("LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nNeedDaemonReload=no\n"
                     "MainPID=4242\nExecMainStartTimestampMonotonic=81234567\n")
    out = run(capsys, args)
    assert (out["service"]["main_pid"], out["service"]["started_monotonic"]) == ("4242", "81234567")


def test_each_kind_of_difference_is_reported_under_its_label(capsys, host):
    tmp, props, args = host
    (tmp / "etc" / "client.hcl").write_text("datacenter = \"dc2\"\n")    # content
    os.chmod(tmp / "nomad", 0o775)                                      # mode of the binary
    os.chmod(tmp / "etc", 0o755)                                        # mode of a directory
    props.write_text("LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nNeedDaemonReload=yes\n")
    out = run(capsys, args, diff=True)
    assert out["differs"] == ["binary", "config", "directories", "service"]
    assert out["files"][0]["reasons"] == ["content"] and out["files"][1]["reasons"] == ["mode"]
    assert out["directories"][0]["reasons"] == ["mode"] and out["directories"][0]["mode"] == "0755"
    assert out["service"]["reasons"] == ["unit changed on disk, not reloaded"]
    # the diff names files by checksum only
    assert out["diff"]["before"][str(tmp / "etc" / "client.hcl")]["sha256"] == sha("datacenter = \"dc2\"\n")
    assert out["diff"]["after"][str(tmp / "etc") + "/"]["mode"] == "0750"


def test_missing_things_and_a_stopped_service(capsys, host):
    tmp, props, args = host
    os.remove(tmp / "nomad")
    args["directories"].append({"path": str(tmp / "data"), "mode": "0700"})
    props.write_text("LoadState=not-found\nUnitFileState=\nActiveState=inactive\nNeedDaemonReload=no\n")
    out = run(capsys, args, check_mode=True)
    assert out["differs"] == ["binary", "directories", "service"]
    assert out["files"][1]["reasons"] == ["missing"]
    assert out["service"]["reasons"] == ["not loaded", "not enabled", "not running"]


def test_unknown_wanted_checksum_counts_as_differing(capsys, host):
    _tmp, _props, args = host
    args["files"][1]["sha256"] = ""
    assert run(capsys, args)["differs"] == ["binary"]


def test_wrong_owner_is_a_difference(capsys, host):
    _tmp, _props, args = host
    other = "root" if ME != "root" else "nobody"
    args["files"][0]["owner"] = other
    out = run(capsys, args)
    assert out["differs"] == ["config"] and out["files"][0]["reasons"] == ["owner"]


def test_changes_nothing(capsys, host):
    tmp, _props, args = host
    os.chmod(tmp / "etc", 0o755)
    before = stat.S_IMODE(os.stat(tmp / "etc").st_mode)
    run(capsys, args)
    assert stat.S_IMODE(os.stat(tmp / "etc").st_mode) == before


def test_bad_mode_is_refused(capsys, host):
    _tmp, _props, args = host
    args["files"][0]["mode"] = "rw-r-----"
    out = run(capsys, args)
    assert out["failed"] and "must be an octal string" in out["msg"]


def test_fix_directories_creates_and_fixes_them(capsys, host):
    tmp, _props, args = host
    os.chmod(tmp / "etc", 0o755)
    args["directories"].append({"path": str(tmp / "srv" / "volume"), "mode": "0700", "owner": ME})
    args["fix_directories"] = True
    out = run(capsys, args, diff=True)
    assert out["changed"] is True and out["differs"] == []
    assert [d["fixed"] for d in out["directories"]] == [True, True]
    assert stat.S_IMODE(os.stat(tmp / "etc").st_mode) == 0o750
    assert stat.S_IMODE(os.stat(tmp / "srv" / "volume").st_mode) == 0o700
    assert out["diff"]["before"][str(tmp / "srv" / "volume") + "/"] is None
    # second run: nothing to do
    out = run(capsys, args)
    assert out["changed"] is False and out["converged"] is True


def test_fix_directories_in_check_mode_reports_and_changes_nothing(capsys, host):
    tmp, _props, args = host
    args["directories"].append({"path": str(tmp / "data"), "mode": "0700"})
    args["fix_directories"] = True
    out = run(capsys, args, check_mode=True)
    assert out["changed"] is True and not (tmp / "data").exists()


def test_fix_directories_refuses_a_file_in_the_way(capsys, host):
    tmp, _props, args = host
    (tmp / "data").write_text("x")
    args["directories"].append({"path": str(tmp / "data"), "mode": "0700"})
    args["fix_directories"] = True
    out = run(capsys, args)
    assert out["failed"] and "is not a directory" in out["msg"]


def test_a_file_newer_than_the_agent_start_is_a_pending_restart(capsys, host):
    # a run killed after it wrote client.hcl and before its handler restarted the agent (systemd >= 248 prints
    # microseconds with --timestamp=us+utc)
    tmp, props, args = host
    script = [p for p in os.environ["PATH"].split(":") if (os.path.exists(os.path.join(p, "systemctl")))][0]
    with open(os.path.join(script, "systemctl"), "w") as handle:
        handle.write("#!/bin/sh\ncase \"$*\" in *--property=ExecMainStartTimestamp\\ *) echo 'Sun 2026-01-04 10:00:00.000001 UTC';;\n"
                     "*) cat %s;; esac\n" % props)
    os.utime(tmp / "etc" / "client.hcl", (1767520800 + 5, 1767520800 + 5))  # 2026-01-04 10:00:05 UTC
    os.utime(tmp / "nomad", (1767520800 - 5, 1767520800 - 5))
    args["service"]["restart_when_newer"] = [str(tmp / "nomad"), str(tmp / "etc")]
    out = run(capsys, args)
    assert out["differs"] == ["restart_pending"]
    assert out["service"]["restart_pending"] == [str(tmp / "etc" / "client.hcl")]
    os.utime(tmp / "etc" / "client.hcl", (1767520800 - 1, 1767520800 - 1))
    assert run(capsys, args)["differs"] == []


# A host where systemd is not the init system (a container without it, a chroot, an image being built) or has no
# systemctl: the module used to crash with KeyError 'restart_pending' ("Module failed: 'restart_pending'").
# It now fails with a message that names the condition, and changes nothing first (fix_directories included).
# sd_booted(3): systemd runs as init if and only if /run/systemd/system exists.
def _no_systemd_case(tmp, monkeypatch, case):
    if case == "no systemctl":
        bare = tmp / "bare-bin"
        bare.mkdir()
        monkeypatch.setenv("PATH", str(bare))
        return "systemctl is not installed on this host"
    if case == "systemd not running":
        monkeypatch.setattr(nomad_client_state, "SYSTEMD_RUN_DIR", str(tmp / "absent"), raising=False)
        return "systemd is not running as the init system"
    # systemd is booted but cannot be asked (what systemctl prints in a chroot of a booted host)
    script = [p for p in os.environ["PATH"].split(":") if os.path.exists(os.path.join(p, "systemctl"))][0]
    with open(os.path.join(script, "systemctl"), "w") as handle:
        handle.write("#!/bin/sh\necho 'Running in chroot, ignoring command.' >&2\nexit 1\n")
    return "`systemctl show nomad.service` failed (exit 1): Running in chroot, ignoring command."


@pytest.mark.parametrize("case", ["no systemctl", "systemd not running", "systemctl show fails"])
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_host_without_a_running_systemd_is_a_clear_failure(capsys, host, monkeypatch, case, check_mode):
    tmp, _props, args = host
    args["service"]["restart_when_newer"] = [str(tmp / "etc")]
    args["directories"].append({"path": str(tmp / "data"), "mode": "0700"})
    args["fix_directories"] = True
    condition = _no_systemd_case(tmp, monkeypatch, case)
    out = run(capsys, args, check_mode=check_mode)
    assert out.get("failed") is True, out
    assert "exception" not in out and "restart_pending" not in out["msg"], out
    assert out["msg"].startswith("service nomad: " + condition), out["msg"]
    assert "needs systemd as its init system (PID 1)" in out["msg"]
    assert not (tmp / "data").exists()  # nothing changed before the failure


def test_no_service_asked_no_systemd_needed(capsys, host, monkeypatch):
    tmp, _props, args = host
    del args["service"]
    _no_systemd_case(tmp, monkeypatch, "systemd not running")
    out = run(capsys, args)
    assert out["differs"] == [] and out["service"] == {}


def test_gather_facts_returns_what_setup_returns_for_the_role(capsys, host):
    # The role reads these facts (roles/nomad_client/vars/main.yml __nomad_client_host, the apt source's release)
    # from this one module run on a Linux host without facts; they must be setup's: platform.system(),
    # platform.machine() (ansible.module_utils.facts.system.platform on Linux) and Ansible's distribution collector.
    import platform

    from ansible.module_utils.facts.system.distribution import Distribution

    _tmp, _props, args = host
    out = run(capsys, dict(args, gather_facts=True))
    facts = out["ansible_facts"]
    assert facts["system"] == platform.system() and facts["architecture"] == platform.machine()

    class _Module(object):
        def get_bin_path(self, *dummy, **dummy_kw):
            return None

        def run_command(self, *dummy, **dummy_kw):
            return 1, "", ""

    expected = Distribution(module=_Module()).get_distribution_facts()
    for key in ("os_family", "distribution", "distribution_major_version", "distribution_release", "distribution_version"):
        assert facts[key] == expected[key], key
    assert out["converged"] is True


def test_no_facts_unless_asked(capsys, host):
    _tmp, _props, args = host
    assert "ansible_facts" not in run(capsys, args)


def test_binary_checksum_by_the_host_architecture(capsys, host, monkeypatch):
    # The role knows the binaries of several architectures before it knows the host's: the module picks its own.
    _tmp, _props, args = host
    monkeypatch.setattr(nomad_client_state.platform, "machine", lambda: "aarch64")
    good = hashlib.sha256(b"\x7fELF binary").hexdigest()
    args["files"][1] = dict(args["files"][1], sha256="", sha256_by_architecture={"aarch64": good, "x86_64": sha("other")})
    out = run(capsys, dict(args, gather_facts=True))
    assert out["differs"] == [] and out["ansible_facts"]["architecture"] == "aarch64"
    args["files"][1]["sha256_by_architecture"] = {"aarch64": sha("other"), "x86_64": good}
    assert run(capsys, args)["differs"] == ["binary"]
    args["files"][1]["sha256_by_architecture"] = {"x86_64": good}  # this host's binary not known: differs
    out = run(capsys, args, diff=True)
    assert out["differs"] == ["binary"] and out["diff"]["after"][args["files"][1]["path"]]["sha256"] == "(not known here)"
