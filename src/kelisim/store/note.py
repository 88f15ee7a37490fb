"""Signed checkpoints: C2SP `tlog-checkpoint` bodies in C2SP `signed-note` envelopes, Ed25519.

A checkpoint says "the log named <origin> has <size> leaves and this root hash", signed with the
log's key. The format is the one of Go's checksum database (golang.org/x/mod/sumdb/note), so an
auditor can check Kelisim's checkpoints with a verifier nobody at Kelisim wrote:

    <origin>\n<size>\n<base64 root>\n\n— <key name> <base64(key hash[4] || signature[64])>\n

Keys are written the way that library writes them: a verifier key `name+hash+base64(0x01 || pub)`
and a signer key `PRIVATE+KEY+name+hash+base64(0x01 || seed)`, where hash is the first four bytes
of SHA-256(name || "\n" || 0x01 || pub) in hex. The signature covers the body only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ALG_ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A key, checkpoint or signature that is malformed or does not verify."""


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public).digest()[:4]


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: bytes
    public: bytes

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key reads name+hash+base64")
        name, hash_hex, key_b64 = parts
        key = _b64decode(key_b64, "verifier key")
        if len(key) != 33 or key[:1] != ALG_ED25519:
            raise NoteError("verifier key is not an Ed25519 key")
        public = key[1:]
        if hash_hex != _key_hash(_check_name(name), public).hex():
            raise NoteError("verifier key hash does not match its name and key")
        return cls(name, _key_hash(name, public), public)

    def __str__(self) -> str:
        encoded = base64.b64encode(ALG_ED25519 + self.public).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    def renamed(self, name: str) -> Verifier:
        """The same public key under another key name (another log signed with the same key)."""
        return Verifier(_check_name(name), _key_hash(name, self.public), self.public)

    def verifies(self, body: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, body)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        private = Ed25519PrivateKey.generate()
        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(_check_name(name), seed)

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("a signing key reads PRIVATE+KEY+name+hash+base64")
        _, _, name, hash_hex, key_b64 = parts
        key = _b64decode(key_b64, "signing key")
        if len(key) != 33 or key[:1] != ALG_ED25519:
            raise NoteError("signing key is not an Ed25519 key")
        signer = cls(_check_name(name), key[1:])
        if hash_hex != signer.verifier().key_hash.hex():
            raise NoteError("signing key hash does not match its name and key")
        return signer

    def __str__(self) -> str:
        encoded = base64.b64encode(ALG_ED25519 + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_hash.hex()}+{encoded}"

    def verifier(self) -> Verifier:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, _key_hash(self.name, public), public)

    def sign(self, body: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(body)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n".encode()


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    body = checkpoint.body()
    signature = base64.b64encode(signer.verifier().key_hash + signer.sign(body)).decode()
    return f"{body.decode()}\n{SIGNATURE_PREFIX}{signer.name} {signature}\n"


def open_checkpoint(note: str, verifiers: list[Verifier]) -> tuple[Checkpoint, Verifier]:
    """Parse a signed checkpoint and check it carries a valid signature by one of `verifiers`."""
    body, separator, signatures = note.partition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteError("not a signed note (no blank line before the signatures)")
    body_bytes = (body + "\n").encode()
    lines = body.split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("checkpoint tree size is not a decimal number")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise NoteError("checkpoint root hash is not 32 bytes")
    checkpoint = Checkpoint(origin, int(size_text), root)
    by_hash = {(v.name, v.key_hash): v for v in verifiers}
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        raw = _b64decode(encoded, "signature")
        if len(raw) != 68:
            continue  # another algorithm: not ours to judge
        verifier = by_hash.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verifies(body_bytes, raw[4:]):
            raise NoteError(f"the signature by {name} does not verify")
        if verifier.name != origin:
            raise NoteError(f"checkpoint origin {origin!r} is not the key's log {name!r}")
        return checkpoint, verifier
    raise NoteError("no signature by a known key")
