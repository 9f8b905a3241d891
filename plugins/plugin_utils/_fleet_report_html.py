# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page (the model of ``_fleet_report.build_report``).

- Nothing is loaded: no script, no font file, no image, no link. A Content-Security-Policy in the page
  forbids every load (``default-src 'none'``) and allows only its own style block, by hash.
- Charts are inline SVG drawn here. No style attributes (they would need ``'unsafe-inline'``).
- Every value from the report (host and node names come from inventories and from Nomad) goes through
  ``esc`` and nowhere else; numbers are formatted from ints.
- The numbers carry data attributes (``data-total``, ``data-count``, ``data-recap``...) so that a test can
  read them back from the rendered page.

Private (leading underscore): no compatibility promise outside this collection.
"""

from __future__ import annotations

import base64
import hashlib
import html

from ansible_collections.edgeops.nomad.plugins.plugin_utils._fleet_report import (
    DISAGREEMENTS, RECAP_COUNTS, SHOWN)

LABELS = {"ok": "converged", "changed": "changed", "failed": "failed", "unreachable": "unreachable",
          "not_run": "not run"}
CHECK_LABELS = dict(LABELS, ok="no change needed", changed="would change")
COLORS = {"ok": "#2e7d32", "changed": "#e08600", "failed": "#c62828", "unreachable": "#6a1b9a",
          "not_run": "#8d8d8d", "ready": "#2e7d32", "ineligible": "#e08600", "not_ready": "#c62828"}
GROUP_TITLES = {"node_pool": "node pool", "datacenter": "datacenter", "version": "Nomad version (configured)"}
CHART_ROWS = 15

STYLE = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d2330;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c5cad6}
main{padding:18px 28px 28px;max-width:1500px}
h2{font-size:17px;margin:26px 0 10px}
h3{font-size:14px;margin:0 0 6px;color:#4a5263;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 110px;max-width:230px;background:#fff;border-radius:8px;padding:10px 14px;border-left:6px solid #5a6475;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .num{display:block;font-size:28px;font-weight:700}
.card .lbl{color:#4a5263}
.card.ok{border-color:#2e7d32}.card.changed{border-color:#e08600}.card.failed{border-color:#c62828}
.card.unreachable{border-color:#6a1b9a}.card.not_run{border-color:#8d8d8d}.card.bad{border-color:#c62828}
.card.good{border-color:#2e7d32}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:14px}
.panel{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-x:auto}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 8px;color:#4a5263}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sw.ok,.sw.ready{background:#2e7d32}.sw.changed,.sw.ineligible{background:#e08600}.sw.failed,.sw.not_ready{background:#c62828}
.sw.unreachable{background:#6a1b9a}.sw.not_run{background:#8d8d8d}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:5px 7px;border-bottom:1px solid #e6e8ec;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#a3a9b5}
tbody tr:hover{background:#f7f8fb}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{background:#2e7d32}.badge.changed{background:#e08600}.badge.failed{background:#c62828}
.badge.unreachable{background:#6a1b9a}.badge.not_run{background:#8d8d8d}
.kind{font-weight:600;white-space:nowrap}
.muted{color:#6b7385}
.reason{min-width:220px;max-width:420px;overflow-wrap:anywhere;color:#7a2e2e}
.note{background:#fff8e1;border:1px solid #f0d58a;border-radius:6px;padding:8px 12px}
.agree{background:#e8f5e9;border:1px solid #a5d6a7;border-radius:6px;padding:8px 12px}
.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12px}
footer{color:#6b7385;padding:0 28px 24px;font-size:12px}
svg.chart{display:block;width:100%;max-width:440px;height:auto}
.recap{min-width:200px;max-width:330px}
.nw{white-space:nowrap}
.card .sub{display:block;color:#6b7385;font-size:12px}
.recap span{margin-right:8px;white-space:nowrap;display:inline-block}
.recap span.zero{color:#a3a9b5}
.node span{margin-right:8px;white-space:nowrap}
.st-bad{color:#c62828;font-weight:600}.st-warn{color:#b36b00;font-weight:600}
"""


def esc(value):
    """Every report value goes into the page through here."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value):
    return str(int(value or 0))


def csp():
    digest = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; style-src 'sha256-%s'; img-src 'none'; font-src 'none'; connect-src 'none'; "
            "script-src 'none'; base-uri 'none'; form-action 'none'" % digest)


def _short(text, limit=17):
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def bar_chart(rows, segments, labels, title):
    """Horizontal stacked bars, one per row: rows are dicts with "name" and a count per segment."""
    shown = rows[:CHART_ROWS]
    width, label_w, row_h, top = 440, 120, 24, 4
    plot_w = width - label_w - 44
    biggest = max([sum(int(r.get(s) or 0) for s in segments) for r in shown] + [1])
    height = top + row_h * max(len(shown), 1) + 4
    out = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 %d %d">'
           % (width, height), "<title>%s</title>" % esc(title)]
    if not shown:
        out.append('<text x="4" y="20" fill="#6b7385" font-size="13">no hosts</text>')
    for i, row in enumerate(shown):
        y = top + i * row_h
        total = sum(int(row.get(s) or 0) for s in segments)
        out.append('<text x="%d" y="%d" text-anchor="end" font-size="12.5" fill="#1d2330">%s<title>%s</title></text>'
                   % (label_w - 8, y + 16, esc(_short(row["name"])), esc(row["name"])))
        x = float(label_w)
        for seg in segments:
            count = int(row.get(seg) or 0)
            if not count:
                continue
            w = plot_w * count / biggest
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %d %s</title></rect>'
                       % (x, y + 3, w, row_h - 6, COLORS[seg], esc(row["name"]), count, esc(labels[seg])))
            if w >= 16:
                out.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="11.5" font-weight="600" fill="#fff">%d</text>'
                           % (x + w / 2, y + 17, count))
            x += w
        out.append('<text x="%.1f" y="%d" font-size="12" fill="#4a5263">%d</text>' % (x + 5, y + 17, total))
    out.append("</svg>")
    if len(rows) > CHART_ROWS:
        out.append('<p class="muted">%d more in the table below.</p>' % (len(rows) - CHART_ROWS))
    return "".join(out)


def legend(segments, labels):
    return '<div class="legend">%s</div>' % "".join(
        '<span><span class="sw %s"></span>%s</span>' % (seg, esc(labels[seg])) for seg in segments)


def _cell(value, attr=""):
    value = int(value or 0)
    return '<td class="n%s"%s>%d</td>' % (" zero" if value == 0 else "", attr, value)


def render_html(report):
    run = report.get("run") or {}
    labels = CHECK_LABELS if run.get("check_mode") else LABELS
    totals = report.get("totals") or {}
    nomad = report.get("nomad") or {}
    disagreements = report.get("disagreements") or []
    hosts = report.get("hosts") or []
    out = []
    add = out.append

    when = esc(str(report.get("generated") or "").replace("T", " ").replace("Z", " UTC"))
    add('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">')
    add('<meta http-equiv="Content-Security-Policy" content="%s">' % esc(csp()))
    add('<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">')
    add("<title>%s \u2013 %s</title><style>%s</style></head><body>" % (esc(report.get("title")), when, STYLE))
    sub = ["generated %s" % when]
    if run.get("playbooks"):
        sub.append("playbook %s" % esc(", ".join(run["playbooks"])))
    sub.append("Ansible's final recap" if run.get("final") else "recap at the end of the rollout")
    if run.get("check_mode"):
        sub.append("<strong>check mode: nothing was changed</strong>")
    add('<header><h1>%s</h1><p>%s</p></header><main>' % (esc(report.get("title")), " \u00b7 ".join(sub)))

    # -- the numbers at a glance
    add('<section class="cards" aria-label="totals">')
    add('<div class="card"><span class="num" data-total="hosts">%s</span><span class="lbl">hosts in the run</span></div>'
        % _num(totals.get("hosts")))
    for seg in SHOWN:
        if seg == "not_run" and not totals.get("not_run"):
            continue
        add('<div class="card %s"><span class="num" data-total="%s">%s</span><span class="lbl">%s</span></div>'
            % (seg, seg, _num(totals.get(seg)), esc(labels[seg])))
    if nomad.get("available"):
        add('<div class="card"><span class="num" data-total="nomad_nodes">%s</span><span class="lbl">Nomad nodes</span>'
            '<span class="sub">%s ready \u00b7 %s not ready \u00b7 %s ineligible</span></div>'
            % (_num(nomad.get("nodes")), _num(nomad.get("ready")), _num(nomad.get("not_ready")), _num(nomad.get("ineligible"))))
    add('<div class="card %s"><span class="num" data-total="disagreements">%d</span><span class="lbl">disagreements '
        'with Nomad</span></div>' % ("bad" if disagreements else "good", len(disagreements)))
    add("</section>")
    if not run.get("recorded"):
        add('<p class="note">No recap was recorded: enable the callback <span class="mono">edgeops.nomad.fleet_recap</span> '
            '(<span class="mono">callbacks_enabled</span> in ansible.cfg).</p>')
    if nomad.get("error"):
        add('<p class="note">Nomad\'s view is missing: %s</p>' % esc(nomad.get("error")))
    elif not nomad.get("asked"):
        add('<p class="note">Nomad was not asked for its view of the nodes.</p>')

    # -- charts
    add("<h2>What the run did</h2>")
    add(legend(SHOWN, labels))
    add('<div class="grid">')
    for key in ("node_pool", "datacenter", "version"):
        rows = (report.get("by") or {}).get(key) or []
        add('<div class="panel"><h3>By %s</h3>%s</div>' % (esc(GROUP_TITLES[key]), bar_chart(
            rows, SHOWN, labels, "Hosts per %s and outcome" % GROUP_TITLES[key])))
    add("</div>")
    if nomad.get("available"):
        add("<h2>What Nomad says</h2>")
        nomad_labels = {"ready": "ready and eligible", "ineligible": "ready, ineligible or draining", "not_ready": "not ready"}
        add(legend(("ready", "ineligible", "not_ready"), nomad_labels))
        add('<div class="grid">')
        for key, title in (("by_node_pool", "node pool"), ("by_version", "Nomad version (reported)")):
            add('<div class="panel"><h3>Nodes by %s</h3>%s</div>' % (esc(title), bar_chart(
                nomad.get(key) or [], ("ready", "ineligible", "not_ready"), nomad_labels, "Nomad nodes per %s" % title)))
        add("</div>")

    # -- disagreements
    add('<h2 id="disagreements">Disagreements between Ansible and Nomad (%d)</h2>' % len(disagreements))
    if not nomad.get("available"):
        add('<p class="note">Not checked: Nomad\'s view is missing.</p>')
    elif not disagreements:
        add('<p class="agree">None: every host of the run has a ready, eligible node with the configured pool, '
            'datacenter and version, and every node belongs to a host of the run.</p>')
    else:
        add('<div class="panel"><table><thead><tr><th>what</th><th>host</th><th>Nomad node</th><th>detail</th></tr></thead><tbody>')
        for d in disagreements:
            add('<tr data-kind="%s" data-about="%s"><td class="kind">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                esc(d["kind"]), esc(d.get("node") or ""), esc(DISAGREEMENTS.get(d["kind"], d["kind"])), esc(d.get("host") or "\u2013"),
                esc(d.get("node") or "\u2013"), esc(d.get("detail"))))
        add("</tbody></table></div>")

    # -- hosts
    add('<h2 id="hosts">Hosts (%d)</h2>' % len(hosts))
    add('<div class="panel"><table><thead><tr><th>host</th><th>outcome</th><th>node pool</th><th>datacenter</th>'
        '<th>version</th><th>Ansible recap</th><th>Nomad node</th><th>drivers</th><th>why</th></tr></thead><tbody>')
    for h in hosts:
        node = h.get("node")
        recap = h.get("recap")
        if recap:
            recap_cell = '<td class="recap mono">%s</td>' % "".join(
                '<span%s>%s=<b data-recap="%s">%d</b></span>' % (' class="zero"' if not recap.get(k) else "", k, k, int(recap.get(k) or 0))
                for k in RECAP_COUNTS)
        else:
            recap_cell = '<td class="muted">not attempted</td>'
        if node:
            drivers = ", ".join(node.get("drivers") or []) or "\u2013"
            if node.get("unhealthy_drivers"):
                drivers += " (unhealthy: %s)" % ", ".join(node["unhealthy_drivers"])
            status, elig = node.get("status") or "?", node.get("eligibility") or "?"
            node_cell = '<td class="node"><span class="%s">%s</span><span class="%s">%s</span>%s<span>%s</span></td>' % (
                "" if status == "ready" else "st-bad", esc(status), "" if elig == "eligible" else "st-warn", esc(elig),
                '<span class="st-warn">draining</span>' if node.get("drain") else "", esc(node.get("version") or "no version"))
            driver_cell = "<td>%s</td>" % esc(drivers)
        else:
            node_cell = '<td class="muted" colspan="2">%s</td>' % (
                "no node named %s" % esc(h.get("node_name")) if nomad.get("available") else "\u2013")
            driver_cell = ""
        add('<tr data-host="%s" data-outcome="%s"><td class="nw">%s</td><td><span class="badge %s">%s</span></td><td class="nw">%s</td>'
            '<td class="nw">%s</td><td class="nw">%s</td>%s%s%s<td class="reason">%s</td></tr>' % (
                esc(h["host"]), esc(h["outcome"]), esc(h["host"]), esc(h["outcome"]), esc(labels.get(h["outcome"], h["outcome"])),
                esc(h.get("node_pool")), esc(h.get("datacenter")), esc(h.get("version")), recap_cell, node_cell, driver_cell,
                esc(h.get("reason"))))
    add("</tbody></table></div>")

    # -- nodes no host of the run configured
    untouched = report.get("untouched_nodes") or []
    if nomad.get("available"):
        add('<h2 id="untouched">Nomad nodes no host of the run configured (%d)</h2>' % len(untouched))
        if untouched:
            add('<div class="panel"><table><thead><tr><th>node</th><th>ID</th><th>node pool</th><th>datacenter</th>'
                '<th>status</th><th>eligibility</th><th>drain</th><th>version</th><th>drivers</th></tr></thead><tbody>')
            for n in untouched:
                add('<tr data-node="%s"><td>%s</td><td class="mono">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                    '<td>%s</td><td>%s</td><td>%s</td></tr>' % (
                        esc(n["name"]), esc(n["name"]), esc(n["id"]), esc(n["node_pool"]), esc(n["datacenter"]),
                        esc(n["status"]), esc(n["eligibility"]), "yes" if n["drain"] else "no", esc(n["version"]),
                        esc(", ".join(n["drivers"]) or "\u2013")))
            add("</tbody></table></div>")

    # -- the numbers behind the charts
    add("<h2>Counts by group</h2><div class=\"grid\">")
    for key in ("node_pool", "datacenter", "version"):
        rows = (report.get("by") or {}).get(key) or []
        add('<div class="panel"><h3>By %s</h3><table><thead><tr><th>%s</th><th class="n">hosts</th>%s</tr></thead><tbody>'
            % (esc(GROUP_TITLES[key]), esc(GROUP_TITLES[key]), "".join('<th class="n">%s</th>' % esc(labels[s]) for s in SHOWN)))
        for row in rows:
            add('<tr data-group="%s" data-name="%s"><td>%s</td>%s%s</tr>' % (
                esc(key), esc(row["name"]), esc(row["name"]), _cell(row["hosts"], ' data-count="hosts"'),
                "".join(_cell(row.get(s), ' data-count="%s"' % s) for s in SHOWN)))
        add("</tbody></table></div>")
    add("</div></main>")
    add("<footer>Written by edgeops.nomad (fleet report): Ansible's recap from the edgeops.nomad.fleet_recap callback, "
        "Nomad's view from its node list. The page loads nothing and runs no script.</footer></body></html>")
    return "".join(out)
