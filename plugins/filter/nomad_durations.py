# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Go durations for the roles (internal: the leading underscore says the filter is no public interface).

* ``_go_duration_seconds``: a Go duration as Nomad reads it (Go's time.ParseDuration: units ns, us, µs, ms, s,
  m, h, a sign, fractions) -> whole seconds, rounded up. The parser is module_utils/_nomad_formats.py, the one
  the modules and the ``go_duration`` test plugin use.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import duration_to_seconds


def go_duration_seconds(value):
    """``'1m30s'`` -> 90, ``'1500ms'`` -> 2, ``'90000000000ns'`` -> 90."""
    try:
        return duration_to_seconds(value)
    except ValueError as exc:
        raise AnsibleFilterError("_go_duration_seconds: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"_go_duration_seconds": go_duration_seconds}
