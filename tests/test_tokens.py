"""The consent cookie's token: what verifies, and everything that must read as "no consent"."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from kelisim.domain.tokens import DEFAULT_SALT, MAX_TOKEN_LENGTH, ConsentClaims, TokenCodec

OLD_KEY = "old-key-" + "o" * 40
NEW_KEY = "new-key-" + "n" * 40
NOW = int(time.time())


def claims(**changes: object) -> ConsentClaims:
    values: dict[str, object] = {
        "consent_id": "Yq3v9c2L0tN4kX8rA1bZ6wPd",
        "event_seq": 42,
        "revision": 3,
        "action": "custom",
        "granted": ("yandex_metrika", "google_analytics"),
        "issued_at": NOW,
        "expires_at": NOW + 180 * 86400,
    }
    values.update(changes)
    return ConsentClaims(**values)  # type: ignore[arg-type]


def test_round_trip_returns_the_same_claims() -> None:
    codec = TokenCodec([NEW_KEY])
    token = codec.issue(claims())
    assert codec.read(token) == claims()
    assert codec.read(codec.issue(claims(granted=()))) == claims(granted=())


def test_token_is_cookie_and_url_safe() -> None:
    token = TokenCodec([NEW_KEY]).issue(claims())
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 4096


def test_payload_is_plain_base64url_json_that_a_browser_can_read() -> None:
    token = TokenCodec([NEW_KEY]).issue(claims())
    payload = token.split(".")[0]
    assert payload, "a leading '.' would mean a zlib-compressed payload"
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded == {
        "c": "Yq3v9c2L0tN4kX8rA1bZ6wPd",
        "s": 42,
        "r": 3,
        "a": "custom",
        "g": ["yandex_metrika", "google_analytics"],
        "i": NOW,
        "e": NOW + 180 * 86400,
    }


def test_a_long_grant_list_is_still_not_compressed() -> None:
    many = tuple(f"vendor_{n}" for n in range(40))
    token = TokenCodec([NEW_KEY]).issue(claims(granted=many))
    assert not token.startswith(".")
    assert TokenCodec([NEW_KEY]).read(token) == claims(granted=many)


def test_new_tokens_are_signed_with_the_newest_key_alone() -> None:
    token = TokenCodec([OLD_KEY, NEW_KEY]).issue(claims())
    assert TokenCodec([NEW_KEY]).read(token) == claims()
    assert TokenCodec([OLD_KEY]).read(token) is None


def test_old_key_token_verifies_during_rotation_and_not_after_the_key_is_dropped() -> None:
    old_token = TokenCodec([OLD_KEY]).issue(claims())
    assert TokenCodec([OLD_KEY, NEW_KEY]).read(old_token) == claims()
    assert TokenCodec([NEW_KEY]).read(old_token) is None


def test_every_single_character_mutation_reads_as_no_consent() -> None:
    codec = TokenCodec([NEW_KEY])
    token = codec.issue(claims())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for index, char in enumerate(token):
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        mutated = token[:index] + replacement + token[index + 1 :]
        assert codec.read(mutated) is None, f"mutation at {index} accepted"


def test_truncated_tokens_read_as_no_consent() -> None:
    codec = TokenCodec([NEW_KEY])
    token = codec.issue(claims())
    for length in range(len(token)):
        assert codec.read(token[:length]) is None


def test_a_token_of_another_salt_reads_as_no_consent() -> None:
    other = TokenCodec([NEW_KEY], salt="kelisim.something-else")
    assert TokenCodec([NEW_KEY]).read(other.issue(claims())) is None


def test_another_itsdangerous_value_signed_with_the_same_key_is_not_a_consent() -> None:
    payload = {"c": "x" * 24, "s": 1, "r": 3, "a": "accept_all", "g": [], "i": NOW, "e": NOW + 9}
    codec = TokenCodec([NEW_KEY])
    # What Flask's session interface signs: same secret, salt "cookie-session", HMAC key derivation.
    flask_session = URLSafeTimedSerializer(
        NEW_KEY,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    assert codec.read(flask_session.dumps(payload)) is None
    same_digest_other_salt = URLSafeTimedSerializer(
        NEW_KEY, salt="csrf", signer_kwargs={"digest_method": hashlib.sha256}
    )
    assert codec.read(same_digest_other_salt.dumps(payload)) is None
    # The right salt but SHA-1 (itsdangerous' default) is a different MAC as well.
    sha1 = URLSafeTimedSerializer(NEW_KEY, salt=DEFAULT_SALT)
    assert codec.read(sha1.dumps(payload)) is None


def test_expired_token_reads_as_no_consent() -> None:
    codec = TokenCodec([NEW_KEY])
    token = codec.issue(claims(expires_at=NOW - 1))
    assert codec.read(token) is None
    assert codec.read(token, now=NOW - 1) == claims(expires_at=NOW - 1)
    assert codec.read(codec.issue(claims()), now=NOW + 181 * 86400) is None


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "a string",
        {"c": "id", "s": 1},
        {"c": "", "s": 1, "r": 3, "a": "custom", "g": [], "i": NOW, "e": NOW + 9},
        {"c": "id", "s": "1", "r": 3, "a": "custom", "g": [], "i": NOW, "e": NOW + 9},
        {"c": "id", "s": True, "r": 3, "a": "custom", "g": [], "i": NOW, "e": NOW + 9},
        {"c": "id", "s": 1, "r": 3, "a": "nonsense", "g": [], "i": NOW, "e": NOW + 9},
        {"c": "id", "s": 1, "r": 3, "a": "custom", "g": "vk", "i": NOW, "e": NOW + 9},
        {"c": "id", "s": 1, "r": 3, "a": "custom", "g": [1], "i": NOW, "e": NOW + 9},
        {"c": "id", "s": 1, "r": 3, "a": "custom", "g": [], "i": NOW, "e": 1e20},
        {"c": "id", "s": 1, "r": 3, "a": "custom", "g": [], "i": NOW, "e": NOW + 9, "x": 1},
    ],
)
def test_validly_signed_payloads_of_the_wrong_shape_read_as_no_consent(payload: object) -> None:
    signer = URLSafeTimedSerializer(
        NEW_KEY, salt=DEFAULT_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )
    assert TokenCodec([NEW_KEY]).read(signer.dumps(payload)) is None


@pytest.mark.parametrize(
    "token",
    [None, "", 42, b"bytes", "...", "a.b.c", "\x00\xff", "ü.ü.ü", "x" * (MAX_TOKEN_LENGTH + 1)],
)
def test_garbage_input_reads_as_no_consent_without_raising(token: object) -> None:
    assert TokenCodec([NEW_KEY]).read(token) is None  # type: ignore[arg-type]


def test_oversized_token_is_refused_even_when_validly_signed() -> None:
    codec = TokenCodec([NEW_KEY])
    huge = codec.issue(claims(granted=tuple(f"v{n:04d}" for n in range(600))))
    assert len(huge) > MAX_TOKEN_LENGTH
    assert codec.read(huge) is None


def test_a_codec_needs_a_key() -> None:
    with pytest.raises(ValueError):
        TokenCodec([])
    with pytest.raises(ValueError):
        TokenCodec([""])
