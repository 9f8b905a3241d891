"""Throw-away test CA for the Nomad API double: python -m tests.tools.nomad_api_double.testca DIR

Writes ca.pem, server.pem/server-key.pem (server.global.nomad, localhost, 127.0.0.1), client.pem/client-key.pem
(client.global.nomad) and other-ca.pem (an unrelated CA, for the "wrong CA" test). Keys are 0600. Test material
only. The names are Nomad's: with verify_server_hostname a client checks server.<region>.nomad and the servers
check client.<region>.nomad (nomad/auth/auth.go verifyTLS).
"""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
import ipaddress


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, issuer_key, ca=False, server=False, client=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(subject), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make(directory):
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("nomad-double-test-ca", "nomad-double-test-ca", ca_key, ca_key, ca=True)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("unrelated-test-ca", "unrelated-test-ca", other_key, other_key, ca=True)
    pem = serialization.Encoding.PEM
    _write(os.path.join(directory, "ca.pem"), ca.public_bytes(pem))
    _write(os.path.join(directory, "other-ca.pem"), other.public_bytes(pem))
    for name, server, client in (("server", True, False), ("client", False, True)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert("%s.global.nomad" % name, "nomad-double-test-ca", key, ca_key, server=server, client=client)
        _write(os.path.join(directory, "%s.pem" % name), cert.public_bytes(pem))
        _write(os.path.join(directory, "%s-key.pem" % name), _key_pem(key), 0o600)
    return directory


if __name__ == "__main__":
    print(make(sys.argv[1]))
