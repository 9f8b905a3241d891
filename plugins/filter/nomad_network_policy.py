# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that evaluate Kubernetes NetworkPolicies the way networking.k8s.io/v1 defines them.

* ``nomad_network_policy_admits``: whether ingress from an address outside the cluster to a port is
  admitted by a set of NetworkPolicies that select the server pods.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError


def _port_matches(rule_port, port, protocol, named_ports):
    if (rule_port.get("protocol") or "TCP").upper() != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:  # a port entry without a port: every port of that protocol
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        wanted = named_ports.get("%s/%s" % (wanted, protocol), named_ports.get(wanted))
        if wanted is None:
            return False
    first = int(wanted)
    last = int(rule_port.get("endPort") or first)
    return first <= port <= last


def _peer_matches(peer, source):
    block = peer.get("ipBlock")
    if not block:
        return False  # podSelector / namespaceSelector never select an address outside the cluster
    if source not in ipaddress.ip_network(block["cidr"], strict=False):
        return False
    return not any(source in ipaddress.ip_network(cidr, strict=False) for cidr in block.get("except") or []
                   if ipaddress.ip_network(cidr, strict=False).version == source.version)


def nomad_network_policy_admits(policies, source, port, protocol="TCP", named_ports=None):
    """True when one ingress rule of one policy admits ``source`` (an IP outside the cluster) on ``port``/``protocol``.

    networking.k8s.io/v1 NetworkPolicy (k8s.io/api/networking/v1 types.go): policies are additive; a policy
    with Ingress in policyTypes and no rule admitting the traffic does not admit it; a rule without ``from``
    admits every source, without ``ports`` every port; an ipBlock admits its cidr minus ``except``; a named port
    is resolved against the selected pod's container ports (``named_ports``: {"serf-udp/UDP": 4648, ...}).
    The input policies are assumed to select the pods in question. With no policy selecting them, all is admitted."""
    if isinstance(policies, dict):
        policies = [policies]
    try:
        source = ipaddress.ip_address(str(source))
        port = int(port)
    except ValueError as exc:
        raise AnsibleFilterError("nomad_network_policy_admits: %s" % exc)
    protocol = str(protocol).upper()
    named_ports = named_ports or {}
    ingress_policies = [p for p in policies or []
                        if "Ingress" in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])]
    if not ingress_policies:
        return True
    for policy in ingress_policies:
        for rule in (policy.get("spec") or {}).get("ingress") or []:
            ports = rule.get("ports") or []
            if ports and not any(_port_matches(p, port, protocol, named_ports) for p in ports):
                continue
            peers = rule.get("from") or []
            if not peers or any(_peer_matches(peer, source) for peer in peers):
                return True
    return False


class FilterModule:
    def filters(self):
        return {"_nomad_network_policy_admits": nomad_network_policy_admits}
