"""/preferences: a visitor without JavaScript sees the site's cookie choice on the CMP host, makes
it through a CSRF-protected form, and gets the same record, token and cookie the banner gives."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from kelisim.domain.catalogue import load
from kelisim.settings import DEFAULT_CATALOGUE

CATALOGUE = load(DEFAULT_CATALOGUE)
SITE_PAGE = "http://127.0.0.1:8080/ru/apply"  # an origin the seed catalogue's site lists
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def page(client, lang: str = "ru", **query: str):
    extra = "".join(f"&{key}={quote(value, safe='')}" for key, value in query.items())
    response = client.get(f"/preferences?site=default&lang={lang}{extra}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, action: str, html: str, **fields):
    token = CSRF.search(html)
    assert token, "the form carries a CSRF token"
    data = {"csrf_token": token.group(1), "site": "default", "lang": "ru", "action": action}
    data.update(fields)
    return client.post("/preferences", data=data)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_page_offers_the_banners_choices_in_each_language(client, lang) -> None:
    html = page(client, lang)
    texts = CATALOGUE.texts[lang]
    assert f'<html lang="{lang}">' in html
    for key in ("title", "accept_all", "reject_all", "save"):
        assert texts[key] in html
    for action in ("accept-all", "reject-all", "save"):
        assert f'data-kelisim-action="{action}"' in html
    assert 'id="current-choice"' in html and "<script" not in html


def test_a_form_without_its_csrf_token_is_refused(client, app) -> None:
    response = client.post(
        "/preferences", data={"site": "default", "lang": "ru", "action": "accept_all"}
    )
    assert response.status_code == 400
    assert "kelisim_consent" not in response.headers.get("Set-Cookie", "")


def test_refusing_records_sets_the_cookie_and_goes_back_to_the_site(client, app) -> None:
    html = page(client, **{"return": SITE_PAGE})
    response = post(client, "reject_all", html, **{"return": SITE_PAGE})
    assert response.status_code == 303
    assert response.headers["Location"] == SITE_PAGE
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("kelisim_consent=") and "SameSite=Lax" in cookie
    claims = app.extensions["kelisim"].tokens.read(cookie.split(";")[0].split("=", 1)[1])
    assert claims is not None and claims.granted == ()
    latest = app.extensions["kelisim"].store.latest(claims.consent_id)
    assert latest.action == "reject_all" and latest.status == "refused"
    # The page now shows that choice, with the receipt, read from the cookie.
    again = page(client)
    assert f"/consent/{claims.consent_id}" in again
    # A second choice continues the same consent.
    custom = post(client, "custom", again, purpose="analytics")
    claims2 = app.extensions["kelisim"].tokens.read(
        custom.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    )
    assert claims2.consent_id == claims.consent_id
    analytics = {v.id for v in CATALOGUE.vendors if v.purposes[0] == "analytics"}
    assert set(claims2.granted) == analytics
    assert custom.headers["Location"].startswith(f"/consent/{claims.consent_id}")


def test_a_return_address_off_the_site_is_not_followed(client) -> None:
    html = page(client)
    response = post(client, "accept_all", html, **{"return": "https://evil.example/steal"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/consent/")


def test_an_unknown_site_or_action_is_a_clear_4xx(client) -> None:
    assert client.get("/preferences?site=nope").status_code == 404
    html = page(client)
    assert post(client, "everything", html).status_code == 400
