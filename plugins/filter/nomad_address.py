# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the addresses Nomad advertises.

* ``nomad_host_port``: ``host`` + ``port`` as Nomad reads an ``advertise`` value, IPv6 in brackets.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError


def nomad_host_port(host, port):
    """``10.0.0.5`` -> ``10.0.0.5:4647``; ``2001:db8::40`` -> ``[2001:db8::40]:4647``.

    Nomad (v2.0.5, command/agent/config.go normalizeAdvertise) splits an advertise value with Go's
    net.SplitHostPort; on "too many colons" it takes the whole value as the host and appends the default
    port, so an unbracketed ``2001:db8::40:4647`` is read as the address 2001:db8::40:4647 on port 4647.
    A go-sockaddr template (``{{ GetInterfaceIP "eth0" }}``) is evaluated by Nomad and kept as given."""
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AnsibleFilterError("nomad_host_port: port must be a number, got %r" % (port,))
    if not 0 < port < 65536:
        raise AnsibleFilterError("nomad_host_port: %d is not a TCP port" % port)
    host = str(host or "").strip()
    if not host:
        raise AnsibleFilterError("nomad_host_port: no host given")
    if "{{" in host:
        return "%s:%d" % (host, port)
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        if ":" in bare:
            raise AnsibleFilterError("nomad_host_port: %r is neither an IP address nor a host name" % host)
        return "%s:%d" % (bare, port)
    if ip.version == 6:
        return "[%s]:%d" % (ip.compressed, port)
    return "%s:%d" % (ip, port)


class FilterModule:
    def filters(self):
        return {"_nomad_host_port": nomad_host_port}
