# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade_clients.yml against the Nomad API double.

The client role runs only up to set_vars (install/configure/service skipped: no host is changed); the drain,
the wait and the eligibility run for real against the double. A node may be made eligible again only when Nomad
reports it `ready` and running the target version (Attributes["nomad.version"], which the agent sets from its
own binary); otherwise the host fails, the node stays drained/ineligible and no further batch starts.
"""

from __future__ import annotations

import json


from _harness import LINUX_AMD64, ROOT, VALID, run_playbook

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

NODE = "edge-00001"
INVENTORY = """all:
  children:
    nomad_clients:
      hosts:
        edge-00001:
          ansible_connection: local
        edge-00005:
          ansible_connection: local
"""


def upgrade(tmp, target, mutate=None):
    state = DoubleState(nodes=12)
    if mutate:
        mutate(state)
    server = NomadAPIDouble(state).start()
    try:
        extra = {
            **VALID,
            "__nomad_client_host": LINUX_AMD64,
            "nomad_api_url": server.url,
            "nomad_api_token": "",  # ACLs off in this double: no stored bootstrap secret to look up
            "nomad_client_version": target,
            "nomad_upgrade_clients_ready_retries": 2,
            "nomad_upgrade_clients_ready_delay": 1,
            "nomad_upgrade_clients_drain_timeout": 60,
        }
        (tmp / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
        proc = run_playbook(tmp, [{"ansible.builtin.import_playbook": str(ROOT / "playbooks" / "upgrade_clients.yml")}],
                            INVENTORY, "-e", f"@{tmp / 'extra.json'}",
                            "--skip-tags", "nomad_client_install,nomad_client_configure,nomad_client_service")
        nodes = {n["Name"]: n for n in state.nodes.values()}
        return proc, nodes
    finally:
        server.stop()


def test_node_back_at_the_target_version_is_made_eligible(tmp_path):
    proc, nodes = upgrade(tmp_path, "2.0.5")  # the double's nodes report nomad.version 2.0.5
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert nodes[NODE]["SchedulingEligibility"] == "eligible"
    assert not nodes[NODE]["DrainStrategy"]


def test_node_still_on_the_old_version_stays_ineligible_and_stops_the_rollout(tmp_path):
    # the agent came back with the old binary (or is still the old one): never eligible, no next batch
    proc, nodes = upgrade(tmp_path, "2.0.6")
    assert proc.returncode != 0
    assert "Wait until Nomad reports the node ready and running the target version" in proc.stdout
    assert nodes[NODE]["SchedulingEligibility"] == "ineligible", nodes[NODE]
    # serial 1: the second host's batch never started, so it was never drained
    assert nodes["edge-00005"]["SchedulingEligibility"] == "eligible" and not nodes["edge-00005"]["DrainStrategy"]


def test_node_not_ready_stays_ineligible(tmp_path):
    def not_ready(state):
        for node in state.nodes.values():
            if node["Name"] == NODE:
                node["Status"] = "initializing"  # the agent has not finished registering after its restart

    proc, nodes = upgrade(tmp_path, "2.0.5", not_ready)
    assert proc.returncode != 0
    assert nodes[NODE]["SchedulingEligibility"] == "ineligible", nodes[NODE]
