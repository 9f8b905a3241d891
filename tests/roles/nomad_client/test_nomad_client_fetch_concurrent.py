# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller cache of edgeops.nomad.nomad_client under runs at once (AAP job slices on one controller).

Three ansible-playbook runs of the role's fetch (tasks/fetch.yml, as install.yml includes it) share one empty
controller cache and the stand-in Nomad mirror (a TEST DOUBLE, file:// URLs). Unpacking a real 100 MB binary takes
a while; here an `unzip` stand-in on PATH unpacks like unzip and then writes the binary in two halves, and the first
extraction of the session waits between them until the other two runs are over. So the other runs start while a
binary is half written, every time:
- written in place (unzip into the cache directory), they find a binary under its final name, take it as unpacked
  and record the SHA-256 of half a binary, which the hosts would then be compared with and receive;
- written under a name of the run's own and renamed when complete, they find no binary yet and unpack their own.
Every run must end with the SHA-256 of the whole binary, the cache must hold it, and no temporary file may be left.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from _harness import ROOT

VERSION = "2.0.5"

UNZIP_STAND_IN = r'''#!%(python)s
"""unzip, except that an extraction (-d DIR) writes each file in two halves; the first extraction (sig/first
created) waits between them until sig/release exists."""
import os, shutil, subprocess, sys, tempfile, time
REAL, SIG = %(real)r, %(sig)r
args = sys.argv[1:]
if "-d" not in args:
    os.execv(REAL, [REAL] + args)
i = args.index("-d")
dest = args[i + 1]
private = tempfile.mkdtemp()
rc = subprocess.call([REAL] + args[:i + 1] + [private] + args[i + 2:])
if rc:
    sys.exit(rc)
try:
    os.mkdir(os.path.join(SIG, "first"))
    first = True
except FileExistsError:
    first = False
for name in os.listdir(private):
    src = os.path.join(private, name)
    data = open(src, "rb").read()
    with open(os.path.join(dest, name), "wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        if first:
            open(os.path.join(SIG, "half"), "w").close()
            deadline = time.time() + 300
            while not os.path.exists(os.path.join(SIG, "release")) and time.time() < deadline:
                time.sleep(0.1)
        out.write(data[len(data) // 2:])
    shutil.copymode(src, os.path.join(dest, name))
shutil.rmtree(private)
'''

PLAY = [{
    "name": "The role's fetch, as install.yml includes it",
    "hosts": "all",
    "gather_facts": False,
    "tasks": [
        {"name": "The platform this host reports (the compare step sets it from the facts it brings)",
         "ansible.builtin.set_fact": {"__nomad_client_platform": "linux_amd64"}},
        {"name": "Fetch", "ansible.builtin.include_role": {
            "name": "edgeops.nomad.nomad_client", "tasks_from": "fetch.yml", "public": True}},
        {"name": "What this run will compare the hosts' binaries with",
         "ansible.builtin.copy": {
             "dest": "{{ result_file }}", "mode": "0644",
             "content": "{{ {'src': __nomad_client_binary_src, "
                        "'sha256s': hostvars['localhost']['__nomad_client_binary_sha256s']} | to_json }}"},
         "delegate_to": "localhost"},
    ],
}]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    out = tmp_path_factory.mktemp("mirror")
    subprocess.run(["bash", str(ROOT / "tests/tools/stand_in_nomad/build_mirror.sh"), str(out), VERSION],
                   check=True, capture_output=True, timeout=300)
    return out


def start(tmp: Path, name: str, mirror: Path, cache: Path, bindir: Path) -> subprocess.Popen:
    run_dir = tmp / name
    run_dir.mkdir()
    (run_dir / "playbook.yml").write_text(yaml.safe_dump(PLAY, sort_keys=False), encoding="utf-8")
    inventory = {"all": {"hosts": {"slice-" + name: {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "result_file": str(run_dir / "result.json"),
        "nomad_client_version": VERSION,
        "nomad_client_download_base_url": "file://%s/good" % mirror,
        "nomad_client_gpg_key": (mirror / "key.asc").read_text(encoding="utf-8"),
        "nomad_client_gpg_fingerprint": (mirror / "fingerprint").read_text(encoding="utf-8").strip(),
        "nomad_client_controller_cache_dir": str(cache)}}}}
    (run_dir / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "PATH": os.pathsep.join([str(bindir), str(Path(sys.executable).parent), env.get("PATH", "")])})
    log = open(run_dir / "run.log", "w", encoding="utf-8")
    return subprocess.Popen(["ansible-playbook", "-i", "inventory.yml", "playbook.yml"], cwd=run_dir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: int = 300):
    deadline = time.time() + timeout
    while not path.exists():
        assert proc.poll() is None, "the first run ended before it unpacked anything"
        assert time.time() < deadline, "the first run never started unpacking"
        time.sleep(0.1)


def test_three_runs_at_once_share_the_cache_without_a_half_written_binary(tmp_path, mirror):
    cache, sig, bindir = tmp_path / "cache", tmp_path / "sig", tmp_path / "bin"
    for d in (sig, bindir):
        d.mkdir()
    unzip = bindir / "unzip"
    unzip.write_text(UNZIP_STAND_IN % {"python": sys.executable, "real": "/usr/bin/unzip", "sig": str(sig)})
    unzip.chmod(0o755)
    with zipfile.ZipFile(mirror / "good" / VERSION / ("nomad_%s_linux_amd64.zip" % VERSION)) as archive:
        whole = hashlib.sha256(archive.read("nomad")).hexdigest()

    first = start(tmp_path, "a", mirror, cache, bindir)
    try:
        wait_for(sig / "half", first)  # the first run has half a binary on disk and waits
        others = [start(tmp_path, name, mirror, cache, bindir) for name in ("b", "c")]
        codes = [proc.wait(timeout=600) for proc in others]
    finally:
        (sig / "release").touch()
    codes.insert(0, first.wait(timeout=600))

    logs = {name: (tmp_path / name / "run.log").read_text(encoding="utf-8")[-3000:] for name in "abc"}
    assert codes == [0, 0, 0], logs
    for name in "abc":
        result = json.loads((tmp_path / name / "result.json").read_text(encoding="utf-8"))
        assert result["sha256s"].get(result["src"]) == whole, (name, result, logs[name])
        binary = Path(result["src"])
    assert hashlib.sha256(binary.read_bytes()).hexdigest() == whole
    assert os.access(binary, os.X_OK)
    left = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if ".tmp-" in p.name)
    assert left == [], "temporary files left in the controller cache: %s" % left
