# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nomad_identity_ttl_for_offline: the pool node_identity_ttl for an offline budget.

Nomad 2.0.5 renews a node identity once less than TTL/3 is left (nomad/structs/identity.go IsExpiring), so a node
goes offline holding at least TTL/3; it rejoins by itself only while that identity is valid (nomad/node_endpoint.go
newRegistrationAllowed refuses an expired one under warn and strict). The TTL must be at least 3 x the budget."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_lifetimes import nomad_identity_ttl_for_offline

H = 3600


def hours(text):
    assert text.endswith("h") and text[:-1].isdigit(), text
    return int(text[:-1])


@pytest.mark.parametrize("budget,expected", [("168h", "505h"), ("72h", "217h"), ("8h", "25h"), ("90m", "6h"),
                                             ("1h30m", "6h")])
def test_three_times_the_budget_plus_an_hour(budget, expected):
    assert nomad_identity_ttl_for_offline(budget) == expected


@pytest.mark.parametrize("budget", ["1s", "45m", "72h", "168h", "720h"])
def test_a_node_that_renewed_just_before_going_offline_is_still_valid_after_the_budget(budget):
    from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import parse_go_duration
    offline = parse_go_duration(budget) / 10 ** 9
    ttl = hours(nomad_identity_ttl_for_offline(budget)) * H
    # worst case: the identity is one heartbeat (<= 20 s with Nomad's defaults) from its renewal point, TTL/3 left
    left_when_offline = ttl / 3 - 20
    assert left_when_offline > offline


@pytest.mark.parametrize("bad", ["", "0", "-1h", "7d", 168, None])
def test_refuses_what_is_not_a_positive_go_duration(bad):
    with pytest.raises(AnsibleFilterError, match="nomad_identity_ttl_for_offline: expected a positive Go duration"):
        nomad_identity_ttl_for_offline(bad)
