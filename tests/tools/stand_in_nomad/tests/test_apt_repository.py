# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in of HashiCorp's APT repository (tests/tools/stand_in_nomad/build_apt_repo.sh) is built like
HashiCorp's and is one apt accepts: a signed Release that apt verifies through signed-by, and packages that carry
what HashiCorp's nomad package carries (hashicorp/nomad v2.0.5, .release/linux/): /etc/nomad.d/nomad.hcl with a
one-node server and a client, nomad.env, the package's own unit, all three conffiles, and maintainer scripts that
chown /etc/nomad.d and /opt/nomad/data and restart the service on upgrade.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    out = tmp_path_factory.mktemp("apt") / "repo"
    env = {"EDGEOPS_NOMAD_APT_SUITES": "bookworm", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    subprocess.run(["bash", str(HERE / "build_apt_repo.sh"), str(out), "2.0.5", "2.0.6"], check=True, env=env,
                   capture_output=True, text=True)
    return out


def deb_file(deb, path, tmp_path):
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    return (tmp_path / path.lstrip("/")).read_text(encoding="utf-8")


def control(deb, name):
    return subprocess.run(["dpkg-deb", "-I", str(deb), name], check=True, capture_output=True, text=True).stdout


def test_one_package_per_version_and_architecture(repo):
    debs = sorted(p.name for p in (repo / "pool" / "main" / "n" / "nomad").iterdir())
    assert debs == ["nomad_2.0.5-1_amd64.deb", "nomad_2.0.5-1_arm64.deb", "nomad_2.0.6-1_amd64.deb", "nomad_2.0.6-1_arm64.deb"]


def test_the_package_carries_hashicorps_files_as_conffiles(repo, tmp_path):
    deb = repo / "pool" / "main" / "n" / "nomad" / "nomad_2.0.5-1_amd64.deb"
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    for path in ("./usr/bin/nomad", "./etc/nomad.d/nomad.hcl", "./etc/nomad.d/nomad.env", "./usr/lib/systemd/system/nomad.service"):
        assert path in listing, listing
    assert control(deb, "conffiles").split() == ["/etc/nomad.d/nomad.env", "/etc/nomad.d/nomad.hcl",
                                                 "/usr/lib/systemd/system/nomad.service"]
    hcl = deb_file(deb, "/etc/nomad.d/nomad.hcl", tmp_path)
    assert "bootstrap_expect = 1" in hcl and 'servers = ["127.0.0.1"]' in hcl
    unit = deb_file(deb, "/usr/lib/systemd/system/nomad.service", tmp_path)
    assert "ExecStart=/usr/bin/nomad agent -config=/etc/nomad.d" in unit and "KillSignal=SIGINT" in unit
    version = subprocess.run([str(tmp_path / "usr" / "bin" / "nomad"), "version"], check=True, capture_output=True, text=True).stdout
    assert version.splitlines()[0] == "Nomad v2.0.5" and "linux/amd64" in version


def test_the_maintainer_scripts_do_what_hashicorps_do(repo):
    deb = repo / "pool" / "main" / "n" / "nomad" / "nomad_2.0.6-1_amd64.deb"
    preinst, postinst, postrm = (control(deb, name) for name in ("preinst", "postinst", "postrm"))
    assert "useradd --system --user-group --shell /bin/false nomad" in preinst
    assert "chown nomad:nomad /opt/nomad/data" in postinst and "chown -R nomad:nomad /etc/nomad.d" in postinst
    assert "systemctl restart nomad" in postrm and '"$1" = upgrade' in postrm
    for name in ("preinst", "postinst", "postrm"):
        subprocess.run(["sh", "-n", str(HERE / "package" / "DEBIAN" / name)], check=True)
    assert "Depends: openssl" in control(deb, "control") and "Version: 2.0.6-1" in control(deb, "control")


def test_the_indexes_name_each_package_with_its_checksum(repo):
    text = (repo / "dists" / "bookworm" / "main" / "binary-arm64" / "Packages").read_text(encoding="utf-8")
    assert gzip.decompress((repo / "dists" / "bookworm" / "main" / "binary-arm64" / "Packages.gz").read_bytes()).decode() == text
    entries = [dict(line.split(": ", 1) for line in block.splitlines() if ": " in line) for block in text.strip().split("\n\n")]
    assert [e["Version"] for e in entries] == ["2.0.5-1", "2.0.6-1"]
    for entry in entries:
        assert entry["SHA256"] == hashlib.sha256((repo / entry["Filename"]).read_bytes()).hexdigest()


@pytest.mark.skipif(not shutil.which("apt-get"), reason="needs apt")
def test_apt_accepts_the_repository_through_signed_by_and_refuses_another_key(repo, tmp_path):
    def apt(key):
        root = tmp_path / key.stem
        for sub in ("lists/partial", "cache/archives/partial", "etc/sources.list.d", "etc/preferences.d"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "etc" / "sources.list.d" / "hashicorp.sources").write_text(
            f"Types: deb\nURIs: file://{repo}\nSuites: bookworm\nComponents: main\nSigned-By: {key}\n", encoding="utf-8")
        opts = [f"-oDir::Etc={root / 'etc'}", "-oDir::Etc::SourceList=/dev/null", f"-oDir::State::Lists={root / 'lists'}",
                f"-oDir::Cache={root / 'cache'}", "-oAPT::Architecture=amd64", "-oDebug::NoLocking=1",
                "-oDir::Etc::Trusted=/dev/null", f"-oDir::Etc::TrustedParts={root / 'etc'}"]
        update = subprocess.run(["apt-get", *opts, "update"], capture_output=True, text=True, check=False)
        policy = subprocess.run(["apt-cache", *opts, "policy", "nomad"], capture_output=True, text=True, check=False)
        return update, policy

    update, policy = apt(repo / "key.asc")
    assert update.returncode == 0 and "NO_PUBKEY" not in update.stdout + update.stderr, update.stdout + update.stderr
    assert "Candidate: 2.0.6-1" in policy.stdout, policy.stdout
    other = tmp_path / "other.asc"
    subprocess.run(["bash", str(HERE / "build_apt_repo.sh"), str(tmp_path / "other-repo"), "2.0.5"], check=True,
                   capture_output=True, env={"EDGEOPS_NOMAD_APT_SUITES": "bookworm", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    other.write_bytes((tmp_path / "other-repo" / "key.asc").read_bytes())
    update, policy = apt(other)
    assert "NO_PUBKEY" in update.stdout + update.stderr or "not signed" in update.stdout + update.stderr, update.stdout + update.stderr
    assert "Candidate: 2.0.6-1" not in policy.stdout
