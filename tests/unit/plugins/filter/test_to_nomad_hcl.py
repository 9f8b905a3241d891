# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for edgeops.nomad.to_nomad_hcl: exact output, escaping, errors, python-hcl2 round trips."""

from __future__ import annotations

import datetime
import random
import string

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.to_nomad_hcl import (
    FilterModule,
    nomad_hcl_quote,
    to_nomad_hcl,
)
from tests.tools.nomad_schema import hclload


def roundtrip(data, **kwargs):
    return hclload.to_plain(hclload.loads(to_nomad_hcl(data, **kwargs)))


def drop_none(value):
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None and k != "__hcl__"}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"to_nomad_hcl", "nomad_hcl_quote"}


def test_exact_agent_rendering():
    config = {
        "server": {"enabled": False},
        "data_dir": "/opt/nomad/data",
        "client": {
            "enabled": True,
            "servers": ["10.0.0.1:4647", "10.0.0.2:4647"],
            "meta": {"rack.id": "r1"},
            "host_volume": {"data": {"path": "/srv/data", "read_only": False}},
        },
        "log_level": None,
    }
    assert to_nomad_hcl(config) == (
        'data_dir = "/opt/nomad/data"\n'
        "\n"
        "client {\n"
        "  enabled = true\n"
        "  meta = {\n"
        '    "rack.id" = "r1"\n'
        "  }\n"
        '  servers = ["10.0.0.1:4647", "10.0.0.2:4647"]\n'
        "\n"
        '  host_volume "data" {\n'
        '    path = "/srv/data"\n'
        "    read_only = false\n"
        "  }\n"
        "}\n"
        "\n"
        "server {\n"
        "  enabled = false\n"
        "}\n"
    )


def test_windows_path_is_escaped():
    out = to_nomad_hcl({"data_dir": r"C:\ProgramData\HashiCorp\nomad\data"})
    assert out == 'data_dir = "C:\\\\ProgramData\\\\HashiCorp\\\\nomad\\\\data"\n'
    assert roundtrip({"data_dir": r"C:\ProgramData\HashiCorp\nomad\data"}) == {"data_dir": r"C:\ProgramData\HashiCorp\nomad\data"}


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line1\nline2\r\tx", '"line1\\nline2\\r\\tx"'),
        ("${attr.kernel.name}", '"$\\u007battr.kernel.name}"'),
        ("%{ if x }", '"%\\u007b if x }"'),
        ("$${already}", '"$$\\u007balready}"'),
        ("$ { not a template", '"$ { not a template"'),
        ("bell\x07", '"bell\\u0007"'),
        ("unicodé ✓", '"unicodé ✓"'),
        ("trailing\\", '"trailing\\\\"'),
        ("", '""'),
    ],
)
def test_string_escaping(text, quoted):
    assert nomad_hcl_quote(text) == quoted
    assert to_nomad_hcl({"v": text}) == f"v = {quoted}\n"
    assert roundtrip({"v": text}) == {"v": text}


def test_scalars():
    out = to_nomad_hcl({"b": True, "f": False, "i": 7, "n": -3, "x": 0.5, "big": 1e20, "small": 1e-7})
    assert "b = true\n" in out and "f = false\n" in out and "i = 7\n" in out and "n = -3\n" in out
    assert "x = 0.5\n" in out
    assert "big = 100000000000000000000.0\n" in out
    assert "small = 0.0000001\n" in out
    assert "e" not in out.replace("false", "").replace("true", "")  # no exponents: HCL1 and HCL2 agree
    back = roundtrip({"b": True, "i": 7, "x": 0.5, "big": 1e20})
    assert back == {"b": True, "i": 7, "x": 0.5, "big": 1e20}


def test_ordering_is_stable_and_input_order_free():
    a = {"z": 1, "a": {"y": 2, "b": 3}, "m": [1, 2], "client": {"meta": {"k2": "v", "k1": "v"}}}
    b = {"client": {"meta": {"k1": "v", "k2": "v"}}, "m": [1, 2], "a": {"b": 3, "y": 2}, "z": 1}
    assert to_nomad_hcl(a) == to_nomad_hcl(b)
    assert to_nomad_hcl(a) == to_nomad_hcl(a)
    # attributes before blocks, each sorted
    assert to_nomad_hcl(a).index("m = ") < to_nomad_hcl(a).index("z = ") < to_nomad_hcl(a).index("a {")


def test_list_order_is_kept():
    assert to_nomad_hcl({"servers": ["b", "a"]}) == 'servers = ["b", "a"]\n'


def test_repeated_unlabeled_blocks():
    out = to_nomad_hcl({"consul": [{"name": "default"}, {"name": "other", "address": "x:8500"}]})
    assert out.count("consul {") == 2
    assert roundtrip({"consul": [{"name": "default"}, {"name": "other"}]}) == {"consul": [{"name": "default"}, {"name": "other"}]}


def test_agent_labeled_blocks():
    config = {
        "client": {
            "host_volume": {"b": {"path": "/b"}, "a": {"path": "/a", "read_only": True}},
            "host_network": {"public": {"interface": "eth0"}},
        },
        "plugin": {"docker": {"config": {"allow_privileged": False, "volumes": {"enabled": True}}}},
        "keyring": {"awskms": [{"name": "one", "active": True}, {"name": "two", "active": False}]},
    }
    out = to_nomad_hcl(config)
    assert out.index('host_volume "a" {') < out.index('host_volume "b" {')
    assert 'host_network "public" {' in out
    assert 'plugin "docker" {' in out and "    volumes {" in out
    assert out.count('keyring "awskms" {') == 2
    assert roundtrip(config) == config


def test_labels_are_escaped():
    out = to_nomad_hcl({"client": {"host_volume": {'we"ird\\': {"path": "/x"}}}})
    assert 'host_volume "we\\"ird\\\\" {' in out
    assert roundtrip({"client": {"host_volume": {'we"ird\\': {"path": "/x"}}}}) == {"client": {"host_volume": {'we"ird\\': {"path": "/x"}}}}


def test_map_attributes_accept_any_key():
    config = {"client": {"options": {"driver.allowlist": "docker,exec"}, "chroot_env": {"/bin": "/bin"}}}
    out = to_nomad_hcl(config)
    assert '    "driver.allowlist" = "docker,exec"\n' in out
    assert '    "/bin" = "/bin"\n' in out
    assert roundtrip(config) == config


def test_generic_profile_and_explicit_markers():
    config = {"client": {"host_volume": {"data": {"path": "/srv"}}}}
    # without the agent profile host_volume is a plain nested block
    assert "host_volume {\n    data {" in to_nomad_hcl(config, profile="generic")
    assert 'host_volume "data"' in to_nomad_hcl(config, profile="generic", labeled_blocks=["client.host_volume"])
    marked = {"job": {"__hcl__": "labeled", "web": {"meta": {"__hcl__": "map", "a.b": "c"}, "group": {}}}}
    out = to_nomad_hcl(marked, profile="generic")
    assert out.startswith('job "web" {\n  meta = {\n    "a.b" = "c"\n  }\n')
    assert "__hcl__" not in out
    assert to_nomad_hcl({"client": {"meta": {"__hcl__": "block", "k": "v"}}}) == 'client {\n  meta {\n    k = "v"\n  }\n}\n'
    assert to_nomad_hcl({"t": {"x": 1}}, profile="generic", map_attributes=["t"]) == 't = {\n  "x" = 1\n}\n'


def test_none_values_and_empty_dicts():
    assert to_nomad_hcl({"a": None, "b": {"c": None}}) == "b {}\n"
    assert to_nomad_hcl({}) == ""
    assert to_nomad_hcl({"client": {"meta": {}}}) == "client {\n  meta = {}\n}\n"
    assert to_nomad_hcl({"client": {"host_volume": {"x": None}}}) == "client {}\n"


def test_indent():
    assert to_nomad_hcl({"a": {"b": {"c": 1}}}, indent=4) == "a {\n    b {\n        c = 1\n    }\n}\n"


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        ("text", {}, "input must be a dict"),
        ({"d": datetime.date(2026, 1, 1)}, {}, "d: unsupported value type date (YAML read an unquoted date"),
        ({"a": {"b": b"bytes"}}, {}, "a.b: unsupported value type bytes"),
        ({"a": {1, 2}}, {}, "a: unsupported value type set"),
        ({"x": float("nan")}, {}, "x: nan is not a finite number"),
        ({"x": float("inf")}, {}, "is not a finite number"),
        ({"x": 2**63}, {}, "x: 9223372036854775808 does not fit a 64-bit integer"),
        ({1: "a"}, {}, "keys must be strings"),
        ({"bad key": 1}, {}, "'bad key' is not a valid HCL name"),
        ({"client": {"rack.id": "x"}}, {}, "client.rack.id: 'rack.id' is not a valid HCL name"),
        ({"l": [1, {"a": 1}]}, {}, "l: a list must hold either only dicts"),
        ({"l": [1, None]}, {}, r"l[1]: null is not allowed in a list"),
        ({"client": {"host_volume": {"a": "x"}}}, {}, "a labeled block's value must be a dict"),
        ({"t": {"__hcl__": "weird"}}, {}, "__hcl__ must be one of block, labeled, map"),
        ({}, {"indent": 0}, "indent must be an integer from 1 to 8"),
        ({}, {"indent": True}, "indent must be an integer"),
        ({}, {"profile": "job"}, "profile must be one of agent, generic"),
        ({}, {"labeled_blocks": "client.host_volume"}, "labeled_blocks must be a list of dotted paths"),
        ({}, {"map_attributes": [""]}, "map_attributes must be a list of dotted paths"),
    ],
)
def test_errors_name_the_path(data, kwargs, message):
    with pytest.raises(AnsibleFilterError) as err:
        to_nomad_hcl(data, **kwargs)
    assert message in str(err.value)


def test_quote_filter_rejects_non_strings():
    with pytest.raises(AnsibleFilterError, match="must be a string"):
        nomad_hcl_quote(5)


# ---- property-style round trips: many generated inputs through python-hcl2 ---------------------
ALPHABET = string.ascii_letters + string.digits + " _-./:\\\"$%{}\n\t\r#=*'" + "é✓\x01"
NAMES = ["alpha", "beta", "gamma", "delta", "eps_1", "z-9", "_u"]


def gen_scalar(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice([True, False])
    if kind == 1:
        return rng.randrange(-(10**12), 10**12)
    if kind == 2:
        return round(rng.uniform(-1000, 1000), rng.randrange(1, 6))
    return "".join(rng.choice(ALPHABET) for dummy in range(rng.randrange(0, 25)))


def gen_body(rng, depth):
    body = {}
    for dummy in range(rng.randrange(1, 6)):
        name = rng.choice(NAMES)
        kind = rng.randrange(6 if depth < 3 else 3)
        if kind in (0, 1):
            body[name] = gen_scalar(rng)
        elif kind == 2:
            body[name] = [gen_scalar(rng) for dummy in range(rng.randrange(0, 4))]
        elif kind == 3:
            body[name] = gen_body(rng, depth + 1)
        elif kind == 4:
            body[name] = {"__hcl__": "map", **{gen_key(rng): gen_scalar(rng) for dummy in range(rng.randrange(0, 4))}}
        else:
            body[name] = {"__hcl__": "labeled", **{gen_key(rng): gen_body(rng, depth + 1) for dummy in range(rng.randrange(1, 3))}}
    return body


def gen_key(rng):
    return "".join(rng.choice(ALPHABET) for dummy in range(rng.randrange(1, 12)))


@pytest.mark.parametrize("seed", range(150))
def test_generated_roundtrip(seed):
    rng = random.Random(seed)
    data = gen_body(rng, 0)
    text = to_nomad_hcl(data, profile="generic")
    assert to_nomad_hcl(data, profile="generic") == text  # deterministic
    assert roundtrip(data, profile="generic") == drop_none(data)
