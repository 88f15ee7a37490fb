"""Forged consent: 10 000 mutated tokens are all "no consent", none a 5xx.

The mutations cover what an attacker or a broken proxy can do to the `kelisim_consent` cookie: bit
flips anywhere, truncation, re-encoding (padding, case), spliced payloads and signatures, a token
signed under another salt, with a retired key or with no key, an expired one, and other values the
same app signs with the same secret material (its Flask session cookie, a CSRF token) replayed as a
consent. The decoder itself is also checked by Hypothesis: arbitrary text never raises and never
reads as valid unless it was issued.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import time

import pytest
from flask_wtf.csrf import generate_csrf
from hypothesis import given, settings
from hypothesis import strategies as st

from kelisim.domain.tokens import MAX_TOKEN_LENGTH, ConsentClaims, TokenCodec
from kelisim.web.app import create_app
from tests.conftest import make_settings

MUTATIONS = 10_000


@pytest.fixture(scope="module")
def forgery_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forgery")
    retired = secrets.token_urlsafe(32)
    settings = make_settings(f"sqlite:///{tmp / 'kelisim.sqlite3'}", tmp)
    app = create_app(settings.with_changes(consent_rate_per_network=0))
    app.config.update(TESTING=True)
    app.extensions["retired_key"] = retired
    yield app
    app.extensions["kelisim"].close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(token: str) -> dict:
    payload = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def forged_tokens(app, genuine: list[str], count: int, seed: int = 7) -> list[str]:
    """`count` distinct tokens that are not any genuine token, of many kinds."""
    rng = random.Random(seed)
    svc = app.extensions["kelisim"]
    claims = _claims(genuine[0])
    real = ConsentClaims(
        consent_id=claims["c"],
        event_seq=claims["s"],
        revision=claims["r"],
        action=claims["a"],
        granted=tuple(claims["g"]),
        issued_at=claims["i"],
        expires_at=claims["e"],
    )
    keys = list(svc.settings.token_keys)
    now = int(time.time())
    special = [
        TokenCodec(keys, salt="kelisim.consent.v0").issue(real),  # other salt
        TokenCodec(keys, salt="itsdangerous").issue(real),
        TokenCodec([app.extensions["retired_key"]]).issue(real),  # retired key
        TokenCodec([app.secret_key]).issue(real),  # Flask's secret as a token key
        svc.tokens.issue(ConsentClaims(**{**real.__dict__, "expires_at": now - 1})),  # expired
        app.session_interface.get_signing_serializer(app).dumps({"c": real.consent_id}),
        app.session_interface.get_signing_serializer(app).dumps(claims),
    ]
    with app.test_request_context():
        special.append(generate_csrf())
    # Unsigned, and signed with a guessed empty-ish key.
    payload = _b64(json.dumps(claims).encode())
    special.append(f"{payload}.{genuine[0].split('.')[1]}.{_b64(secrets.token_bytes(32))}")
    special.append(TokenCodec(["x"]).issue(real))
    # Granting more than was consented, re-signed with nothing.
    more = dict(claims, g=[vendor for vendor in svc.catalogue.vendor_ids])
    pay, ts, sig = genuine[0].split(".")
    special.append(f"{_b64(json.dumps(more).encode())}.{ts}.{sig}")
    special.append(f"{pay}.{ts}.{sig}=")  # padding
    special.append(f"{pay}=.{ts}.{sig}")
    special.append(genuine[0].swapcase())
    special.append(f"{pay}.{genuine[1].split('.')[1]}.{genuine[1].split('.')[2]}")  # spliced
    special.append(f".{pay}.{ts}.{sig}")  # zlib marker
    special.append(f"{pay}.{ts}.{sig}.{sig}")

    tokens = set(special)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    genuine_set = set(genuine)
    while len(tokens) < count:
        source = rng.choice(genuine)
        kind = rng.randrange(5)
        if kind == 0:  # flip one bit of one character
            index = rng.randrange(len(source))
            flipped = chr(ord(source[index]) ^ (1 << rng.randrange(7)))
            if not flipped.isprintable():
                continue
            token = source[:index] + flipped + source[index + 1 :]
        elif kind == 1:  # truncate
            token = source[: rng.randrange(1, len(source))]
        elif kind == 2:  # replace one character by another of the alphabet
            index = rng.randrange(len(source))
            token = source[:index] + rng.choice(alphabet) + source[index + 1 :]
        elif kind == 3:  # several flips
            chars = list(source)
            for _ in range(rng.randrange(2, 6)):
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            token = "".join(chars)
        else:  # insert or delete one character
            index = rng.randrange(len(source))
            if rng.random() < 0.5:
                token = source[:index] + source[index + 1 :]
            else:
                token = source[:index] + rng.choice(alphabet) + source[index:]
        if token and token not in genuine_set:
            tokens.add(token)
    return sorted(tokens)[:count] if len(tokens) > count else list(tokens)


@pytest.mark.slow
def test_ten_thousand_forged_tokens_are_all_no_consent(forgery_app):
    client = forgery_app.test_client()
    genuine = []
    for action in ("accept_all", "reject_all", "accept_all"):
        body = {
            "site": "default",
            "revision": 1,
            "language": "ru",
            "action": action,
            "event_id": secrets.token_urlsafe(12),
        }
        body["revision"] = forgery_app.extensions["kelisim"].catalogue.revision
        response = client.post("/api/v1/consent", json=body)
        assert response.status_code == 201
        genuine.append(response.get_json()["token"])
    # The genuine tokens are valid: the harness can tell the difference.
    for token in genuine:
        assert client.post("/api/v1/consent/verify", json={"token": token}).get_json()["valid"]

    tokens = forged_tokens(forgery_app, genuine, MUTATIONS)
    assert len(tokens) == MUTATIONS
    statuses: dict[int, int] = {}
    accepted = []
    reasons: dict[str, int] = {}
    for token in tokens:
        response = client.post("/api/v1/consent/verify", json={"token": token})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        body = response.get_json()
        if response.status_code == 200:
            if body["valid"]:
                accepted.append(token)
            reasons[body["reason"] if not body["valid"] else "VALID"] = (
                reasons.get(body["reason"] if not body["valid"] else "VALID", 0) + 1
            )
    print(f"forged tokens: {len(tokens)} statuses={statuses} reasons={reasons}")
    assert accepted == []
    assert not any(status >= 500 for status in statuses)
    # Over-long mutations are a 400 (no consent either); everything else is a 200 "valid": false.
    assert set(statuses) <= {200, 400}


@given(st.text(max_size=600) | st.binary(max_size=600).map(lambda b: b.decode("latin-1")))
@settings(max_examples=2000, deadline=None, derandomize=True)
def test_the_decoder_never_raises_and_never_accepts_what_it_did_not_issue(text):
    codec = TokenCodec(["key-one-" * 4, "key-two-" * 4])
    assert codec.read(text) is None


@given(st.binary(min_size=1, max_size=300))
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_the_decoder_rejects_any_change_to_an_issued_token(noise):
    codec = TokenCodec(["key-" * 8])
    claims = ConsentClaims("c" * 24, 1, 1, "accept_all", ("vk",), 1, 2**40)
    token = codec.issue(claims)
    assert codec.read(token) == claims
    index = noise[0] % len(token)
    replacement = chr(33 + noise[-1] % 94)
    changed = token[:index] + replacement + token[index + 1 :]
    if changed != token:
        assert codec.read(changed) is None
    assert codec.read(token[:index]) is None
    assert codec.read(token + "A" * (MAX_TOKEN_LENGTH + 1)) is None
