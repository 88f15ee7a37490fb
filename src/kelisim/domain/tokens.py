"""The signed consent token kept in the visitor's `kelisim_consent` cookie.

It is an itsdangerous timed serializer with a salt of its own, so no other value the application
signs (Flask's session, CSRF tokens) can be replayed as a consent. The payload is plain base64url
JSON, never zlib-compressed, so cmp.js can show the claims without a decompressor; the signature,
checked here, is what makes them true. Anything that fails to check reads as "no consent" (fail
closed).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.exc import BadPayload
from itsdangerous.serializer import Serializer

from kelisim.domain.consent import ACTIONS

DEFAULT_SALT = "kelisim.consent.v1"
# Browsers drop cookies over 4096 bytes anyway; refusing longer input early bounds the work.
MAX_TOKEN_LENGTH = 4096

# Compact keys keep the cookie small; the mapping is part of the format cmp.js reads.
_KEYS = {
    "consent_id": "c",
    "event_seq": "s",
    "revision": "r",
    "action": "a",
    "granted": "g",
    "issued_at": "i",
    "expires_at": "e",
}


@dataclass(frozen=True)
class ConsentClaims:
    consent_id: str
    event_seq: int
    revision: int
    action: str
    granted: tuple[str, ...]
    issued_at: int  # unix seconds
    expires_at: int  # unix seconds


class _PlainSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer without zlib: the browser must be able to read the claims."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))

    def load_payload(self, payload: bytes, *args: Any, **kwargs: Any) -> Any:
        if payload.startswith(b"."):
            raise BadPayload("compressed payloads are not issued by Kelisim")
        return super().load_payload(payload, *args, **kwargs)


def _canonical_signature(token: str) -> bool:
    """True when the signature segment is the one spelling of its bytes.

    base64 ignores the spare low bits of the last character, so without this check a token with
    its last character changed could still verify; every token must have exactly one valid form.
    """
    signature = token.rpartition(".")[2].encode("ascii")
    return base64_encode(base64_decode(signature)) == signature


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _claims_from_payload(payload: object) -> ConsentClaims | None:
    if not isinstance(payload, dict) or set(payload) != set(_KEYS.values()):
        return None
    consent_id, seq, revision = payload["c"], payload["s"], payload["r"]
    action, granted = payload["a"], payload["g"]
    issued_at, expires = payload["i"], payload["e"]
    if not (isinstance(consent_id, str) and consent_id):
        return None
    if not all(_is_int(value) for value in (seq, revision, issued_at, expires)):
        return None
    if action not in ACTIONS:
        return None
    if not isinstance(granted, list) or not all(isinstance(v, str) for v in granted):
        return None
    return ConsentClaims(
        consent_id=consent_id,
        event_seq=seq,
        revision=revision,
        action=action,
        granted=tuple(granted),
        issued_at=issued_at,
        expires_at=expires,
    )


class TokenCodec:
    """Issues and reads consent tokens under a rotating key list (oldest first, newest last).

    Tokens are signed with the newest key only and checked against every key still listed, so a key
    is rotated by appending a new one and later dropping the oldest (the reverse
    order is exactly Flask's CVE-2025-47278).
    """

    def __init__(self, keys: Sequence[str | bytes], salt: str = DEFAULT_SALT) -> None:
        keys = list(keys)
        if not keys or not all(keys):
            raise ValueError("TokenCodec needs at least one non-empty key")
        self._serializer = _PlainSerializer(
            keys, salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
        )
        # What serializer.dumps() would build for every token (the newest key's timestamp
        # signer), built once: a token is issued with every recorded consent.
        self._signer = self._serializer.make_signer()

    def issue(self, claims: ConsentClaims) -> str:
        payload = {
            "c": str(claims.consent_id),
            "s": int(claims.event_seq),
            "r": int(claims.revision),
            "a": str(claims.action),
            "g": [str(vendor_id) for vendor_id in claims.granted],
            "i": int(claims.issued_at),
            "e": int(claims.expires_at),
        }
        return self._signer.sign(self._serializer.dump_payload(payload)).decode("utf-8")

    def read(self, token: str | None, now: int | None = None) -> ConsentClaims | None:
        """The claims of a valid, unexpired token; None for anything else. Never raises."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            if not _canonical_signature(token):
                return None
            payload = self._serializer.loads(token)
        except Exception:  # every failure means "no consent", whatever its kind
            return None
        claims = _claims_from_payload(payload)
        if claims is None:
            return None
        current = int(time.time()) if now is None else now
        if claims.expires_at < current:
            return None
        return claims
