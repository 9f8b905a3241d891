# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop the Nomad API doubles of one integration target (the setup_nomad_api_double role).

    double.py start PYTHONPATH NODES BOOTSTRAP TLS
        a work directory (under $NOMAD_API_DOUBLE_RUN_DIR when set), the double with ACLs on and NODES
        nodes; BOOTSTRAP=true: ACLs bootstrapped with a random secret, written to DIR/bootstrap-secret
        (0600, never printed); TLS=true: a throw-away test CA in DIR/tls and a second double behind mutual
        TLS; the request log cleared. Prints {"dir", "url", "tls_url", "tls_dir"} as JSON.
    double.py stop DIR
        appends every secret each double issued to $NOMAD_API_DOUBLE_SECRETS when set (the runner's leak
        check greps the -vvv output for them), stops the doubles, deletes DIR.

The doubles (`python -m ansible_collections.edgeops.nomad.tests.tools.nomad_api_double`, found through
PYTHONPATH = the collections path) run in their own session with their output in DIR/<name>.log, so the
module that started them returns at once. They record requests when NOMAD_API_DOUBLE_RECORD is set (they
inherit this environment): `make contract-record`.
"""

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

DOUBLE = "ansible_collections.edgeops.nomad.tests.tools.nomad_api_double"


def launch(directory, name, pythonpath, args):
    """Start one double as DIR/NAME (pid, url, log); return its URL once it listens."""
    url_file = os.path.join(directory, name + ".url")
    env = dict(os.environ, PYTHONPATH=pythonpath)
    with open(os.path.join(directory, name + ".log"), "wb") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen([sys.executable, "-m", DOUBLE, "--url-file", url_file] + args, stdin=devnull,
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    with open(os.path.join(directory, name + ".pid"), "w", encoding="utf-8") as handle:
        handle.write("%d\n" % proc.pid)
    for dummy in range(200):
        if os.path.exists(url_file) and os.path.getsize(url_file):
            with open(url_file, encoding="utf-8") as handle:
                return handle.read().strip()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(os.path.join(directory, name + ".log"), encoding="utf-8", errors="replace") as handle:
        raise SystemExit("the Nomad API double %s did not start:\n%s" % (name, handle.read()))


def call(url, method="GET", body=None, context=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, context=context, timeout=10) as resp:
        return json.load(resp)


def start(pythonpath, nodes, bootstrap, tls):
    directory = tempfile.mkdtemp(suffix=".nomad-api-double", dir=os.environ.get("NOMAD_API_DOUBLE_RUN_DIR") or None)
    out = {"dir": directory, "url": launch(directory, "plain", pythonpath, ["--acl", "--nodes", nodes]),
           "tls_url": "", "tls_dir": os.path.join(directory, "tls")}
    if tls == "true":
        subprocess.run([sys.executable, "-m", DOUBLE + ".testca", out["tls_dir"]], env=dict(os.environ, PYTHONPATH=pythonpath),
                       check=True, stdout=subprocess.DEVNULL)
        out["tls_url"] = launch(directory, "tls", pythonpath, [
            "--nodes", "2", "--tls-cert", os.path.join(out["tls_dir"], "server.pem"),
            "--tls-key", os.path.join(out["tls_dir"], "server-key.pem"),
            "--tls-client-ca", os.path.join(out["tls_dir"], "ca.pem")])
    if bootstrap == "true":
        secret = str(uuid.uuid4())
        fd = os.open(os.path.join(directory, "bootstrap-secret"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret)
        call(out["url"] + "/v1/acl/bootstrap", "POST", {"BootstrapSecret": secret})
    call(out["url"] + "/_double/clear-requests", "POST", {})  # targets check that bad input sends no request
    print(json.dumps(out))
    return 0


def secrets(directory, name):
    """Every secret the double knows (GET /_double/secrets), over mutual TLS when it is the TLS double."""
    with open(os.path.join(directory, name + ".url"), encoding="utf-8") as handle:
        url = handle.read().strip()
    context = None
    if url.startswith("https://"):
        tls = os.path.join(directory, "tls")
        context = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
        context.load_cert_chain(os.path.join(tls, "client.pem"), os.path.join(tls, "client-key.pem"))
    return call(url + "/_double/secrets", context=context)


def stop(directory):
    names = sorted(f[:-4] for f in os.listdir(directory) if f.endswith(".pid"))
    leak_file = os.environ.get("NOMAD_API_DOUBLE_SECRETS")
    for name in names:
        if leak_file and os.path.exists(os.path.join(directory, name + ".url")):
            with open(leak_file, "a", encoding="utf-8") as handle:
                handle.writelines(secret + "\n" for secret in secrets(directory, name))
        with open(os.path.join(directory, name + ".pid"), encoding="utf-8") as handle:
            pid = int(handle.read())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    shutil.rmtree(directory)
    print("stopped: %s" % " ".join(names))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["start"] and len(sys.argv) == 6:
        sys.exit(start(*sys.argv[2:]))
    if sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        sys.exit(stop(sys.argv[2]))
    sys.exit(__doc__)
