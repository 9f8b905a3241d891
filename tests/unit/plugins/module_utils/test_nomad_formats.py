# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Go-duration parser and the Nomad name patterns (module_utils/_nomad_formats.py).

Durations: Nomad reads every duration with Go's time.ParseDuration (Go src/time/format.go, func ParseDuration;
Nomad v2.0.5 command/agent/config_parse.go and api/operator_autopilot.go call it): units ns, us, µs (U+00B5),
μs (U+03BC), ms, s, m, h; an optional sign; fractions; "0" alone needs no unit. The cases below follow the
parseDurationTests table of Go's src/time/time_test.go. Names: nomad/structs/structs.go ValidPolicyName and
validNamespaceName, nomad/structs/acl.go ValidACLRoleName (^[a-zA-Z0-9-]{1,128}$);
nomad/structs/node_pool.go validNodePoolName (^[a-zA-Z0-9-_]{1,128}$).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_durations import go_duration_seconds
from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_formats as f
from ansible_collections.edgeops.nomad.plugins.plugin_utils import _nomad_validators as v

NS, US, MS, S, M, H = 1, 10 ** 3, 10 ** 6, 10 ** 9, 60 * 10 ** 9, 3600 * 10 ** 9

# Every unit Go accepts, each alone, combined, signed and with fractions.
GO_ACCEPTS = [
    ("0", 0), ("5s", 5 * S), ("30s", 30 * S), ("1478s", 1478 * S),
    ("-5s", -5 * S), ("+5s", 5 * S), ("-0", 0), ("+0", 0),
    ("5.0s", 5 * S), ("5.6s", 5 * S + 600 * MS), ("5.s", 5 * S), (".5s", 500 * MS), ("1.0s", S), ("1.00s", S),
    ("1.004s", S + 4 * MS), ("1.0040s", S + 4 * MS), ("100.00100s", 100 * S + 1 * MS),
    ("10ns", 10 * NS), ("11us", 11 * US), ("12\u00b5s", 12 * US), ("12\u03bcs", 12 * US), ("13ms", 13 * MS),
    ("14s", 14 * S), ("15m", 15 * M), ("16h", 16 * H),
    ("3h30m", 3 * H + 30 * M), ("10.5s4m", 4 * M + 10 * S + 500 * MS), ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
    ("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS), ("39h9m14.425s", 39 * H + 9 * M + 14425 * MS),
    ("52763797000ns", 52763797000 * NS),
    ("9007199254740993ns", 9007199254740993), ("9223372036854775807ns", 2 ** 63 - 1), ("-9223372036854775808ns", -2 ** 63),
    ("0.100000000000000000000h", 6 * M), ("1m30s", 90 * S), ("24h0m0s", 24 * H),
]
GO_REFUSES = ["", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "1 s", "1S", "1H", "\x85\x85",
              "9223372036854775808ns", "-9223372036854775809ns", "soon", "10x", "h"]


@pytest.mark.parametrize("text, nanos", GO_ACCEPTS)
def test_parse_go_duration_reads_what_go_reads(text, nanos):
    assert f.parse_go_duration(text) == nanos


@pytest.mark.parametrize("text", GO_REFUSES)
def test_parse_go_duration_refuses_what_go_refuses(text):
    assert f.parse_go_duration(text) is None


def test_one_parser_for_modules_validators_and_filters():
    assert v.parse_go_duration is f.parse_go_duration
    assert v.check_go_duration("90000000000ns") is None and v.check_go_duration("1d") is not None


@pytest.mark.parametrize("text, seconds", [
    ("10s", 10), ("1m30s", 90), ("1h", 3600), ("1500ms", 2), ("1ms", 1), ("0", 0), ("0s", 0),
    # the sub-second units count: 90 s written in ns, us and µs, and a remainder that rounds up
    ("90000000000ns", 90), ("90000000us", 90), ("90000000\u00b5s", 90), ("90000000\u03bcs", 90),
    ("1m29s1000000us", 90), ("10s1ns", 11), ("10s1us", 11), ("2m0.5s", 121),
])
def test_go_duration_seconds_counts_every_unit_and_rounds_up(text, seconds):
    assert f.duration_to_seconds(text) == seconds
    assert go_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["10", "1d", "ten seconds", "", None])
def test_go_duration_seconds_refuses_what_go_refuses(text):
    with pytest.raises(AnsibleFilterError, match="_go_duration_seconds: not a Go duration"):
        go_duration_seconds(text)


@pytest.mark.parametrize("value, nanos", [(0, 0), ("-1", -1), ("5000", 5000), ("1.5s", 1500 * MS), ("7us", 7 * US),
                                          ("7\u00b5s", 7 * US), ("7ns", 7)])
def test_duration_to_ns_takes_go_text_or_nanoseconds(value, nanos):
    assert f.duration_to_ns(value) == nanos


@pytest.mark.parametrize("value", [True, "", "soon", "1d", "1.5"])
def test_duration_to_ns_refuses_the_rest(value):
    with pytest.raises(ValueError):
        f.duration_to_ns(value)


@pytest.mark.parametrize("name, ok", [("default", True), ("edge-arm", True), ("a" * 128, True), ("a" * 129, False),
                                      ("edge_arm", False), ("edge arm", False), ("", False), (None, False)])
def test_acl_and_namespace_names(name, ok):
    assert (f.nomad_name_error("name", name) is None) is ok


@pytest.mark.parametrize("name, ok", [("edge_arm", True), ("edge-arm", True), ("edge.arm", False), ("", False)])
def test_node_pool_names(name, ok):
    assert (f.nomad_name_error("node_pool", name, pool=True) is None) is ok


def test_name_messages_start_with_the_option():
    assert f.nomad_name_error("name", "a b") == "name: 'a b' must match ^[a-zA-Z0-9-]{1,128}$"
    assert f.nomad_name_error("node_pool", "a.b", pool=True) == "node_pool: 'a.b' must match ^[a-zA-Z0-9-_]{1,128}$"
