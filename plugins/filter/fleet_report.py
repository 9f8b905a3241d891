# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the fleet report (playbooks/tasks/fleet_report.yml, playbook edgeops.nomad.fleet_report).

* ``fleet_report``: the report's data (JSON-ready) from the run's recap, the hosts' variables and Nomad's nodes.
* ``fleet_report_html``: that data as one self-contained HTML page.

The logic lives in plugins/plugin_utils/_fleet_report.py and _fleet_report_html.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.plugin_utils._fleet_report import build_report, host_identity
from ansible_collections.edgeops.nomad.plugins.plugin_utils._fleet_report_html import render_html


def fleet_report(recap, hostvars, hosts=None, nodes=None, nodes_error="", not_run=None, title="", generated=""):
    if recap is not None and not isinstance(recap, Mapping):
        raise AnsibleFilterError("fleet_report: the input must be the recap of edgeops.nomad.fleet_recap (a dictionary)")
    if nodes is not None and not isinstance(nodes, (list, tuple)):
        raise AnsibleFilterError("fleet_report: nodes must be Nomad's node list (a list), got %s" % type(nodes).__name__)
    recorded = (recap or {}).get("hosts") or {}
    names = [str(h) for h in (hosts if hosts is not None else sorted(recorded))]
    identities = {}
    for name in names:
        try:
            variables = hostvars[name]
        except (KeyError, TypeError):
            variables = {}
        identities[name] = host_identity(name, variables)
    return build_report(recap or {}, identities, nodes=nodes, nodes_error=nodes_error or "", not_run=not_run or (),
                        title=title, generated=generated)


def fleet_report_html(report):
    if not isinstance(report, Mapping) or "totals" not in report:
        raise AnsibleFilterError("fleet_report_html: the input must be the result of edgeops.nomad.fleet_report")
    return render_html(report)


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report, "fleet_report_html": fleet_report_html}
