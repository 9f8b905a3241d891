# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the names a server certificate carries.

* ``nomad_certificate_missing``: which of the names a caller dials a PEM certificate does not cover.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - cryptography is a requirement of ansible-core
    HAS_CRYPTOGRAPHY = False


def _covered(name, dns_names, ips):
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return ip in ips
    name = name.lower().rstrip(".")
    for pattern in dns_names:
        pattern = pattern.lower().rstrip(".")
        if pattern == name:
            return True
        # RFC 6125 6.4.3: a wildcard stands for exactly one left-most label
        if pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def nomad_certificate_missing(names, pem):
    """The entries of ``names`` (DNS names or IP addresses) that the certificate in ``pem`` does not cover.

    Only the subjectAltName extension counts, as in Go's crypto/x509 VerifyHostname (which Nomad's TLS
    clients and the OpenShift router use): the common name is ignored."""
    if not HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("nomad_certificate_missing needs the Python package cryptography")
    if isinstance(pem, str):
        pem = pem.encode("utf-8")
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError("nomad_certificate_missing: not a PEM certificate (%s)" % exc)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return list(names or [])
    dns_names = san.get_values_for_type(x509.DNSName)
    ips = san.get_values_for_type(x509.IPAddress)
    return [n for n in names or [] if not _covered(str(n), dns_names, ips)]


class FilterModule:
    def filters(self):
        return {"_nomad_certificate_missing": nomad_certificate_missing}
