# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Timers that decide whether an edge node comes back by itself after a time offline.

* ``nomad_identity_ttl_for_offline``: the node pool ``node_identity_ttl`` that lets a node offline for a given
  time rejoin with the identity it holds.

Nomad 2.0.5: a heartbeating client renews its node identity once less than a third of the pool's TTL is left
(``nomad/structs/identity.go`` IsExpiring, ``Node.UpdateStatus``), so when it goes offline it holds at least TTL/3.
A valid identity is admitted at every client_introduction level, even after the node was garbage-collected
(``nomad/node_endpoint.go`` newRegistrationAllowed); an expired one is refused under ``warn`` and ``strict``,
and a running agent whose identity expired is locked out of its heartbeats (``Node.UpdateStatus``). So a node may
stay offline for TTL/3 and come back by itself: TTL = 3 x the offline budget, plus one hour for the heartbeat
intervals and the time a renewal takes.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import parse_go_duration

_HOUR = 3600 * 10 ** 9
MARGIN = _HOUR


def nomad_identity_ttl_for_offline(budget):
    """The pool node_identity_ttl (whole hours, a Go duration string) for an offline budget (a Go duration)."""
    nanos = parse_go_duration(budget) if isinstance(budget, str) else None
    if nanos is None or nanos <= 0:
        raise AnsibleFilterError("nomad_identity_ttl_for_offline: expected a positive Go duration such as 168h, got %r"
                                 % (budget,))
    ttl = 3 * nanos + MARGIN
    hours = -(-ttl // _HOUR)  # whole hours, rounded up
    return "%dh" % hours


class FilterModule:
    def filters(self):
        return {"nomad_identity_ttl_for_offline": nomad_identity_ttl_for_offline}
