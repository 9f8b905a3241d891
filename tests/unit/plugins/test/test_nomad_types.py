# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the typed validators (plugins/test/nomad_types.py, backed by
plugins/plugin_utils/_nomad_validators.py): per type, good and bad values including the boundaries
of the upstream parser each one follows (cited in the validator)."""

from __future__ import annotations

import pytest

from ansible_collections.edgeops.nomad.plugins.plugin_utils import _nomad_validators as v
from ansible_collections.edgeops.nomad.plugins.test import nomad_types

TESTS = nomad_types.TESTS
PLUGINS = nomad_types.TestModule().tests()

# type -> (options, good values, bad values)
TABLE = {
    # Go time.ParseDuration (src/time/format.go)
    "go_duration": ({}, [
        "0", "+0", "0s", "10s", "200ms", "1h30m", "1.5h", ".5s", "1.s", "1h2m3s4ms5us6ns", "1\u00b5s", "1\u03bcs",
        "2562047h47m16.854775807s",  # int64 max nanoseconds
    ], [
        "", "10", "00", "s", ".s", "1.5", "ten seconds", "10 s", " 10s", "10s ", "1d", "1w", "10S", "-1s",
        "2562047h47m16.854775808s",  # one nanosecond past int64 max
        "9999999999h", 10, 10.5, None, True, ["10s"],
    ]),
    # k8s.io/apimachinery/pkg/api/resource (parseQuantityString, suffix.go)
    "k8s_quantity": ({}, [
        "0", "1", "500m", "1Gi", "10Gi", "1.5Gi", "1.", ".5", "1e3", "1E3", "1E", "1e-3", "100M", "2Ei", "1n", "1u",
        "+1Gi", 1, 0, 2.5,
    ], [
        "", "-1Gi", "10GB", "1K", "1gi", "Gi", "ten gigs", "1 Gi", "1.2.3", "1e", "1e3.5", ".", "-", "1Gi ", None, True,
    ]),
    "cidr": ({}, [
        "10.0.0.0/8", "10.20.0.0/16", "0.0.0.0/0", "192.168.1.1/32", "10.0.0.1/8", "2001:db8::/32", "::/0", "::1/128",
    ], [
        "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "256.0.0.0/8", "10.0.0.300/24", "10.0.0/24", "2001:db8::/129",
        "10.0.0.0/8/8", "10.0.0.0/ 8", "010.0.0.0/8", "example.com/24", "", None, 10,
    ]),
    "ip": ({}, ["10.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "2001:db8::10"],
           ["256.1.1.1", "10.0.0", "10.0.0.1/32", "host", "", None, "[::1]"]),
    # k8s.io/apimachinery/pkg/util/validation IsDNS1123Label
    "dns_label": ({}, ["a", "nomad", "my-name", "123-abc", "a" * 63], [
        "", "A", "Nomad", "-a", "a-", "a_b", "a.b", "a" * 64, None, 1,
    ]),
    # IsDNS1035Label (Service names)
    "dns1035_label": ({}, ["a", "nomad", "nomad-0", "a" * 63], ["1nomad", "", "a" * 64, "Nomad", "a-"]),
    # IsDNS1123Subdomain
    "dns_subdomain": ({}, ["a", "example.com", "nomad-0.nomad-headless", "a" * 63 + "." + "b" * 63,
                           ".".join(["a" * 63] * 3) + "." + "b" * 61], [
        "", "Example.com", "a..b", ".a", "a.", "a_b", ".".join(["a" * 63] * 4), None,
    ]),
    # IsQualifiedName / IsLabelKey
    "label_key": ({}, ["zone", "topology.kubernetes.io/zone", "kubernetes.io/hostname", "My_Name", "a" * 63,
                       "example.com/" + "a" * 63], [
        "", "/zone", "a/b/c", "-zone", "zone-", "a" * 64, "Example.com/zone", "zone name", None,
    ]),
    "label_value": ({}, ["", "v1", "MyValue", "my_value", "12345", "a" * 63], ["-v", "v-", "a" * 64, "a b", 1, True, None]),
    "host": ({}, ["nomad.example.com", "Nomad-LB", "10.0.0.10", "::1", "2001:db8::10", "a" * 63],
             ["", "10.0.0.300", "999.1.1.1", "nomad_lb", "-lb", "lb.", "https://lb", "lb:4647", "a" * 64, None]),
    "port": ({}, [1, 4647, 65535, "4647"], [0, 65536, -1, 99999, "http", "", None, True, 1.5]),
    "host_port": ({}, ["nomad.example.com:4647", "10.0.0.10:1", "10.0.0.10:65535", "[2001:db8::10]:4647", "[::1]:80"], [
        "nomad.example.com", "10.0.0.10:0", "10.0.0.10:65536", "10.0.0.10:99999", "lb:", "lb:http", "2001:db8::10:4647",
        "[2001:db8::10]", "[10.0.0.1]:4647", "10.0.0.300:4647", "tcp://lb:4647", "lb :4647", "", None, 4647,
    ]),
    # robfig/cron/v3 ParseStandard as used by Kubernetes CronJob validation
    "cron": ({}, [
        "* * * * *", "17 */6 * * *", "0 0 1 1 *", "59 23 31 12 6", "0-59/15 0-23 1-31 1-12 0-6", "5/10 * * * *",
        "0 9 * * mon-fri", "0 0 * JAN,jul SUN", "0 0 ? * ?", "1,2,3 * * * *", "@hourly", "@daily", "@midnight",
        "@weekly", "@monthly", "@yearly", "@annually", "@every 6h", "0  0  *  *  *",
    ], [
        "", "hourly", "* * * *", "* * * * * *", "61 * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
        "* * * 0 *", "* * * 13 *", "* * * * 7", "*/0 * * * *", "5-1 * * * *", "1-2-3 * * * *", "*/5/2 * * * *",
        "1,,2 * * * *", "-1 * * * *", "a * * * *", "* * * * monday", "@HOURLY", "@hourly ", "@reboot", "@every",
        "@every 0s", "@every soon", "TZ=UTC 0 0 * * *", "CRON_TZ=UTC 0 0 * * *", None, 5,
    ]),
    # Nomad nomad/structs validNodePoolName
    "nomad_name": ({}, ["default", "edge-arm", "edge_arm", "A1", "a", "a" * 128], ["", "edge arm", "edge.arm", "a" * 129, None, 1]),
    "node_pool": ({}, ["default", "edge-arm", "a" * 128], ["all", "", "edge arm", "a" * 129]),
    "absolute_path": ({}, ["/", "/srv/data", "C:\\ProgramData\\nomad", "C:/data", "\\\\server\\share"],
                      ["", "srv/data", "./data", "~/data", "C:data", "data\\x", None, 1]),
    "url": ({}, ["https://vault.example.com:8200", "http://10.0.0.1", "https://v/path?x=1"],
            ["", "vault.example.com", "ftp://x", "https://", "https://a b", None]),
    "port_ranges": ({}, ["22", "22,80", "8000-8100", "22, 80, 8000-8100", "0-65535"],
                    ["", "22;80", "80-22", "65536", "a", "22,", None, 22]),
    "cpuset": ({}, ["0", "0-3", "0-3,6", "1,3,5"], ["", "3-0", "0-", "a", "0 -3", None]),
    "file_mode": ({}, ["0755", "755", "0700", "1777"], ["", "0788", "75", "007555", 755, "rwx", None]),
    "prometheus_duration": ({}, ["0", "30s", "1m", "1h30m", "500ms", "1d", "1y2w3d"],
                            ["", "1.5s", "30", "1m1h", "30 s", "-1s", None]),
}


def test_every_test_plugin_has_a_table():
    assert sorted(TABLE) == sorted(TESTS)
    assert sorted(PLUGINS) == sorted(TESTS)


def _cases(good):
    for name, (options, goods, bads) in TABLE.items():
        for value in (goods if good else bads):
            yield pytest.param(name, options, value, id="%s-%r" % (name, value))


@pytest.mark.parametrize("name,options,value", list(_cases(True)))
def test_good_values_pass(name, options, value):
    assert v.VALIDATORS[name](value, **options) is None
    assert PLUGINS[name](value, **options) is True


@pytest.mark.parametrize("name,options,value", list(_cases(False)))
def test_bad_values_fail_with_a_reason(name, options, value):
    problem = v.VALIDATORS[name](value, **options)
    assert isinstance(problem, str) and problem, problem
    assert PLUGINS[name](value, **options) is False


# Options change the boundaries.
OPTION_CASES = [
    ("go_duration", {"allow_negative": True}, "-1s", True),
    ("go_duration", {"allow_negative": True}, "-2562047h47m16.854775808s", True),  # int64 min
    ("go_duration", {"allow_zero": False}, "0s", False),
    ("k8s_quantity", {"allow_negative": True}, "-1Gi", True),
    ("k8s_quantity", {"positive": True}, "0", False),
    ("k8s_quantity", {"positive": True}, "0.0Gi", False),
    ("k8s_quantity", {"positive": True}, "1Mi", True),
    ("cidr", {"version": 4}, "2001:db8::/32", False),
    ("cidr", {"version": 6}, "2001:db8::/32", True),
    ("dns_label", {"max": 40}, "a" * 40, True),
    ("dns_label", {"max": 40}, "a" * 41, False),
    ("host_port", {"port": "optional"}, "nomad.example.com", True),
    ("host_port", {"port": "optional"}, "2001:db8::10", True),
    ("host_port", {"port": "optional"}, "[2001:db8::10]", True),
    ("host_port", {"port": "optional"}, "10.0.0.10:0", False),
    ("host_port", {"port": "optional"}, "10.0.0.300", False),
    ("absolute_path", {"os": "posix"}, "C:\\data", False),
    ("absolute_path", {"os": "windows"}, "/srv", False),
    ("port", {"min": 30000, "max": 32767}, 30000, True),
    ("port", {"min": 30000, "max": 32767}, 32767, True),
    ("port", {"min": 30000, "max": 32767}, 29999, False),
    ("port", {"min": 30000, "max": 32767}, 32768, False),
    ("url", {"schemes": "http,https,file"}, "file:///srv/mirror", True),
]


@pytest.mark.parametrize("name,options,value,ok", OPTION_CASES, ids=["%s-%s-%r" % (c[0], c[1], c[2]) for c in OPTION_CASES])
def test_options(name, options, value, ok):
    assert (v.VALIDATORS[name](value, **options) is None) is ok


def test_messages_say_what_is_allowed():
    assert "1 to 65535" in v.check_host_port("lb:99999") or "from 1 to 65535" in v.check_host_port("lb:99999")
    assert "minute range 0-59" in v.check_cron("61 * * * *")
    assert "Go duration" in v.check_go_duration("two hundred milliseconds")
    assert "Kubernetes quantity" in v.check_k8s_quantity("two gigs")
    assert "CIDR" in v.check_cidr("10.0.0.0/33")
    assert "^[a-zA-Z0-9-_]{1,128}$" in v.check_nomad_name("edge arm")


def test_go_duration_values():
    assert v.parse_go_duration("1h30m") == 5400 * 10 ** 9
    assert v.parse_go_duration("1.5s") == 1500 * 10 ** 6
    assert v.parse_go_duration("-0") == 0


def test_options_can_be_positional_for_select_and_rejectattr():
    assert PLUGINS["absolute_path"]("/srv", "posix") is True
    assert PLUGINS["absolute_path"]("C:\\srv", "posix") is False
    assert PLUGINS["host_port"]("lb", "optional") is True
