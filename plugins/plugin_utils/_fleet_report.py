# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's data model: what Ansible did to each host of a rollout (from the
``edgeops.nomad.fleet_recap`` callback's recap), what Nomad says about the same nodes, and where the two
disagree. Pure functions over plain data; the ``edgeops.nomad.fleet_report`` filter calls them and
``_fleet_report_html`` renders their result.

Private (leading underscore): no compatibility promise outside this collection.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

REPORT_FORMAT = 1

# A host's outcome, one per host. The first that applies wins, in this order.
OUTCOMES = ("not_run", "unreachable", "failed", "changed", "ok")
# The order in which tables, charts and totals show them.
SHOWN = ("ok", "changed", "failed", "unreachable", "not_run")
RECAP_COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
GROUP_KEYS = ("node_pool", "datacenter", "version")

# What each disagreement means, in the order the report lists them.
DISAGREEMENTS = {
    "unknown_to_nomad": "host of the run that Nomad has no node for",
    "not_in_run": "Nomad node that no host of the run configured",
    "not_ready": "node not ready after the run",
    "ineligible": "node ineligible for scheduling after the run",
    "draining": "node draining after the run",
    "version_differs": "node runs another Nomad version than the host was configured with",
    "node_pool_differs": "node is in another node pool than configured",
    "datacenter_differs": "node is in another datacenter than configured",
    "duplicate_name": "older node registered under the same name",
}

# The edgeops.nomad.nomad_client role's defaults for the variables the report groups by, used when a host's
# variables do not set them (tests/unit/plugins/filter/test_fleet_report.py checks them against
# roles/nomad_client/defaults/main.yml).
ROLE_DEFAULTS = {
    "nomad_client_node_pool": "default",
    "nomad_client_datacenter": "dc1",
    "nomad_client_version": "2.0.5",
}

# Nomad's node status and scheduling eligibility values (nomad/structs/structs.go NodeStatusReady,
# NodeSchedulingEligible, v2.0.5).
NODE_READY = "ready"
NODE_ELIGIBLE = "eligible"


def _text(value):
    return "" if value is None else str(value)


def base_version(version):
    """Nomad's version without build metadata ("2.0.5+ent" -> "2.0.5"), as the node's nomad.version
    attribute and the release's version are compared (playbooks/upgrade_clients.yml does the same)."""
    return _text(version).strip().split("+", 1)[0]


def host_identity(name, variables):
    """Node name, pool, datacenter and configured Nomad version of an inventory host, from its variables
    (the nomad_client role's inputs; its defaults where the host does not set one)."""
    variables = variables if isinstance(variables, Mapping) else {}

    def var(key, default):
        value = variables.get(key)
        return default if value is None or _text(value) == "" else _text(value)

    short = _text(name).split(".", 1)[0]
    return {
        "node_name": var("nomad_client_node_name", short),
        "node_pool": var("nomad_client_node_pool", ROLE_DEFAULTS["nomad_client_node_pool"]),
        "datacenter": var("nomad_client_datacenter", ROLE_DEFAULTS["nomad_client_datacenter"]),
        "version": var("nomad_client_version", ROLE_DEFAULTS["nomad_client_version"]),
    }


def outcome(entry, dropped=False):
    """One word for what the run did to a host, from its recap entry (the callback's record).

    No entry: the run never reached the host (not_run). dropped: the rollout counts the host as not attempted
    although it has results, so it left the play without a failure of its own; Ansible fails every host of a
    batch when a run_once task fails, and neither the recap nor a callback sees those hosts fail."""
    if not isinstance(entry, Mapping):
        return "not_run"
    if int(entry.get("unreachable") or 0) > 0 or int(entry.get("unreachable_results") or 0) > 0:
        return "unreachable"
    if int(entry.get("failed") or 0) > 0 or int(entry.get("rescued") or 0) > 0 or dropped:
        return "failed"
    if int(entry.get("changed") or 0) > 0:
        return "changed"
    return "ok"


def _reason(entry, result):
    if not isinstance(entry, Mapping):
        return "not attempted: the rollout stopped before this host's batch"
    if result == "unreachable":
        return "unreachable: " + _text(entry.get("unreachable_msg"))
    if result == "failed" and entry.get("failed_task"):
        return "failed at '%s': %s" % (_text(entry.get("failed_task")), _text(entry.get("failed_msg")))
    if result == "failed":
        return "left the rollout without a failure of its own (a run_once task failed for its whole batch)"
    return ""


def node_view(node):
    """The fields of a Nomad node (list stub, GET /v1/nodes: nomad/structs/structs.go NodeListStub) the
    report shows."""
    drivers = node.get("Drivers") or {}
    healthy, unhealthy = [], []
    for driver in sorted(drivers):
        info = drivers[driver] or {}
        if not info.get("Detected", True):
            continue
        (healthy if info.get("Healthy", True) else unhealthy).append(_text(driver))
    return {
        "id": _text(node.get("ID")),
        "name": _text(node.get("Name")),
        "node_pool": _text(node.get("NodePool")),
        "datacenter": _text(node.get("Datacenter")),
        "status": _text(node.get("Status")),
        "eligibility": _text(node.get("SchedulingEligibility")),
        "drain": bool(node.get("Drain")),
        "version": _text(node.get("Version") or (node.get("Attributes") or {}).get("nomad.version")),
        "address": _text(node.get("Address")),
        "drivers": healthy,
        "unhealthy_drivers": unhealthy,
        "create_index": int(node.get("CreateIndex") or 0),
    }


def _pick(nodes):
    """Of several nodes with one name (a client that registered again with a new ID leaves the old node
    behind until it is garbage-collected), the one that stands for the host: ready first, then the newest."""
    return sorted(nodes, key=lambda n: (n["status"] == NODE_READY, n["create_index"]), reverse=True)


def _count_rows(items, key):
    rows = {}
    for item in items:
        name = item[key]
        row = rows.setdefault(name, dict({"name": name, "hosts": 0}, **dict((o, 0) for o in SHOWN)))
        row["hosts"] += 1
        row[item["outcome"]] += 1
    return [rows[name] for name in sorted(rows)]


def build_report(recap, hosts, nodes=None, nodes_error="", not_run=(), title="", generated=""):
    """The report.

    recap: the callback's recap ({"hosts": {name: counts}, ...}); hosts: {inventory host: its identity
    (host_identity)}, the hosts of the fleet, in the inventory's order; nodes: Nomad's node list (stubs) or
    None when Nomad was not asked; nodes_error: why Nomad's view is missing; not_run: hosts of the fleet the
    rollout counts as not attempted (one with results in the recap left the play without a failure of its own:
    outcome failed)."""
    recap = recap if isinstance(recap, Mapping) else {}
    recorded = recap.get("hosts") if isinstance(recap.get("hosts"), Mapping) else {}
    not_run = set(_text(h) for h in not_run or ())
    generated = generated or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    report_hosts = []
    for name, ident in hosts.items():
        name = _text(name)
        if name not in recorded and name not in not_run:
            continue  # outside this run (--limit, another job slice)
        entry = recorded.get(name)
        result = outcome(entry, dropped=name in not_run)
        report_hosts.append(dict(
            host=name, outcome=result, reason=_reason(entry, result), node=None,
            recap=dict((k, int((entry or {}).get(k) or 0)) for k in RECAP_COUNTS) if entry is not None else None,
            **dict((k, _text(ident.get(k))) for k in ("node_name", "node_pool", "datacenter", "version"))))

    available = nodes is not None and not nodes_error
    views = [node_view(n) for n in (nodes or []) if isinstance(n, Mapping)] if available else []
    by_name = {}
    for view in views:
        by_name.setdefault(view["name"], []).append(view)
    disagreements = []

    def disagree(kind, host, node, detail):
        disagreements.append({"kind": kind, "host": host, "node": node, "detail": detail})

    matched = set()
    for item in report_hosts:
        if not available:
            continue
        candidates = _pick(by_name.get(item["node_name"], []))
        if not candidates:
            if item["outcome"] != "not_run":
                disagree("unknown_to_nomad", item["host"], item["node_name"],
                         "no Nomad node named %s (outcome of the run: %s)" % (item["node_name"], item["outcome"]))
            continue
        node = candidates[0]
        item["node"] = node
        matched.update(n["id"] for n in candidates)
        for older in candidates[1:]:
            disagree("duplicate_name", item["host"], older["name"],
                     "node %s (status %s) has the same name as node %s" % (older["id"], older["status"] or "?", node["id"]))
        if item["outcome"] == "not_run":
            continue
        if node["status"] != NODE_READY:
            disagree("not_ready", item["host"], node["name"], "status %s" % (node["status"] or "unknown"))
        if node["drain"]:
            disagree("draining", item["host"], node["name"], "drain in progress (ineligible until it ends)")
        elif node["eligibility"] != NODE_ELIGIBLE:
            disagree("ineligible", item["host"], node["name"], "scheduling eligibility %s" % (node["eligibility"] or "unknown"))
        if item["outcome"] in ("ok", "changed"):
            if base_version(node["version"]) != base_version(item["version"]):
                disagree("version_differs", item["host"], node["name"],
                         "configured %s, node reports %s" % (item["version"], node["version"] or "no version"))
            if node["node_pool"] != item["node_pool"]:
                disagree("node_pool_differs", item["host"], node["name"],
                         "configured %s, node is in %s" % (item["node_pool"], node["node_pool"]))
            if node["datacenter"] != item["datacenter"]:
                disagree("datacenter_differs", item["host"], node["name"],
                         "configured %s, node is in %s" % (item["datacenter"], node["datacenter"]))

    in_run = set(i["node_name"] for i in report_hosts if i["outcome"] != "not_run")
    untouched = [v for v in sorted(views, key=lambda v: (v["name"], v["id"])) if v["id"] not in matched]
    for view in untouched:
        if view["name"] not in in_run:
            disagree("not_in_run", None, view["name"], "status %s, %s, node pool %s, datacenter %s" % (
                view["status"] or "?", "draining" if view["drain"] else view["eligibility"] or "?",
                view["node_pool"] or "?", view["datacenter"] or "?"))
    for item in report_hosts:  # hosts of the fleet that the rollout did not attempt: their nodes are untouched too
        if item["outcome"] == "not_run" and item["node"] is not None:
            node = item["node"]
            disagree("not_in_run", item["host"], node["name"], "in the inventory, not attempted by the rollout; status %s" % (
                node["status"] or "?"))

    order = list(DISAGREEMENTS)
    disagreements.sort(key=lambda d: (order.index(d["kind"]), _text(d["node"]), _text(d["host"])))
    shown_order = dict((o, i) for i, o in enumerate(("unreachable", "failed", "not_run", "changed", "ok")))
    report_hosts.sort(key=lambda i: (shown_order[i["outcome"]], i["host"]))

    totals = dict((o, 0) for o in SHOWN)
    for item in report_hosts:
        totals[item["outcome"]] += 1
    totals["hosts"] = len(report_hosts)

    nomad = {"asked": nodes is not None or bool(nodes_error), "available": available, "error": _text(nodes_error),
             "nodes": len(views)}
    if available:
        nomad.update(
            ready=sum(1 for v in views if v["status"] == NODE_READY),
            not_ready=sum(1 for v in views if v["status"] != NODE_READY),
            ineligible=sum(1 for v in views if v["eligibility"] != NODE_ELIGIBLE),
            draining=sum(1 for v in views if v["drain"]),
            matched=len(matched),
            by_node_pool=_nomad_rows(views, "node_pool"),
            by_datacenter=_nomad_rows(views, "datacenter"),
            by_version=_nomad_rows(views, "version"),
        )
    counts = dict((kind, 0) for kind in DISAGREEMENTS)
    for d in disagreements:
        counts[d["kind"]] += 1
    return {
        "format": REPORT_FORMAT,
        "title": _text(title) or "Nomad edge fleet report",
        "generated": _text(generated),
        "run": {
            "recorded": bool(recorded) or bool(recap),
            "final": bool(recap.get("final")),
            "check_mode": bool(recap.get("check_mode")),
            "playbooks": [_text(p) for p in recap.get("playbooks") or []],
            "started": _text(recap.get("started")),
        },
        "totals": totals,
        "by": dict((key, _count_rows(report_hosts, key)) for key in GROUP_KEYS),
        "hosts": report_hosts,
        "nomad": nomad,
        "untouched_nodes": untouched,
        "disagreements": disagreements,
        "disagreement_counts": counts,
    }


def _nomad_rows(views, key):
    """Nodes per pool, datacenter or version, each node in one column: ready (and eligible, not draining),
    ineligible (ready, but ineligible or draining: nothing new is placed there) or not_ready."""
    rows = {}
    for view in views:
        name = view[key] or "(none)"
        row = rows.setdefault(name, {"name": name, "nodes": 0, "ready": 0, "ineligible": 0, "not_ready": 0})
        row["nodes"] += 1
        if view["status"] != NODE_READY:
            row["not_ready"] += 1
        elif view["drain"] or view["eligibility"] != NODE_ELIGIBLE:
            row["ineligible"] += 1
        else:
            row["ready"] += 1
    return [rows[name] for name in sorted(rows)]
