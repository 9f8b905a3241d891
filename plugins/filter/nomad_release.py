# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Nomad release files (releases.hashicorp.com layout).

* ``nomad_release_sha256s``: the ``nomad_<version>_SHA256SUMS`` text of a release as a mapping of
  platform (``linux_amd64``, ``windows_amd64``, ...) to the SHA-256 of its zip.
* ``nomad_release_binaries``: where the binary unpacked from each platform's verified zip lives in the
  controller cache.
* ``nomad_sha256sum_output``: the output of ``sha256sum FILE...`` as a mapping of file to checksum.
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
    for name, checksum in _sha256sum_lines(text):
        if len(name.split()) != 1:  # a third field, not a file of the release
            continue
        if name.startswith(prefix) and name.endswith(".zip") and len(name) > len(prefix) + 4:
            sums[name[len(prefix):-4]] = checksum
    return sums


def _sha256sum_lines(text):
    """(file, checksum) of each well-formed sha256sum line (text ``<sum>  <file>`` or binary ``<sum> *<file>``)."""
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2 or not _SHA256.match(parts[0]):
            continue
        name = parts[1].strip()
        yield (name[1:] if name.startswith("*") else name), parts[0]


def nomad_release_binaries(sha256s, cache_dir, platforms=None):
    """Linux platform -> ``<cache_dir>/<platform>-<first 16 hex of the zip's SHA-256>/nomad``: the directory
    is named after the verified archive, so another archive for the same version never reuses it.
    Only the given platforms when ``platforms`` is set; Windows hosts unpack their zip themselves."""
    if not isinstance(sha256s, dict):
        raise AnsibleFilterError("nomad_release_binaries: expected platform -> sha256, got %s" % type(sha256s).__name__)
    if not isinstance(cache_dir, str) or not cache_dir:
        raise AnsibleFilterError("nomad_release_binaries: expected the cache directory, got %r" % (cache_dir,))
    wanted = set(sha256s) if platforms is None else set(platforms)
    return {platform: "%s/%s-%s/nomad" % (cache_dir.rstrip("/"), platform, checksum[:16])
            for platform, checksum in sorted(sha256s.items())
            if platform.startswith("linux_") and platform in wanted}


def nomad_sha256sum_output(text):
    """File -> SHA-256 from the output of ``sha256sum FILE...``; other lines are ignored."""
    if text is None:
        return {}
    if not isinstance(text, str):
        raise AnsibleFilterError("nomad_sha256sum_output: expected sha256sum's output, got %s" % type(text).__name__)
    return dict(_sha256sum_lines(text))


class FilterModule:
    def filters(self):
        return {
            "_nomad_release_sha256s": nomad_release_sha256s,
            "_nomad_release_binaries": nomad_release_binaries,
            "_nomad_sha256sum_output": nomad_sha256sum_output,
        }
