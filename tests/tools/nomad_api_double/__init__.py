"""Nomad API double: a TEST DOUBLE of Nomad's HTTP API (not Nomad, never shipped).

Behaviour follows ../../../../shared/nomad/api-endpoints.md (paths, JSON field casing, status codes,
error texts, X-Nomad-Index, X-Nomad-Token, 403 "Permission denied"). See README.md beside this file.
"""

from .server import DoubleState, NomadAPIDouble  # noqa: F401
