# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Nomad release files (releases.hashicorp.com layout).

* ``nomad_release_sha256s``: the ``nomad_<version>_SHA256SUMS`` text of a release as a mapping of
  platform (``linux_amd64``, ``windows_amd64``, ...) to the SHA-256 of its zip.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def nomad_release_sha256s(text, version):
    """Platform -> sha256 of ``nomad_<version>_<platform>.zip`` from a SHA256SUMS text.

    Lines are ``<sha256>  <file>`` (sha256sum's text mode) or ``<sha256> *<file>`` (binary mode);
    other lines and other files (another version, the SBOM, a package) are ignored. Empty or missing
    text (``None``) gives an empty mapping, so a caller may read the file before it exists."""
    if text is None:
        return {}
    if not isinstance(text, str):
        raise AnsibleFilterError("nomad_release_sha256s: expected the SHA256SUMS text, got %s" % type(text).__name__)
    if not isinstance(version, str) or not version:
        raise AnsibleFilterError("nomad_release_sha256s: expected the Nomad version as a string, got %r" % (version,))
    prefix = "nomad_%s_" % version
    sums = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2 or not _SHA256.match(parts[0]):
            continue
        name = parts[1][1:] if parts[1].startswith("*") else parts[1]
        if name.startswith(prefix) and name.endswith(".zip") and len(name) > len(prefix) + 4:
            sums[name[len(prefix):-4]] = parts[0]
    return sums


class FilterModule:
    def filters(self):
        return {"nomad_release_sha256s": nomad_release_sha256s}
