# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Nomad's Raft outage recovery.

* ``nomad_raft_peers``: (address, node ID) pairs as the ``peers.json`` list of Raft protocol 3.
"""

from __future__ import annotations

import ipaddress
import uuid

from ansible.errors import AnsibleFilterError


def nomad_raft_peers(pairs, port):
    """``[[ip, node_id], ...]`` -> ``[{"id", "address", "non_voter"}, ...]`` for peers.json.

    Raft protocol 3 reads entries with ``id`` (the server's node ID, ``<data_dir>/server/node-id``),
    ``address`` (``host:port`` of its RPC listener, IPv6 in brackets) and ``non_voter`` (Nomad
    v2.0.5, nomad/server.go setupRaft -> raft.ReadConfigJSON). Every server must get the same list."""
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AnsibleFilterError("nomad_raft_peers: port must be a number, got %r" % (port,))
    if not 0 < port < 65536:
        raise AnsibleFilterError("nomad_raft_peers: port %d is not a TCP port" % port)
    peers, seen = [], set()
    for pair in pairs or []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise AnsibleFilterError("nomad_raft_peers: expected [address, node ID] pairs, got %r" % (pair,))
        address, node_id = (str(pair[0] or "").strip(), str(pair[1] or "").strip())
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise AnsibleFilterError("nomad_raft_peers: %r is not an IP address (a server pod without an IP?)" % address)
        try:
            node_id = str(uuid.UUID(node_id))
        except ValueError:
            raise AnsibleFilterError("nomad_raft_peers: the node ID read for %s is not a UUID: %r" % (address, node_id[:64]))
        if node_id in seen:
            raise AnsibleFilterError("nomad_raft_peers: node ID %s appears twice (copied data directory?)" % node_id)
        seen.add(node_id)
        host = "[%s]" % ip if ip.version == 6 else str(ip)
        peers.append({"id": node_id, "address": "%s:%d" % (host, port), "non_voter": False})
    if not peers:
        raise AnsibleFilterError("nomad_raft_peers: no servers given")
    return peers


class FilterModule:
    def filters(self):
        return {"_nomad_raft_peers": nomad_raft_peers}
