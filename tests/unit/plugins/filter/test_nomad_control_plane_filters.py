"""Filters of the server role: advertise host:port, certificate names, NetworkPolicy evaluation.

Rules restated here, with their upstream source:
- Nomad v2.0.5 command/agent/config.go normalizeAdvertise: net.SplitHostPort, and on "too many colons" the whole
  value is the host (so an unbracketed IPv6 address followed by :port is another address on the default port).
- Go crypto/x509 (Certificate.VerifyHostname): only subjectAltName counts; a wildcard covers one left-most label.
- Kubernetes networking.k8s.io/v1 NetworkPolicy (k8s.io/api/networking/v1 types.go): additive rules, no `from`
  = every source, no `ports` = every port, ipBlock cidr minus except, protocol defaults to TCP.
"""

import ipaddress
import subprocess

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_address import nomad_host_port
from ansible_collections.edgeops.nomad.plugins.filter.nomad_network_policy import nomad_network_policy_admits
from ansible_collections.edgeops.nomad.plugins.filter.nomad_tls_names import nomad_certificate_missing


def go_split_host_port(value):
    """Go's net.SplitHostPort, as Nomad's normalizeAdvertise applies it (enough of it for these values)."""
    if value.startswith("["):
        end = value.index("]")
        host, rest = value[1:end], value[end + 1:]
        if not rest.startswith(":"):
            raise ValueError("missing port in address")
        return host, rest[1:]
    if value.count(":") > 1:
        raise ValueError("too many colons in address")
    if ":" not in value:
        raise ValueError("missing port in address")
    return tuple(value.split(":"))


@pytest.mark.parametrize("host, port, expected", [
    ("10.0.0.5", 4647, "10.0.0.5:4647"),
    ("2001:db8::40", 4647, "[2001:db8::40]:4647"),
    ("2001:DB8:0:0::40", 30647, "[2001:db8::40]:30647"),
    ("[2001:db8::40]", 4647, "[2001:db8::40]:4647"),
    ("nomad.example.com", 4647, "nomad.example.com:4647"),
    ('{{ GetInterfaceIP "eth0" }}', 4648, '{{ GetInterfaceIP "eth0" }}:4648'),
])
def test_host_port_splits_back_as_go_does(host, port, expected):
    out = nomad_host_port(host, port)
    assert out == expected
    if "{{" not in out:
        split_host, split_port = go_split_host_port(out)
        assert int(split_port) == port
        if ":" in host:
            assert ipaddress.ip_address(split_host) == ipaddress.ip_address(host.strip("[]"))


def test_unbracketed_ipv6_with_port_is_another_address():
    """Why the brackets matter: '2001:db8::40:4647' is itself a valid IPv6 address (too many colons for a port)."""
    with pytest.raises(ValueError, match="too many colons"):
        go_split_host_port("2001:db8::40:4647")
    assert ipaddress.ip_address("2001:db8::40:4647") != ipaddress.ip_address("2001:db8::40")


@pytest.mark.parametrize("host, port", [("", 4647), ("10.0.0.5", 0), ("10.0.0.5", "x"), ("a:b", 4647)])
def test_host_port_refuses(host, port):
    with pytest.raises(AnsibleFilterError):
        nomad_host_port(host, port)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cert")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=nomad.apps.example.com", "-addext",
                    "subjectAltName=DNS:server.edge.nomad,DNS:*.nomad-headless.nomad.svc,IP:127.0.0.1,IP:2001:db8::40",
                    "-keyout", str(tmp / "k"), "-out", str(tmp / "c")], check=True, capture_output=True)
    return (tmp / "c").read_text(encoding="utf-8")


def test_certificate_missing_names(certificate):
    names = ["server.edge.nomad", "nomad-0.nomad-headless.nomad.svc", "a.b.nomad-headless.nomad.svc",
             "127.0.0.1", "2001:db8:0::40", "192.0.2.40", "nomad.apps.example.com"]
    # the CN is not a SAN: Go's VerifyHostname ignores it; a wildcard covers one label only
    assert nomad_certificate_missing(names, certificate) == ["a.b.nomad-headless.nomad.svc", "192.0.2.40",
                                                             "nomad.apps.example.com"]
    with pytest.raises(AnsibleFilterError):
        nomad_certificate_missing(names, "not a certificate")


FED = {"spec": {"policyTypes": ["Ingress"], "ingress": [
    {"from": [{"podSelector": {}}], "ports": [{"port": 4646}]},
    {"from": [{"ipBlock": {"cidr": "198.51.100.0/24", "except": ["198.51.100.128/25"]}}],
     "ports": [{"port": 4647, "protocol": "TCP"}, {"port": 4648, "protocol": "TCP"}, {"port": "serf-udp", "protocol": "UDP"}]},
]}}


@pytest.mark.parametrize("source, port, protocol, admitted", [
    ("198.51.100.7", 4647, "TCP", True),
    ("198.51.100.7", 4648, "TCP", True),
    ("198.51.100.7", 4648, "UDP", True),  # named port resolved through the container ports
    ("198.51.100.200", 4648, "UDP", False),  # in `except`
    ("203.0.113.5", 4647, "TCP", False),  # not in the block
    ("198.51.100.7", 4646, "TCP", False),  # podSelector never matches an outside address
    ("198.51.100.7", 4649, "TCP", False),
])
def test_network_policy_evaluation(source, port, protocol, admitted):
    assert nomad_network_policy_admits(FED, source, port, protocol, {"serf-udp/UDP": 4648}) is admitted


def test_network_policy_without_udp_shuts_gossip():
    shut = {"spec": {"ingress": [dict(FED["spec"]["ingress"][1], ports=[{"port": 4647}, {"port": 4648}])]}}
    assert nomad_network_policy_admits(shut, "198.51.100.7", 4648, "TCP")
    assert not nomad_network_policy_admits(shut, "198.51.100.7", 4648, "UDP")  # the protocol defaults to TCP


def test_network_policy_open_rules_and_no_policy():
    assert nomad_network_policy_admits({"spec": {"ingress": [{"ports": [{"port": 4647}]}]}}, "203.0.113.1", 4647)
    assert nomad_network_policy_admits({"spec": {"ingress": [{}]}}, "203.0.113.1", 9999, "UDP")
    assert nomad_network_policy_admits([], "203.0.113.1", 4647)  # nothing selects the pods: all admitted
    assert not nomad_network_policy_admits({"spec": {"policyTypes": ["Ingress"]}}, "203.0.113.1", 4647)
