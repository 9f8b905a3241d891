"""Module helpers and two module runs (main()) against the Nomad API double (a test double)."""

# Boilerplate ansible-test 2.16 (the oldest supported core) requires of files beside module code.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import io
import json
import tarfile

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_ns
from ansible_collections.edgeops.nomad.plugins.modules import nomad_job, nomad_node, nomad_snapshot, nomad_variable
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble


@pytest.mark.parametrize("text, ns", [
    ("200ms", 200 * 10 ** 6), ("10s", 10 ** 10), ("1h30m", 5400 * 10 ** 9), ("24h0m0s", 86400 * 10 ** 9),
    ("1.5s", 1500 * 10 ** 6), (0, 0), ("-1", -1), ("5000", 5000),
])
def test_duration_to_ns(text, ns):
    assert duration_to_ns(text) == ns


@pytest.mark.parametrize("text", ["", "soon", "3 days", "10x", "h"])
def test_duration_to_ns_rejects(text):
    with pytest.raises(ValueError):
        duration_to_ns(text)


def test_deprecated_group_keys_found():
    job = {"TaskGroups": [{"Name": "g", "MaxClientDisconnect": 3600, "StopAfterClientDisconnect": None},
                          {"Name": "h", "PreventRescheduleOnLost": True}]}
    assert nomad_job.deprecated_keys(job) == ['group "g": max_client_disconnect', 'group "h": prevent_reschedule_on_lost']


def test_render_plan():
    diff = {"Type": "Edited", "ID": "web", "Fields": [{"Type": "Edited", "Name": "Priority", "Old": "50", "New": "60"}],
            "TaskGroups": [{"Type": "Added", "Name": "g", "Fields": [], "Tasks": [
                {"Type": "Added", "Name": "t", "Fields": [{"Type": "Added", "Name": "Driver", "Old": "", "New": "exec"}]}]}]}
    text = nomad_job.render_plan(diff)
    assert '+/- Job: "web"' in text and "Priority: '50' => '60'" in text and '+ Task: "t"' in text


def test_node_state():
    draining = {"DrainStrategy": {"Deadline": 0}, "SchedulingEligibility": "ineligible"}
    drained = {"DrainStrategy": None, "SchedulingEligibility": "ineligible", "LastDrain": {"Status": "complete"}}
    canceled = {"DrainStrategy": None, "SchedulingEligibility": "ineligible", "LastDrain": {"Status": "canceled"}}
    assert nomad_node.state_of(draining)["drain"] and nomad_node.state_of(drained)["drain"]
    assert not nomad_node.state_of(canceled)["drain"]


def _archive(files):
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb") as gz:
        with tarfile.open(fileobj=gz, mode="w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_verify_archive():
    import hashlib
    state = b"state"
    good = {"state.bin": state, "SHA256SUMS": ("%s  state.bin\n" % hashlib.sha256(state).hexdigest()).encode()}
    nomad_snapshot.verify_archive(_archive(good))
    with pytest.raises(ValueError, match="checksum mismatch"):
        nomad_snapshot.verify_archive(_archive(dict(good, **{"state.bin": b"other"})))
    with pytest.raises(ValueError, match="not a Nomad snapshot"):
        nomad_snapshot.verify_archive(b"plain text")


@pytest.fixture()
def double():
    server = NomadAPIDouble(DoubleState(nodes=1)).start()
    yield server
    server.stop()


def run_module(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_variable_conflict_between_read_and_write(double, capsys, monkeypatch):
    """Someone writes the variable after the module read it: Nomad's 409 becomes a clear failure."""
    base = {"url": double.url, "path": "app/conf", "items": {"a": "secret-1"}}
    assert run_module(nomad_variable, base, capsys)["changed"] is True
    real_put = nomad_variable.NomadModule.client.fget

    def racing_client(module):
        client = real_put(module)
        original = client.put

        def put(path, **kwargs):
            client.request("PUT", path, body={"Items": {"a": "theirs"}}, query={"cas": kwargs["query"]["cas"]})
            return original(path, **kwargs)
        client.put = put
        return client
    monkeypatch.setattr(nomad_variable.NomadModule, "client", property(racing_client))
    result = run_module(nomad_variable, dict(base, items={"a": "secret-2"}), capsys)
    assert result["failed"] and "check-and-set conflict" in result["msg"] and result["status"] == 409
    assert "secret-2" not in json.dumps(result) and "theirs" not in json.dumps(result)


def test_job_register_uses_check_index(double, capsys):
    job = {"ID": "web", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec"}]}]}
    first = run_module(nomad_job, {"url": double.url, "job": job}, capsys)
    again = run_module(nomad_job, {"url": double.url, "job": job}, capsys)
    assert first["changed"] and not again["changed"]
    registers = [r for r in double.state.requests if r["path"] == "/v1/job/web" and r["method"] == "POST"]
    assert len(registers) == 1


def test_wait_deployment_outcomes(double, monkeypatch):
    from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api
    monkeypatch.setattr(_nomad_api.time, "sleep", lambda s: None)
    client = _nomad_api.NomadClient(url=double.url)
    job = {"ID": "web", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec"}]}]}
    reg = client.post("/v1/job/web", body={"Job": job}).data
    ev = nomad_job.wait_evaluation(client, reg["EvalID"], 5)
    dep = nomad_job.wait_deployment(client, "web", 0, 5, deployment_id=ev["DeploymentID"])
    assert dep["Status"] == "successful" and dep["ID"] == ev["DeploymentID"]
    double.state.deployments[("default", "web")].update(Status="failed", StatusDescription="Failed due to unhealthy")
    with pytest.raises(_nomad_api.NomadStateError, match="ended failed: Failed due to unhealthy") as err:
        nomad_job.wait_deployment(client, "web", 0, 5)
    assert err.value.details["deployment"]["Status"] == "failed"
    with pytest.raises(_nomad_api.NomadTimeoutError, match="version 1 still not started after 0s"):
        nomad_job.wait_deployment(client, "web", 1, 0, deployment_id="not-yet-created")
    batch = dict(job, ID="once", Type="batch")
    reg = client.post("/v1/job/once", body={"Job": batch}).data
    assert nomad_job.wait_evaluation(client, reg["EvalID"], 5).get("DeploymentID") in (None, "")
    assert nomad_job.wait_deployment(client, "once", 0, 5) is None
