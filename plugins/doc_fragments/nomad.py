# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options and attributes shared by every edgeops.nomad API module."""

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of a Nomad agent HTTP API, for example V(https://nomad.example.com:4646).
      - If not set, the environment variable E(NOMAD_ADDR) is used, then V(http://127.0.0.1:4646).
    type: str
    aliases: [address]
  token:
    description:
      - Nomad ACL token (SecretID), sent in the C(X-Nomad-Token) header, never in a URL or a message.
      - If not set, the environment variable E(NOMAD_TOKEN) is used.
    type: str
  ca_cert:
    description:
      - CA certificate (PEM) that signed the Nomad agent's HTTPS certificate.
      - If not set, E(NOMAD_CACERT) is used.
    type: path
  client_cert:
    description:
      - Client certificate (PEM) for mutual TLS (agents with C(verify_https_client)). Needs O(client_key).
      - If not set, E(NOMAD_CLIENT_CERT) is used.
    type: path
  client_key:
    description:
      - Private key (PEM) of O(client_cert). If not set, E(NOMAD_CLIENT_KEY) is used.
    type: path
  validate_certs:
    description:
      - Verify the agent's TLS certificate. Only turn this off for throw-away test clusters.
    type: bool
    default: true
  region:
    description:
      - Nomad region to address (C(region) query parameter). If not set, E(NOMAD_REGION) is used,
        then the agent's own region.
    type: str
  namespace:
    description:
      - Nomad namespace for namespaced objects (jobs, variables). If not set, E(NOMAD_NAMESPACE) is
        used, then V(default).
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  # retries: written by scripts/gen-retry-docs.py from module_utils/_nomad_api.py (BEGIN/END lines kept).
  # BEGIN retries
  retries:
    description:
      - >-
        How many times to retry a call after no answer (connection refused, timed out) or an answer of 429,
        500, 502, 503, 504, waiting 0.5 s, 1 s, 2 s ... between attempts. Only idempotent calls are retried:
        C(GET) and C(HEAD), writes with a check-and-set index (C(cas)), and full-object writes a module
        declares idempotent. Creating a token, role, binding rule, auth method or introduction token, job
        registration and deregistration, and deletes are never retried; their error says so. TLS errors and
        other answers are never retried.
    type: int
    default: 3
  # END retries
notes:
  - All modules of this collection are in the action group C(edgeops.nomad.nomad), so the options
    above can be set once with C(module_defaults) and C(group/edgeops.nomad.nomad).
  - Talks to the Nomad HTTP API with ansible's own URL code; no extra Python library is needed.
# What every API module shares; a module states only what differs (its own `attributes:` entries win,
# key by key). List this fragment BEFORE ansible.builtin.action_common_attributes(.actiongroups):
# the first fragment merged wins, and theirs hold `support: N/A` placeholders.
attributes:
  action_group:
    support: full
    membership: [edgeops.nomad.nomad]
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
"""

    # The read-only _info modules: listed before edgeops.nomad.nomad, so these win.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    details: Reads only, so check mode does the same as a normal run.
  diff_mode:
    support: N/A
    details: Reads only.
"""

    # The same retries option for the nomad_nodes inventory plugin (its other options are its own).
    RETRIES = r"""
options:
  # BEGIN retries
  retries:
    description:
      - >-
        How many times to retry a call after no answer (connection refused, timed out) or an answer of 429,
        500, 502, 503, 504, waiting 0.5 s, 1 s, 2 s ... between attempts. Only idempotent calls are retried:
        C(GET) and C(HEAD), writes with a check-and-set index (C(cas)), and full-object writes a module
        declares idempotent. Creating a token, role, binding rule, auth method or introduction token, job
        registration and deregistration, and deletes are never retried; their error says so. TLS errors and
        other answers are never retried.
    type: int
    default: 3
  # END retries
"""
