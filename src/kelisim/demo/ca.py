"""A local certificate authority, so the fake vendor hosts can answer HTTPS under the real names.

Trackers are loaded over HTTPS from fixed hostnames; to stand in for them on loopback the demo needs
a certificate for every one of those names. It generates its own CA once (kept in the demo's state
directory and reused, so a browser told to trust it keeps trusting it) and issues one leaf that
lists every fake hostname as a subject alternative name. Nothing here touches the system trust
store: Chromium is told to accept the key by its SPKI hash
(`--ignore-certificate-errors-spki-list`), and Python clients load the CA file into their own SSL
context.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "Kelisim demo local CA (not trusted anywhere else)"
# Browsers refuse leaves valid for more than 398 days even from private CAs in some modes.
LEAF_DAYS = 397
CA_DAYS = 3650
RENEW_BEFORE = dt.timedelta(days=7)
# The leaf also names the loopback server itself, for the demo's control endpoint.
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = (ipaddress.ip_address("127.0.0.1"),)


@dataclass(frozen=True)
class CertificateFiles:
    """Where the CA and the leaf live, and the fingerprints a browser needs to trust them."""

    ca_cert: Path
    leaf_cert: Path
    leaf_key: Path
    spki_hashes: tuple[str, ...]  # base64 SHA-256 of the leaf's and the CA's public keys

    def server_context(self) -> ssl.SSLContext:
        """The TLS context the fake vendor server presents (leaf plus CA chain)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.leaf_cert, self.leaf_key)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only the demo CA: proves the leaf verifies per hostname."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Private keys are created 0600 from the start, never world-readable even for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def spki_hash(cert: x509.Certificate) -> str:
    """Chromium's SPKI fingerprint: base64 of SHA-256 over the DER SubjectPublicKeyInfo."""
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_or_create_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if cert.not_valid_after_utc - RENEW_BEFORE > _now() and isinstance(
            key, ec.EllipticCurvePrivateKey
        ):
            return cert, key
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _leaf_is_current(path: Path, ca: x509.Certificate, hostnames: set[str]) -> bool:
    if not path.exists():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.issuer != ca.subject or cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return False
    try:
        ca.public_key().verify(  # type: ignore[call-arg]
            cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
        )
    except Exception:  # a CA regenerated since: the old leaf no longer chains
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.DNSName)) == hostnames and set(
        san.get_values_for_type(x509.IPAddress)
    ) == set(LOOPBACK_IPS)


def ensure_certificates(directory: Path, hostnames: Iterable[str]) -> CertificateFiles:
    """Reuse the CA and leaf under `directory`, issuing a new leaf when the hostnames changed."""
    directory.mkdir(parents=True, exist_ok=True)
    names = set(hostnames) | set(LOOPBACK_NAMES)
    ca_cert, ca_key = _load_or_create_ca(directory)
    leaf_path, leaf_key_path = directory / "vendors.pem", directory / "vendors-key.pem"
    if not (leaf_key_path.exists() and _leaf_is_current(leaf_path, ca_cert, names)):
        key = _new_key()
        now = _now()
        leaf = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kelisim fake vendors")])
            )
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(name) for name in sorted(names)]
                    + [x509.IPAddress(ip) for ip in LOOPBACK_IPS]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(leaf_key_path, _key_pem(key))
        # The chain file carries the CA too, so clients that only know the CA can build the path.
        _write_public(
            leaf_path,
            leaf.public_bytes(serialization.Encoding.PEM)
            + ca_cert.public_bytes(serialization.Encoding.PEM),
        )
    leaf_cert = x509.load_pem_x509_certificate(leaf_path.read_bytes())
    return CertificateFiles(
        ca_cert=directory / "ca.pem",
        leaf_cert=leaf_path,
        leaf_key=leaf_key_path,
        spki_hashes=(spki_hash(leaf_cert), spki_hash(ca_cert)),
    )
