"""The visitor's receipt page: proof in their language, and withdrawal in one click."""

from __future__ import annotations

import json
import re

import pytest


def record(client, body: dict) -> dict:
    response = client.post(
        "/api/v1/consent", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the withdraw form has no CSRF token"
    return match.group(1)


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("ru", "Ваше согласие на cookie и трекеры"),
        ("kk", "Cookie және трекерлерге берген келісіміңіз"),
        ("en", "Your consent to cookies and trackers"),
    ],
)
def test_receipt_shows_the_proof_in_the_visitors_language(client, consent_body, lang, heading):
    result = record(client, consent_body(language=lang))
    response = client.get(f"/consent/{result['consent_id']}?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert heading in html
    assert result["consent_id"] in html
    # Every granted vendor, with its company, country and the cross-border flag.
    assert html.count("<tr data-vendor=") == 14
    assert 'data-vendor="yandex_metrika"' in html
    assert "Yandex" in html
    # Countries by name in the page's language, never as bare ISO codes.
    russia, usa = {
        "ru": ("Россия", "США"),
        "kk": ("Ресей", "АҚШ"),
        "en": ("Russia", "United States"),
    }[lang]
    assert f"<td>{russia}</td>" in html and f"<td>{usa}</td>" in html
    assert "<td>RU</td>" not in html and "<td>US</td>" not in html
    # The language switcher links the other languages.
    for other in {"ru", "kk", "en"} - {lang}:
        assert f"lang={other}" in html


def test_receipt_defaults_to_the_language_the_choice_was_made_in(client, consent_body):
    result = record(client, consent_body(language="kk"))
    html = client.get(f"/consent/{result['consent_id']}").get_data(as_text=True)
    assert '<html lang="kk">' in html


def test_receipt_lists_each_event(client, consent_body):
    first = record(client, consent_body(action="reject_all"))
    record(client, consent_body(action="accept_all", consent_id=first["consent_id"]))
    html = client.get(f"/consent/{first['consent_id']}?lang=en").get_data(as_text=True)
    history = html.split("History", 1)[1]
    assert "reject all" in history and "accept all" in history


def test_receipt_page_is_private_and_runs_no_inline_code(client, consent_body):
    result = record(client, consent_body())
    response = client.get(f"/consent/{result['consent_id']}")
    html = response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert "<script" not in html and "style=" not in html and "<style" not in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    css = client.get(stylesheet)
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()  # an identity answer streams the file


def test_withdrawing_on_the_receipt_page_ends_the_consent(client, consent_body):
    result = record(client, consent_body())
    page = client.get(f"/consent/{result['consent_id']}?lang=en")
    response = client.post(
        f"/consent/{result['consent_id']}/withdraw",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "lang": "en"},
    )
    assert response.status_code == 303
    assert f"/consent/{result['consent_id']}" in response.headers["Location"]

    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your consent has been withdrawn." in after
    assert f"/consent/{result['consent_id']}/withdraw" not in after  # nothing left to withdraw

    state = client.post(
        "/api/v1/consent/verify",
        data=json.dumps({"token": result["token"]}),
        content_type="application/json",
    ).get_json()
    assert state["valid"] is True
    assert state["status"] == "withdrawn"
    assert state["granted"] == []

    events = client.get(f"/api/v1/consent/{result['consent_id']}").get_json()["events"]
    assert [event["action"] for event in events] == ["accept_all", "withdraw"]
    assert events[1]["page"].endswith(f"/consent/{result['consent_id']}")


def test_withdraw_without_the_csrf_token_is_refused(client, consent_body, consent_event_count):
    result = record(client, consent_body())
    client.get(f"/consent/{result['consent_id']}")
    response = client.post(f"/consent/{result['consent_id']}/withdraw", data={"lang": "en"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)
    assert consent_event_count() == 1


@pytest.mark.parametrize("consent_id", ["D" * 24, "not-an-id", "x" * 300])
def test_unknown_receipt_is_a_404_page(client, consent_id):
    response = client.get(f"/consent/{consent_id}?lang=en")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Consent not found" in response.get_data(as_text=True)


def test_withdrawing_an_unknown_consent_is_a_404_page(client, consent_body, consent_event_count):
    result = record(client, consent_body())
    token = csrf_token(client.get(f"/consent/{result['consent_id']}").get_data(as_text=True))
    response = client.post("/consent/" + "E" * 24 + "/withdraw", data={"csrf_token": token})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert consent_event_count() == 1
