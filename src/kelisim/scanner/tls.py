"""Trusting a private CA on a closed network (`--ca-cert`).

Chromium on Linux reads trust anchors from the user's NSS database, which a scan should not touch.
`--ignore-certificate-errors-spki-list` is the switch that works in headless Debian Chromium: it
accepts a chain when the SPKI hash of any certificate the server presents (leaf or intermediate,
so also a CA the server sends along) is listed. Playwright always passes a user-data-dir, which that
switch requires. So the CA's hash works when servers send the full chain; otherwise pass the leaf
itself as `--ca-cert` (its hash matches directly).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from kelisim.scanner.config import ConfigError

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at `pos`."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    return tag, pos, pos + length


def spki_der(cert_der: bytes) -> bytes:
    """The SubjectPublicKeyInfo of an X.509 certificate, as DER (the bytes Chromium hashes)."""
    _, cert_start, _ = _tlv(cert_der, 0)
    _, pos, _ = _tlv(cert_der, cert_start)  # tbsCertificate
    tag, _, end = _tlv(cert_der, pos)
    if tag == 0xA0:  # explicit version
        pos = end
    for _ in range(5):  # serial, signature, issuer, validity, subject
        _, _, end = _tlv(cert_der, pos)
        pos = end
    _, _, end = _tlv(cert_der, pos)
    return cert_der[pos:end]


def spki_hashes(path: Path) -> list[str]:
    """base64(sha256(SPKI)) of every certificate in a PEM file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"--ca-cert {path}: cannot read ({exc.strerror or exc})") from exc
    blocks = _PEM.findall(data)
    if not blocks:
        raise ConfigError(f"--ca-cert {path}: no PEM certificate found")
    hashes = []
    for block in blocks:
        try:
            der = base64.b64decode(b"".join(block.split()))
            hashes.append(base64.b64encode(hashlib.sha256(spki_der(der)).digest()).decode())
        except (ValueError, IndexError) as exc:
            raise ConfigError(f"--ca-cert {path}: not a valid certificate") from exc
    return hashes


def ca_args(paths: list[Path]) -> list[str]:
    hashes = [h for p in paths for h in spki_hashes(p)]
    return [f"--ignore-certificate-errors-spki-list={','.join(hashes)}"] if hashes else []
