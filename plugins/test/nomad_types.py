# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for typed values, e.g. ``nomad_server_backup_schedule is edgeops.nomad.cron``.

Each test is true when the validator of the same name in plugin_utils/_nomad_validators.py finds
nothing wrong; the roles' preflight tables use the ``edgeops.nomad._type_errors`` filter for the
messages. Options are passed as arguments, e.g. ``is edgeops.nomad.go_duration(allow_negative=true)`` or, in
``select``/``rejectattr``, positionally: ``rejectattr('path', 'edgeops.nomad.absolute_path', 'posix')``.
"""

from __future__ import annotations

from ansible_collections.edgeops.nomad.plugins.plugin_utils._nomad_validators import VALIDATORS

TESTS = (
    "go_duration", "k8s_quantity", "cidr", "ip", "host", "port", "host_port", "cron", "dns_label",
    "dns1035_label", "dns_subdomain", "label_key", "label_value", "nomad_name", "node_pool",
    "absolute_path", "url", "port_ranges", "cpuset", "file_mode", "prometheus_duration",
)


def _make(name):
    validator = VALIDATORS[name]

    def test(value, *args, **options):
        return validator(value, *args, **options) is None

    test.__name__ = name
    test.__doc__ = validator.__doc__
    return test


class TestModule:
    def tests(self):
        return {name: _make(name) for name in TESTS}
