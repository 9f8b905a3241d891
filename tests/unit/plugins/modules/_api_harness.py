"""What the API module tests share: a Nomad API double playing the community edition or Nomad Enterprise, a module
run through main() with its JSON result, the writes that reached the double, and the three-ways check (check mode
changes nothing, apply changes, re-apply reports changed=0 and writes nothing)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadClient
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

SECRET = "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41"
WRITES = ("PUT", "POST", "DELETE")


def start(acl=True, nodes=8, enterprise=False):
    """A running double (ACLs bootstrapped with SECRET when on); stop it with .stop()."""
    server = NomadAPIDouble(DoubleState(acl=acl, nodes=nodes, enterprise=enterprise)).start()
    if acl:
        NomadClient(url=server.url).post("/v1/acl/bootstrap", body={"BootstrapSecret": SECRET})
    return server


def client(server, token=SECRET, **kwargs):
    return NomadClient(url=server.url, token=token, **kwargs)


def control(server, what, body=None):
    """A test-only /_double/<what> call (never a Nomad path)."""
    return NomadClient(url=server.url).post("/_double/" + what, body=body or {}).data


def run(module, args, capsys, server=None, token=SECRET, **extra):
    """module.main() with args (url and token of server added), its JSON result."""
    if server is not None:
        args = dict({"url": server.url, "token": token}, **args)
    args.update(extra)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def writes(server, since=0):
    return [(r["method"], r["path"]) for r in server.state.requests[since:] if r["method"] in WRITES]


def three_ways(module, args, capsys, server, token=SECRET):
    """check mode (reports changed, writes nothing), apply (changes), re-apply (changed=False, no write)."""
    mark = len(server.state.requests)
    check = run(module, dict(args), capsys, server, token, _ansible_check_mode=True, _ansible_diff=True)
    assert not check.get("failed"), check
    assert check["changed"] is True and writes(server, mark) == [], (check, writes(server, mark))
    applied = run(module, dict(args), capsys, server, token, _ansible_diff=True)
    assert applied["changed"] is True and not applied.get("failed"), applied
    mark = len(server.state.requests)
    again = run(module, dict(args), capsys, server, token)
    assert again["changed"] is False and not again.get("failed"), again
    assert writes(server, mark) == [], writes(server, mark)
    return check, applied, again
