"""The /api/v1 contract, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import secrets
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kelisim.domain.tokens import ConsentClaims, TokenCodec
from tests.support.contract import VENDOR_IDS as CONTRACT_VENDOR_IDS

VENDOR_IDS = set(CONTRACT_VENDOR_IDS)
ALLOWED_ORIGIN = "http://localhost:3000"
FOREIGN_ORIGIN = "https://evil.example"


def post_json(client, path: str, body: object, **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def record(client, body: dict, **kwargs):
    response = post_json(client, "/api/v1/consent", body, **kwargs)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


def assert_problem(response, status: int) -> dict:
    """A readable problem document with no internals in it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    text_body = response.get_data(as_text=True)
    assert "Traceback" not in text_body and 'File "' not in text_body
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert isinstance(problem["errors"], list)
    return problem


# --- GET /config ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_config_lists_all_fourteen_vendors_in_each_language(client, lang):
    response = client.get(f"/api/v1/config?site=default&lang={lang}")
    assert response.status_code == 200
    config = response.get_json()
    assert config["language"] == lang
    assert config["site"] == "default"
    assert {vendor["id"] for vendor in config["vendors"]} == VENDOR_IDS
    assert all(vendor["description"] for vendor in config["vendors"])
    assert config["texts"] and all(isinstance(value, str) for value in config["texts"].values())
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Origin" in response.headers["Vary"]


def test_config_texts_differ_between_languages(client):
    ru = client.get("/api/v1/config?lang=ru").get_json()
    kk = client.get("/api/v1/config?lang=kk").get_json()
    assert ru["texts"] != kk["texts"]


def test_config_etag_answers_304_when_unchanged(client):
    first = client.get("/api/v1/config?lang=en")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/config?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    other = client.get("/api/v1/config?lang=ru", headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("kk-KZ,kk;q=0.9,ru;q=0.8", "kk"), ("en-US,en;q=0.9", "en"), ("fr-FR", "ru"), (None, "ru")],
)
def test_config_without_lang_follows_accept_language(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/api/v1/config", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["language"] == expected
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("query", ["site=nope", "lang=de", "site=nope&lang=de", "lang="])
def test_config_unknown_site_or_language_is_400(client, query):
    problem = assert_problem(client.get(f"/api/v1/config?{query}"), 400)
    assert problem["errors"]


# --- POST /consent -------------------------------------------------------------------------------


def test_accept_all_is_recorded_and_the_receipt_shows_it(client, consent_body, consent_event_count):
    response = post_json(client, "/api/v1/consent", consent_body())
    assert response.status_code == 201
    result = response.get_json()
    assert set(result) == {
        "consent_id",
        "token",
        "expires",
        "status",
        "granted",
        "receipt_url",
        "revision",
        "current_revision",
        "holds",
    }
    assert result["status"] == "given"
    assert set(result["granted"]) == VENDOR_IDS
    assert len(result["consent_id"]) >= 24
    assert result["receipt_url"].endswith(f"/consent/{result['consent_id']}")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert consent_event_count() == 1

    history = client.get(f"/api/v1/consent/{result['consent_id']}")
    assert history.status_code == 200
    body = history.get_json()
    assert body["current"]["status"] == "given"
    assert body["current"]["valid"] is True
    assert [event["action"] for event in body["events"]] == ["accept_all"]

    page = client.get(f"/consent/{result['consent_id']}?lang=en")
    assert page.status_code == 200
    assert "Yandex" in page.get_data(as_text=True)


def test_reject_all_grants_nothing(client, consent_body):
    result = record(client, consent_body(action="reject_all"))
    assert result["status"] == "refused"
    assert result["granted"] == []


def test_custom_grants_exactly_the_chosen_vendors(client, consent_body):
    choices = {"yandex_metrika": True, "vk": False, "matomo": True}
    result = record(client, consent_body(action="custom", choices=choices))
    assert result["status"] == "given"
    assert sorted(result["granted"]) == ["matomo", "yandex_metrika"]
    refused = record(client, consent_body(action="custom", choices={"vk": False}))
    assert refused["status"] == "refused"


def test_retry_with_the_same_event_id_returns_the_same_consent_once(
    client, consent_body, consent_event_count
):
    body = consent_body()
    first = post_json(client, "/api/v1/consent", body)
    again = post_json(client, "/api/v1/consent", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["consent_id"] == again.get_json()["consent_id"]
    assert consent_event_count() == 1


def test_event_id_reused_for_another_choice_is_409(client, consent_body, consent_event_count):
    body = consent_body()
    record(client, body)
    problem = assert_problem(
        post_json(client, "/api/v1/consent", {**body, "action": "reject_all"}), 409
    )
    assert problem["errors"][0]["field"] == "event_id"
    assert consent_event_count() == 1


def test_a_later_choice_joins_the_same_consent(client, consent_body):
    first = record(client, consent_body())
    second = record(client, consent_body(action="reject_all", consent_id=first["consent_id"]))
    assert second["consent_id"] == first["consent_id"]
    history = client.get(f"/api/v1/consent/{first['consent_id']}").get_json()
    assert [event["action"] for event in history["events"]] == ["accept_all", "reject_all"]
    assert history["current"]["status"] == "refused"


def test_stale_revision_is_409_with_the_current_one(client, consent_body, consent_event_count):
    current = consent_body()["revision"]
    problem = assert_problem(
        post_json(client, "/api/v1/consent", consent_body(revision=current + 1)), 409
    )
    assert problem["current_revision"] == current
    assert consent_event_count() == 0


def _bad_bodies(body: dict) -> dict[str, tuple[object, str]]:
    """name -> (body, field the problem must name)."""
    revision = body["revision"]
    return {
        "unknown vendor": ({**body, "action": "custom", "choices": {"nope": True}}, "choices.nope"),
        "choice not bool": ({**body, "action": "custom", "choices": {"vk": 1}}, "choices.vk"),
        "custom without choices": ({**body, "action": "custom"}, "choices"),
        "choices not object": ({**body, "choices": ["vk"]}, "choices"),
        "revision bool": ({**body, "revision": bool(revision)}, "revision"),
        "revision string": ({**body, "revision": str(revision)}, "revision"),
        "revision float": ({**body, "revision": float(revision)}, "revision"),
        "missing event_id": ({k: v for k, v in body.items() if k != "event_id"}, "event_id"),
        "missing site": ({k: v for k, v in body.items() if k != "site"}, "site"),
        "unknown field": ({**body, "admin": True}, "admin"),
        "unknown site": ({**body, "site": "nope"}, "site"),
        "site not string": ({**body, "site": 1}, "site"),
        "unknown language": ({**body, "language": "de"}, "language"),
        "unknown action": ({**body, "action": "accept"}, "action"),
        "short event_id": ({**body, "event_id": "abc"}, "event_id"),
        "event_id bad chars": ({**body, "event_id": "abc def ghi"}, "event_id"),
        "event_id newline": ({**body, "event_id": "abcdefgh\n"}, "event_id"),
        "gpc string": ({**body, "gpc": "true"}, "gpc"),
        "page too long": ({**body, "page": "https://a.kz/" + "x" * 2048}, "page"),
        "page not url": ({**body, "page": "javascript:alert(1)"}, "page"),
        "page lone surrogate": ({**body, "page": "https://a.kz/\ud800"}, "page"),
        "page not string": ({**body, "page": 5}, "page"),
        "malformed consent_id": ({**body, "consent_id": "../../etc/passwd"}, "consent_id"),
        "unknown consent_id": ({**body, "consent_id": "A" * 24}, "consent_id"),
    }


BAD_BODY_NAMES = [
    "unknown vendor",
    "choice not bool",
    "custom without choices",
    "choices not object",
    "revision bool",
    "revision string",
    "revision float",
    "missing event_id",
    "missing site",
    "unknown field",
    "unknown site",
    "site not string",
    "unknown language",
    "unknown action",
    "short event_id",
    "event_id bad chars",
    "event_id newline",
    "gpc string",
    "page too long",
    "page not url",
    "page lone surrogate",
    "page not string",
    "malformed consent_id",
    "unknown consent_id",
]


@pytest.mark.parametrize("case", BAD_BODY_NAMES)
def test_invalid_consent_is_400_naming_the_field_and_writes_nothing(
    client, consent_body, consent_event_count, case
):
    body, field = _bad_bodies(consent_body())[case]
    problem = assert_problem(post_json(client, "/api/v1/consent", body), 400)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert all(error["message"] for error in problem["errors"])
    assert consent_event_count() == 0


def test_every_problem_is_listed_at_once(client):
    problem = assert_problem(
        post_json(client, "/api/v1/consent", {"revision": True, "extra": 1, "gpc": "no"}), 400
    )
    fields = {error["field"] for error in problem["errors"]}
    assert {"site", "language", "action", "event_id", "revision", "extra", "gpc"} <= fields


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"site": "default",',
        b"[1, 2]",
        b'"just a string"',
        b"null",
        b'{"revision": NaN}',
        b"\xff\xfe{}",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_malformed_json_is_400_and_writes_nothing(client, consent_event_count, raw):
    response = client.post("/api/v1/consent", data=raw, content_type="application/json")
    assert_problem(response, 400)
    assert consent_event_count() == 0


def test_duplicate_keys_are_400(client, consent_body, consent_event_count):
    body = consent_body()
    raw = json.dumps(body)[:-1] + ', "action": "reject_all"}'
    problem = assert_problem(
        client.post("/api/v1/consent", data=raw, content_type="application/json"), 400
    )
    assert "duplicate" in problem["detail"]
    assert problem["errors"][0]["field"] == "action"
    assert consent_event_count() == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None],
)
def test_anything_but_json_is_415(client, consent_body, consent_event_count, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post("/api/v1/consent", data=json.dumps(consent_body()), **kwargs)
    assert_problem(response, 415)
    assert consent_event_count() == 0


def test_oversized_body_is_413(client, consent_body, consent_event_count):
    body = consent_body(page="https://creditplus.kz/" + "x" * 20_000)
    assert_problem(post_json(client, "/api/v1/consent", body), 413)
    assert consent_event_count() == 0


def test_page_is_stored_without_query_fragment_or_user_info(client, consent_body):
    page = "https://user:secret@creditplus.kz/loan/apply?phone=77011234567&utm=x#step-2"
    result = record(client, consent_body(page=page))
    events = client.get(f"/api/v1/consent/{result['consent_id']}").get_json()["events"]
    assert events[0]["page"] == "https://creditplus.kz/loan/apply"
    path_only = record(client, consent_body(page="/loan?iin=900101300123"))
    events = client.get(f"/api/v1/consent/{path_only['consent_id']}").get_json()["events"]
    assert events[0]["page"] == "/loan"


def test_the_raw_client_ip_is_never_stored(client, consent_body, database_url):
    ip = "203.0.113.77"
    record(client, consent_body(), environ_base={"REMOTE_ADDR": ip})
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM consent_events")).mappings().all()
            snapshots = conn.execute(text("SELECT * FROM catalogue_snapshots")).all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    values = [str(value) for row in rows for value in row.values()]
    values += [str(value) for row in snapshots for value in row]
    assert not [value for value in values if ip in value]
    assert rows[0]["ip_prefix"] == "203.0.113.0/24"
    assert rows[0]["ip_hmac"]


def test_gpc_header_is_recorded(client, consent_body):
    result = record(client, consent_body(action="reject_all"), headers={"Sec-GPC": "1"})
    events = client.get(f"/api/v1/consent/{result['consent_id']}").get_json()["events"]
    assert events[0]["gpc"] is True


# --- POST /consent/verify ------------------------------------------------------------------------


def verify(client, token: object, **kwargs) -> dict:
    response = post_json(client, "/api/v1/consent/verify", {"token": token}, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_verify_confirms_a_fresh_token(client, consent_body):
    result = record(client, consent_body())
    state = verify(client, result["token"])
    assert state == {
        "valid": True,
        "consent_id": result["consent_id"],
        "revision": result["revision"],
        "status": "given",
        "granted": result["granted"],
        "expires": result["expires"],
        "token": result["token"],
        "current_revision": result["revision"],
    }


def test_verify_reports_a_later_change_with_a_new_token(client, consent_body):
    first = record(client, consent_body())
    record(client, consent_body(action="reject_all", consent_id=first["consent_id"]))
    state = verify(client, first["token"])
    assert state["valid"] is True
    assert state["status"] == "refused"
    assert state["granted"] == []
    assert state["token"] != first["token"]
    assert verify(client, state["token"])["token"] == state["token"]


def test_tampered_token_is_not_valid(client, consent_body):
    token = record(client, consent_body())["token"]
    index = len(token) // 3
    tampered = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    assert verify(client, tampered) == {"valid": False, "reason": "invalid_token"}
    assert verify(client, token[:-4]) == {"valid": False, "reason": "invalid_token"}
    assert verify(client, "garbage")["valid"] is False


def test_expired_and_foreign_tokens_are_not_valid(app, client, consent_body):
    result = record(client, consent_body())
    history = client.get(f"/api/v1/consent/{result['consent_id']}").get_json()
    now = int(time.time())
    claims = ConsentClaims(
        consent_id=result["consent_id"],
        event_seq=history["events"][0]["seq"],
        revision=result["revision"],
        action="accept_all",
        granted=tuple(result["granted"]),
        issued_at=now - 200 * 86400,
        expires_at=now - 20 * 86400,
    )
    expired = app.extensions["kelisim"].tokens.issue(claims)
    assert verify(client, expired) == {"valid": False, "reason": "invalid_token"}

    live = ConsentClaims(**{**claims.__dict__, "issued_at": now, "expires_at": now + 86400})
    foreign = TokenCodec([secrets.token_urlsafe(32)]).issue(live)
    assert verify(client, foreign) == {"valid": False, "reason": "invalid_token"}
    other_salt = TokenCodec(app.extensions["kelisim"].settings.token_keys, salt="other").issue(live)
    assert verify(client, other_salt) == {"valid": False, "reason": "invalid_token"}


def test_token_for_an_unknown_consent_is_not_valid(app, client):
    now = int(time.time())
    claims = ConsentClaims("B" * 24, 1, 1, "accept_all", ("vk",), now, now + 3600)
    token = app.extensions["kelisim"].tokens.issue(claims)
    assert verify(client, token) == {"valid": False, "reason": "unknown_consent"}


@pytest.mark.parametrize(
    "body",
    [{}, {"token": 5}, {"token": ""}, {"token": "x", "more": 1}, {"token": "x" * 5000}],
)
def test_verify_rejects_malformed_bodies(client, body):
    assert_problem(post_json(client, "/api/v1/consent/verify", body), 400)


def test_verify_needs_json(client):
    assert_problem(client.post("/api/v1/consent/verify", data="token=x"), 415)


# --- GET /consent/<id>, errors -------------------------------------------------------------------


def test_history_of_a_malformed_id_is_400_and_of_an_unknown_one_404(client):
    assert_problem(client.get("/api/v1/consent/not-an-id"), 400)
    assert_problem(client.get("/api/v1/consent/" + "C" * 24), 404)


def test_history_hides_the_network_context(client, consent_body):
    result = record(client, consent_body())
    event = client.get(f"/api/v1/consent/{result['consent_id']}").get_json()["events"][0]
    assert "ip_prefix" not in event and "ip_hmac" not in event


def test_wrong_method_and_unknown_path_are_problems(client):
    problem = assert_problem(client.get("/api/v1/consent"), 405)
    assert "POST" in problem["detail"] or problem["title"]
    assert "POST" in client.get("/api/v1/consent").headers["Allow"]
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.delete("/api/v1/config"), 405)


def test_an_unexpected_failure_is_a_generic_500_without_personal_data(
    app, client, consent_body, monkeypatch, caplog
):
    result = record(client, consent_body())

    def broken(consent_id):
        raise RuntimeError(f"boom for {consent_id}")

    monkeypatch.setattr(app.extensions["kelisim"].store, "history", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/consent/{result['consent_id']}")
    problem = assert_problem(response, 500)
    assert problem["correlation_id"] in caplog.text
    assert "boom" not in response.get_data(as_text=True)
    assert result["consent_id"] not in caplog.text


def test_an_unreachable_database_is_503(app, client, consent_body, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.extensions["kelisim"].store, "append", down)
    problem = assert_problem(post_json(client, "/api/v1/consent", consent_body()), 503)
    assert "connection refused" not in json.dumps(problem)


# --- CORS and Origin -----------------------------------------------------------------------------


def test_cors_answers_only_allowed_origins(client):
    allowed = client.get("/api/v1/config", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    foreign = client.get("/api/v1/config", headers={"Origin": FOREIGN_ORIGIN})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_preflight_is_answered_for_allowed_origins_only(client):
    headers = {
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = client.options("/api/v1/consent", headers=headers)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert set(allowed.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "POST"}
    assert allowed.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    foreign = client.options("/api/v1/consent", headers={**headers, "Origin": FOREIGN_ORIGIN})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_post_from_a_foreign_origin_is_403_and_writes_nothing(
    client, consent_body, consent_event_count
):
    response = post_json(
        client, "/api/v1/consent", consent_body(), headers={"Origin": FOREIGN_ORIGIN}
    )
    assert_problem(response, 403)
    assert consent_event_count() == 0
    ok = post_json(client, "/api/v1/consent", consent_body(), headers={"Origin": ALLOWED_ORIGIN})
    assert ok.status_code == 201
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_errors_carry_cors_headers_so_the_banner_can_read_them(client):
    response = client.post(
        "/api/v1/consent",
        data="{",
        content_type="application/json",
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


# --- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = set()
    for path, operations in document["paths"].items():
        for method in operations:
            documented.add((method.upper(), "/api/v1" + path.replace("{", "<").replace("}", ">")))
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented
    request_schema = document["components"]["schemas"]["ConsentRequest"]
    assert request_schema["additionalProperties"] is False
    assert set(request_schema["properties"]["action"]["enum"]) == {
        "accept_all",
        "reject_all",
        "custom",
        "withdraw",
        "dismiss",
    }
    vendor_enum = request_schema["properties"]["choices"]["propertyNames"]["enum"]
    assert set(vendor_enum) == VENDOR_IDS


# --- a new catalogue revision, proxies, logs -----------------------------------------------------


@pytest.fixture
def next_revision_app(settings, tmp_path):
    """The same database and keys, served with the catalogue's next revision (a vendor renamed)."""
    from kelisim.settings import DEFAULT_CATALOGUE
    from kelisim.web.app import create_app

    source = (DEFAULT_CATALOGUE).read_text(encoding="utf-8")
    assert "\nrevision: 1 " in source and "name: Яндекс Метрика (Yandex Metrica)\n" in source
    changed = source.replace("\nrevision: 1 ", "\nrevision: 2 ", 1).replace(
        "name: Яндекс Метрика (Yandex Metrica)\n", "name: Renamed Metrica\n", 1
    )
    path = tmp_path / "vendors-next.yaml"
    path.write_text(changed, encoding="utf-8")
    application = create_app(settings.with_changes(catalogue_path=path))
    yield application
    application.extensions["kelisim"].close()


def test_a_new_revision_makes_old_consents_stale(client, consent_body, next_revision_app):
    """vendors.yaml without `consent_revision` asks again on every revision it publishes."""
    result = record(client, consent_body())
    new_client = next_revision_app.test_client()
    assert verify(new_client, result["token"]) == {
        "valid": False,
        "reason": "stale_revision",
        "current_revision": 2,
    }
    # A click on the banner of revision 1 (a tab left open) is kept as what the visitor saw, and
    # the answer says it no longer holds, so the next page view asks again.
    late = post_json(new_client, "/api/v1/consent", consent_body(revision=1))
    assert late.status_code == 201
    answer = late.get_json()
    assert (answer["revision"], answer["current_revision"], answer["holds"]) == (1, 2, False)
    assert verify(new_client, answer["token"])["reason"] == "stale_revision"
    # The receipt still shows what the visitor was told then, from the archived snapshot.
    html = new_client.get(f"/consent/{result['consent_id']}?lang=en").get_data(as_text=True)
    assert "Яндекс Метрика (Yandex Metrica)" in html
    assert "Renamed Metrica" not in html
    assert "The list of services has changed" in html
    history = new_client.get(f"/api/v1/consent/{result['consent_id']}").get_json()
    assert history["current"]["valid"] is False


def test_behind_a_trusted_proxy_the_forwarded_client_is_used(settings):
    from kelisim.web.app import create_app

    application = create_app(settings.with_changes(trusted_proxies=1))
    try:
        proxied = application.test_client()
        body = {
            "site": "default",
            "revision": application.extensions["kelisim"].catalogue.revision,
            "language": "en",
            "action": "reject_all",
            "event_id": secrets.token_urlsafe(12),
        }
        headers = {
            "X-Forwarded-For": "198.51.100.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "creditplus.kz",
        }
        result = record(proxied, body, headers=headers)
        assert result["receipt_url"].startswith("https://creditplus.kz/consent/")
        store = application.extensions["kelisim"].store
        assert store.latest(result["consent_id"]).ip_prefix == "198.51.100.0/24"
    finally:
        application.extensions["kelisim"].close()


def test_log_records_stay_on_one_line():
    from kelisim.web.app import NeutraliseFilter, SingleLineFormatter

    record_ = logging.LogRecord(
        "kelisim", logging.INFO, __file__, 1, "page %s", ("/x\r\nFAKE",), None
    )
    assert "\n" not in SingleLineFormatter("%(message)s").format(record_)
    NeutraliseFilter().filter(record_)
    assert record_.getMessage() == "page /x\\r\\nFAKE"


@pytest.mark.parametrize("revision", [0, -1, 2, 10**6])
def test_a_revision_never_published_is_409_and_records_nothing(
    client, consent_body, consent_event_count, revision
):
    problem = assert_problem(
        post_json(client, "/api/v1/consent", consent_body(revision=revision)), 409
    )
    assert problem["current_revision"] == 1
    assert consent_event_count() == 0
