# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nomad_client entry point eligible_after_restart against the Nomad API double.

client/drain.go DrainSelf drains a leaving agent with MarkEligible false and meta {"message": "shutting down"}; the
drainer completes the drain and keeps the node ineligible, and re-registration keeps that
(nomad/state/state_store.go upsertNodeTxn, hashicorp/nomad#17093). After a restart that drained (Windows, or a
reboot with drain_on_shutdown) the role makes the node eligible again, and only that node: an operator's drain or
ineligibility stays.
"""

from __future__ import annotations

from _harness import run_role_cases

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

NS = 10 ** 9


def drained(state, name, meta):
    node = next(n for n in state.nodes.values() if n["Name"] == name)
    state.start_drain(node, 60 * NS, False, meta)
    state.finish_drain(node, "complete")
    return node


def test_only_a_node_left_ineligible_by_its_own_shutdown_drain_is_made_eligible(tmp_path):
    state = DoubleState(nodes=8)  # edge-00000.. ready (edge-00006 is down)
    drained(state, "edge-00001", {"message": "shutting down"})
    drained(state, "edge-00002", {"reason": "disk replacement"})
    operator = next(n for n in state.nodes.values() if n["Name"] == "edge-00003")
    state.set_eligibility(operator, "ineligible")
    drained(state, "edge-00006", {"message": "shutting down"})  # down: never ready within the timeout
    server = NomadAPIDouble(state).start()
    try:
        common = {"nomad_client_api_url": server.url, "nomad_client_eligible_after_restart_timeout": 5}
        records = run_role_cases(tmp_path, {
            "self-drained": dict(common, nomad_client_node_name="edge-00001"),
            "operator-drain": dict(common, nomad_client_node_name="edge-00002"),
            "operator-ineligible": dict(common, nomad_client_node_name="edge-00003"),
            "still-down": dict(common, nomad_client_node_name="edge-00006"),
        }, role="edgeops.nomad.nomad_client", tasks_from="eligible_after_restart")
    finally:
        server.stop()
    nodes = {n["Name"]: n for n in state.nodes.values()}
    assert records["self-drained"]["ok"], records
    assert nodes["edge-00001"]["SchedulingEligibility"] == "eligible"
    assert records["operator-drain"]["ok"] and nodes["edge-00002"]["SchedulingEligibility"] == "ineligible"
    assert records["operator-ineligible"]["ok"] and nodes["edge-00003"]["SchedulingEligibility"] == "ineligible"
    assert not records["still-down"]["ok"], records["still-down"]
    assert records["still-down"]["task"].startswith("Eligible | Wait until Nomad reports the node ready")
    assert nodes["edge-00006"]["SchedulingEligibility"] == "ineligible"
