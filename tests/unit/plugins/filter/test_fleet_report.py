# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's data model and page (filters edgeops.nomad.fleet_report and fleet_report_html).

Nomad's side is read from node list stubs as Nomad 2.0.5 serves them (nomad/structs/structs.go NodeListStub:
Name, NodePool, Datacenter, Status, SchedulingEligibility, Drain, Version, Drivers with Detected/Healthy;
NodeStatusReady = "ready", NodeSchedulingEligible = "eligible").
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from ansible_collections.edgeops.nomad.plugins.filter.fleet_report import fleet_report, fleet_report_html
from ansible_collections.edgeops.nomad.plugins.plugin_utils import _fleet_report as model

ROOT = Path(__file__).resolve().parents[4]
EVIL = '<script>alert("x")</script>&"\'><img src=x onerror=alert(1)>'


def rec(**counts):
    entry = {k: 0 for k in model.RECAP_COUNTS}
    entry.update(unreachable_results=0, unreachable_msg="", failed_task="", failed_msg="")
    entry.update(counts)
    return entry


def node(name, pool="edge-x86", dc="dc1", status="ready", elig="eligible", drain=False, version="2.0.5",
         drivers=None, node_id=None, create=10):
    return {"ID": node_id or "id-" + name, "Name": name, "NodePool": pool, "Datacenter": dc, "Status": status,
            "SchedulingEligibility": elig, "Drain": drain, "Version": version, "CreateIndex": create,
            "Drivers": drivers if drivers is not None else {"exec": {"Detected": True, "Healthy": True}}}


HOSTVARS = {
    "a1": {"nomad_client_node_pool": "edge-x86", "nomad_client_datacenter": "dc1"},
    "a2": {"nomad_client_node_pool": "edge-x86", "nomad_client_datacenter": "dc1"},
    "b1": {"nomad_client_node_pool": "edge-arm", "nomad_client_datacenter": "dc2", "nomad_client_version": "2.0.6"},
    "b2": {"nomad_client_node_pool": "edge-arm", "nomad_client_datacenter": "dc2", "nomad_api_token": "tok-SECRET-1"},
    "c1": {"nomad_client_node_pool": "edge-x86", "nomad_client_datacenter": "dc2"},
    "later": {"nomad_client_node_pool": "edge-arm", "nomad_client_datacenter": "dc1"},
    "elsewhere": {},
}
RECAP = {"final": True, "playbooks": ["site.yml"], "hosts": {
    "a1": rec(ok=10),
    "a2": rec(ok=12, changed=3),
    "b1": rec(ok=2, ignored=1, unreachable_results=1, unreachable_msg="Failed to connect"),
    "b2": rec(ok=5, rescued=1, failed_task="Nomad client role", failed_msg="download failed"),
    "c1": rec(ok=4, failed=1, failed_task="start", failed_msg="boom"),
    "localhost": rec(ok=3),
}}
FLEET = ["a1", "a2", "b1", "b2", "c1", "later", "elsewhere"]


def build(nodes=None, **kw):
    kw.setdefault("hosts", FLEET)
    kw.setdefault("not_run", ["later"])
    return fleet_report(RECAP, HOSTVARS, nodes=nodes, generated="2026-12-07T10:00:00Z", **kw)


def kinds(report):
    return sorted((d["kind"], d["host"] or "-", d["node"]) for d in report["disagreements"])


# -- outcomes and counts --------------------------------------------------------------------------------
@pytest.mark.parametrize("entry, expected", [
    (rec(ok=5), "ok"),
    (rec(ok=5, changed=1), "changed"),
    (rec(ok=5, changed=1, failed=1), "failed"),
    (rec(ok=5, changed=1, rescued=1), "failed"),          # a failure caught by a rescue is still a failure
    (rec(ok=1, changed=1, unreachable=1, failed=1), "unreachable"),
    (rec(ok=2, ignored=1, unreachable_results=1), "unreachable"),  # recap: ok + ignored; the host was not reached
    (None, "not_run"),
])
def test_outcome_of_a_host(entry, expected):
    assert model.outcome(entry) == expected


def test_a_host_with_results_the_rollout_counts_as_not_attempted_failed():
    """Ansible fails every host of a batch when a run_once task fails (lib/ansible/plugins/strategy/__init__.py
    _process_pending_results: `if original_task.run_once: ... iterator.mark_host_failed(h)`) without a result or a
    stat of their own: the rollout then counts them as not attempted, but they have results."""
    report = fleet_report({"hosts": {"a1": rec(ok=9, rescued=2, failed_task="fetch", failed_msg="boom"),
                                     "a2": rec(ok=8), "b1": rec(ok=2, ignored=1, unreachable_results=1)}},
                          HOSTVARS, hosts=["a1", "a2", "b1", "later"], not_run=["a2", "b1", "later"])
    outcomes = {h["host"]: (h["outcome"], h["reason"][:30]) for h in report["hosts"]}
    assert outcomes == {"a1": ("failed", "failed at 'fetch': boom"), "a2": ("failed", "left the rollout without a fai"),
                        "b1": ("unreachable", "unreachable: "), "later": ("not_run", "not attempted: the rollout sto")}


def test_totals_and_outcomes_per_host():
    report = build()
    outcomes = {h["host"]: h["outcome"] for h in report["hosts"]}
    assert outcomes == {"a1": "ok", "a2": "changed", "b1": "unreachable", "b2": "failed", "c1": "failed",
                        "later": "not_run"}
    assert report["totals"] == {"hosts": 6, "ok": 1, "changed": 1, "failed": 2, "unreachable": 1, "not_run": 1}


def test_hosts_outside_the_run_are_left_out():
    """A host of the inventory group that the run neither touched nor skipped (--limit, another job slice)."""
    report = build()
    assert "elsewhere" not in {h["host"] for h in report["hosts"]}
    assert "localhost" not in {h["host"] for h in report["hosts"]}


def test_counts_per_pool_datacenter_and_version():
    by = build()["by"]
    pools = {r["name"]: r for r in by["node_pool"]}
    assert pools["edge-x86"] == {"name": "edge-x86", "hosts": 3, "ok": 1, "changed": 1, "failed": 1, "unreachable": 0, "not_run": 0}
    assert pools["edge-arm"] == {"name": "edge-arm", "hosts": 3, "ok": 0, "changed": 0, "failed": 1, "unreachable": 1, "not_run": 1}
    assert {r["name"]: r["hosts"] for r in by["datacenter"]} == {"dc1": 3, "dc2": 3}
    assert {r["name"]: r["hosts"] for r in by["version"]} == {"2.0.5": 5, "2.0.6": 1}


def test_recap_counts_and_reasons_are_kept_per_host():
    hosts = {h["host"]: h for h in build()["hosts"]}
    assert hosts["a2"]["recap"] == {"ok": 12, "changed": 3, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0}
    assert hosts["b1"]["reason"] == "unreachable: Failed to connect"
    assert hosts["c1"]["reason"] == "failed at 'start': boom"
    assert hosts["later"]["recap"] is None and hosts["later"]["reason"].startswith("not attempted")


def test_identity_defaults_are_the_client_roles_defaults():
    defaults = yaml.safe_load((ROOT / "roles" / "nomad_client" / "defaults" / "main.yml").read_text())
    for key, value in model.ROLE_DEFAULTS.items():
        assert str(defaults[key]) == value, key
    assert defaults["nomad_client_node_name"].replace(" ", "") == "{{inventory_hostname_short}}"
    assert model.host_identity("edge-7.site.example.com", {})["node_name"] == "edge-7"
    assert model.host_identity("x", {"nomad_client_node_name": "n-x"})["node_name"] == "n-x"


# -- Nomad's view and the disagreements -------------------------------------------------------------------
NODES = [
    node("a1"),
    node("a2", version="2.0.5+ent"),                       # build metadata: the same version
    node("b2", pool="edge-arm", dc="dc2", status="down"),   # failed host whose node is down
    node("c1", pool="edge-x86", dc="dc2", elig="ineligible"),
    node("later", pool="edge-arm", dc="dc1"),                # not attempted: untouched
    node("stray", pool="gpu", dc="dc9"),                     # no host of the run
]


def test_disagreements_of_each_kind():
    assert kinds(build(NODES)) == sorted([
        ("unknown_to_nomad", "b1", "b1"),
        ("not_in_run", "-", "stray"),
        ("not_in_run", "later", "later"),
        ("not_ready", "b2", "b2"),
        ("ineligible", "c1", "c1"),
    ])


def test_converged_host_whose_node_disagrees_on_version_pool_or_datacenter():
    nodes = [node("a1", version="2.0.4"), node("a2", pool="default", dc="dc7")]
    found = kinds(fleet_report({"hosts": {"a1": rec(ok=1), "a2": rec(ok=1, changed=1)}}, HOSTVARS, nodes=nodes))
    assert found == sorted([("version_differs", "a1", "a1"), ("node_pool_differs", "a2", "a2"),
                            ("datacenter_differs", "a2", "a2")])


def test_failed_host_is_not_blamed_for_its_version():
    """A host the run failed on may well still run the old version: that is the failure, not a disagreement."""
    report = fleet_report({"hosts": {"c1": rec(failed=1)}}, HOSTVARS, nodes=[node("c1", dc="dc2", version="2.0.3")])
    assert kinds(report) == []


def test_draining_node_is_reported_as_draining_not_twice():
    report = fleet_report({"hosts": {"a1": rec(ok=1)}}, HOSTVARS, nodes=[node("a1", elig="ineligible", drain=True)])
    assert kinds(report) == [("draining", "a1", "a1")]


def test_a_name_registered_twice_picks_the_ready_then_newest_node():
    nodes = [node("a1", node_id="old", status="down", create=5), node("a1", node_id="new", create=50)]
    report = fleet_report({"hosts": {"a1": rec(ok=1)}}, HOSTVARS, nodes=nodes)
    assert report["hosts"][0]["node"]["id"] == "new"
    assert kinds(report) == [("duplicate_name", "a1", "a1")]
    assert report["untouched_nodes"] == []


def test_node_view_fields():
    view = model.node_view(node("a1", drivers={"exec": {"Detected": True, "Healthy": True},
                                               "docker": {"Detected": True, "Healthy": False},
                                               "qemu": {"Detected": False, "Healthy": False}}))
    assert view["drivers"] == ["exec"] and view["unhealthy_drivers"] == ["docker"]
    assert (view["status"], view["eligibility"], view["drain"], view["version"]) == ("ready", "eligible", False, "2.0.5")


def test_nomad_counts_per_pool_each_node_once():
    nomad = build(NODES)["nomad"]
    assert (nomad["nodes"], nomad["ready"], nomad["not_ready"], nomad["ineligible"]) == (6, 5, 1, 1)
    pools = {r["name"]: r for r in nomad["by_node_pool"]}
    assert pools["edge-x86"] == {"name": "edge-x86", "nodes": 3, "ready": 2, "ineligible": 1, "not_ready": 0}
    assert pools["edge-arm"] == {"name": "edge-arm", "nodes": 2, "ready": 1, "ineligible": 0, "not_ready": 1}


def test_without_nomads_view_nothing_is_called_a_disagreement():
    report = build(None, nodes_error="GET /v1/nodes: 403 Permission denied")
    assert report["disagreements"] == [] and report["nomad"]["available"] is False
    assert "403 Permission denied" in report["nomad"]["error"]
    assert all(h["node"] is None for h in report["hosts"])


def test_report_is_json_and_holds_no_variable_it_does_not_need():
    text = json.dumps(build(NODES))
    assert "tok-SECRET-1" not in text


# -- the page --------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """The page's elements with their attributes and text, as a browser's DOM would hold them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.stack, self.texts, self.scripts, self.style = [], [], [], 0, ""

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        self.scripts += tag == "script"
        if tag not in ("meta", "br", "img", "input", "link"):
            self.stack.append(element)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1]["tag"] == tag:
            self.stack.pop()

    def handle_data(self, data):
        self.texts.append(data)
        for element in self.stack:
            element["text"] += data
        if self.stack and self.stack[-1]["tag"] == "style":
            self.style += data

    def find(self, **attrs):
        return [e for e in self.elements if all(e["attrs"].get(k) == v for k, v in attrs.items())]


def page_of(report):
    html = fleet_report_html(report)
    parser = Page()
    parser.feed(html)
    return html, parser


def evil_report():
    hostvars = {EVIL: {"nomad_client_node_pool": EVIL, "nomad_client_datacenter": EVIL, "nomad_client_version": EVIL}}
    recap = {"playbooks": [EVIL], "hosts": {EVIL: rec(failed=1, failed_task=EVIL, failed_msg=EVIL)}}
    nodes = [node(EVIL, pool=EVIL, dc=EVIL, version=EVIL, drivers={EVIL: {"Detected": True, "Healthy": False}}),
             node("x" + EVIL, pool=EVIL, status=EVIL, elig=EVIL)]
    return fleet_report(recap, hostvars, nodes=nodes, title=EVIL, nodes_error="")


def test_every_value_is_escaped():
    html, page = page_of(evil_report())
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert page.scripts == 0 and not [e for e in page.elements if e["tag"] == "img"]
    # the hostile text is shown as text, where it belongs
    assert page.find(**{"data-host": EVIL})[0]["text"].startswith(EVIL)
    assert any(EVIL in t for t in page.texts)
    assert page.find(**{"data-group": "node_pool", "data-name": EVIL})


def test_page_loads_nothing_and_its_policy_forbids_loads():
    html, page = page_of(build(NODES))
    policy = [e["attrs"]["content"] for e in page.find(**{"http-equiv": "Content-Security-Policy"})]
    assert len(policy) == 1 and "default-src 'none'" in policy[0]
    digest = base64.b64encode(hashlib.sha256(page.style.encode()).digest()).decode()
    assert "style-src 'sha256-%s'" % digest in policy[0]
    assert page.scripts == 0
    assert not [e for e in page.elements if "style" in e["attrs"] or e["tag"] in ("link", "img", "iframe", "object")]
    assert not [e for e in page.elements if any(k in ("src", "href") for k in e["attrs"])]
    assert "url(" not in html and "@import" not in html
    assert re.findall(r"https?://[^\s\"'<]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


def test_page_numbers_are_the_reports():
    report = build(NODES)
    dummy, page = page_of(report)
    for key, value in report["totals"].items():
        found = page.find(**{"data-total": key})
        assert found or value == 0, key
        if found:
            assert found[0]["text"] == str(value), key
    for key, rows in report["by"].items():
        for row in rows:
            tr = page.find(**{"data-group": key, "data-name": row["name"]})[0]
            cells = [e for e in page.elements if e["tag"] == "td" and "data-count" in e["attrs"]
                     and e in page.elements[page.elements.index(tr):page.elements.index(tr) + 8]]
            assert {c["attrs"]["data-count"]: int(c["text"]) for c in cells} == {
                k: row[k] for k in ("hosts",) + model.SHOWN}
    for host in report["hosts"]:
        row = page.find(**{"data-host": host["host"]})[0]
        assert row["attrs"]["data-outcome"] == host["outcome"]
    assert len(page.find(**{"data-kind": "not_in_run"})) == 2


def test_check_mode_is_said():
    report = fleet_report(dict(RECAP, check_mode=True), HOSTVARS, hosts=FLEET)
    html, dummy = page_of(report)
    assert "check mode" in html and "would change" in html
