"""nomad_raft_peers: peers.json of Raft protocol 3 (Nomad v2.0.5 nomad/server.go setupRaft, raft.ReadConfigJSON)."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_raft import nomad_raft_peers

ID0 = "0d2b5c1e-5ac7-4b7e-8d0b-3f2a5f1f9c10"
ID1 = "7a4c2b9e-1f3d-4e6a-9b8c-2d1e0f3a4b5c"


def test_one_voter_entry_per_server_with_the_rpc_port():
    assert nomad_raft_peers([["10.1.0.4", ID0 + "\n"], ["10.1.0.5", ID1]], "4647") == [
        {"id": ID0, "address": "10.1.0.4:4647", "non_voter": False},
        {"id": ID1, "address": "10.1.0.5:4647", "non_voter": False}]


def test_ipv6_address_in_brackets():
    assert nomad_raft_peers([["fd00::4", ID0]], 4647)[0]["address"] == "[fd00::4]:4647"


@pytest.mark.parametrize("pairs, port, text", [
    ([["10.1.0.4", "not-a-uuid"]], 4647, "not a UUID"),
    ([["10.1.0.4", ""]], 4647, "not a UUID"),
    ([["nomad-0.nomad-headless", ID0]], 4647, "not an IP address"),
    ([["", ID0]], 4647, "not an IP address"),
    ([["10.1.0.4", ID0], ["10.1.0.5", ID0]], 4647, "appears twice"),
    ([], 4647, "no servers"),
    ([["10.1.0.4", ID0]], 0, "not a TCP port"),
    ([["10.1.0.4", ID0]], "rpc", "must be a number"),
    (["10.1.0.4"], 4647, "pairs"),
])
def test_refused_before_anything_is_written(pairs, port, text):
    with pytest.raises(AnsibleFilterError, match=text):
        nomad_raft_peers(pairs, port)
