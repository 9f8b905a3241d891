# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/deploy_jobs.yml registers the edge jobs these clients run, against the Nomad API double.

The example jobs that download an artifact take its URL and SHA-256 from HCL2 variables without defaults (the
operator's build, never a placeholder checksum), and the playbook passes them from nomad_deploy_jobs_variables as
the parse request's var file. Nomad refuses a job whose declared variable has no value: command/agent/job_endpoint.go
JobsParseRequest -> jobspec2.ParseWithConfig(VarContent) -> Variables.Values (jobspec2/types.config.go) ->
Variable.Value, "Unset variable" (jobspec2/types.variables.go); the double answers the same.
"""

from __future__ import annotations

import json

from _harness import ROOT, run_playbook

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

INVENTORY = """all:
  children:
    nomad_control_plane:
      hosts:
        controller:
          ansible_connection: local
"""
SHA = "5e" * 32
URL = "https://artifacts.example.test/sensor-gateway/1.4.2/sensor-gateway_linux_arm64.tar.gz"


def deploy(tmp, **extra):
    state = DoubleState()
    server = NomadAPIDouble(state).start()
    try:
        extra = {"nomad_api_url": server.url, "nomad_api_token": "", "nomad_deploy_jobs": ["sensor-gateway"], **extra}
        (tmp / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
        proc = run_playbook(tmp, [{"ansible.builtin.import_playbook": str(ROOT / "playbooks" / "deploy_jobs.yml")}],
                            INVENTORY, "-e", f"@{tmp / 'extra.json'}")
        return proc, {jid: job for (_ns, jid), job in state.jobs.items()}
    finally:
        server.stop()


def test_a_job_artifact_without_the_operators_checksum_is_not_registered(tmp_path):
    proc, jobs = deploy(tmp_path)
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert 'Unset variable \\"sensor_gateway_artifact_url\\"' in proc.stdout or \
        'Unset variable "sensor_gateway_artifact_url"' in proc.stdout, proc.stdout[-3000:]
    assert jobs == {}


def test_the_operators_artifact_url_and_checksum_reach_the_job(tmp_path):
    proc, jobs = deploy(tmp_path, nomad_deploy_jobs_variables={
        "sensor-gateway": {"sensor_gateway_artifact_url": URL, "sensor_gateway_artifact_sha256": SHA}})
    assert proc.returncode == 0, proc.stdout[-3000:]
    task = jobs["sensor-gateway"]["TaskGroups"][0]["Tasks"][0]
    assert task["Artifacts"][0]["GetterSource"] == URL
    assert task["Artifacts"][0]["GetterOptions"]["checksum"] == "sha256:" + SHA
    # the task runs the binary its artifact unpacked into local/, not one of the host
    assert task["Config"]["command"] == "local/sensor-gateway"


def test_job_variables_must_be_a_mapping_per_job(tmp_path):
    proc, jobs = deploy(tmp_path, nomad_deploy_jobs_variables={"sensor-gateway": ["not", "a", "mapping"]})
    assert proc.returncode != 0 and "nomad_deploy_jobs_variables must map a job file name" in proc.stdout, proc.stdout[-3000:]
    assert jobs == {}
