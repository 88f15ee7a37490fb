"""What production hands to browsers: Secure cookies, receipt links under the configured public
URL (never the Host header), and shed 503s that do not use up a visitor's rate limit."""

from __future__ import annotations

import secrets

import pytest

from kelisim.web.app import create_app


def _consent(app, client, headers=None):
    body = {
        "site": "default",
        "revision": app.extensions["kelisim"].catalogue.revision,
        "language": "ru",
        "action": "accept_all",
        "event_id": secrets.token_urlsafe(12),
    }
    return client.post("/api/v1/consent", json=body, headers=headers or {})


@pytest.fixture
def make_app(settings):
    made = []

    def build(**changes):
        app = create_app(settings.with_changes(**changes))
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["kelisim.limits"].close()
        app.extensions["kelisim"].close()


def test_every_cookie_the_receipt_page_sets_in_production_is_secure(make_app):
    app = make_app(production=True)
    client = app.test_client()
    consent_id = _consent(app, client).get_json()["consent_id"]
    page = client.get(f"/consent/{consent_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    cookies = page.headers.getlist("Set-Cookie")
    assert any(cookie.startswith("kelisim_session=") for cookie in cookies)
    assert all("; Secure" in cookie for cookie in cookies), cookies


def test_receipt_links_use_the_configured_public_url_not_the_host_header(make_app):
    app = make_app(production=True, public_url="https://consent.creditplus.kz")
    client = app.test_client()
    result = _consent(app, client, {"Host": "evil.example"}).get_json()
    assert result["receipt_url"] == (
        f"https://consent.creditplus.kz/consent/{result['consent_id']}"
    )
    evil = {"Host": "evil.example"}
    history = client.get(f"/api/v1/consent/{result['consent_id']}", headers=evil)
    assert history.get_json()["receipt_url"].startswith("https://consent.creditplus.kz/")


def test_without_a_public_url_production_links_receipts_by_path_only(make_app):
    app = make_app(production=True)
    result = _consent(app, app.test_client(), {"Host": "evil.example"}).get_json()
    assert result["receipt_url"] == f"/consent/{result['consent_id']}"


def test_a_public_url_is_checked_when_read():
    from kelisim.settings import public_base_url

    assert public_base_url("https://consent.creditplus.kz/") == "https://consent.creditplus.kz"
    for bad in ("consent.creditplus.kz", "javascript:alert(1)", "https://a@b/", "https://x/?q"):
        with pytest.raises(ValueError):
            public_base_url(bad)


def test_shed_requests_and_their_retries_do_not_use_up_the_rate_limit(make_app):
    app = make_app(consent_rate_per_network=3, max_in_flight=1, admission_wait_ms=5)
    client = app.test_client()
    admission = app.extensions["kelisim.limits"].admission
    assert admission.acquire()  # the one write slot is busy: everything is shed
    try:
        shed = [_consent(app, client).status_code for _ in range(6)]
    finally:
        admission.release()
    assert shed == [503] * 6
    # The network's budget of 3 is still whole.
    assert [_consent(app, client).status_code for _ in range(4)] == [201, 201, 201, 429]


def test_a_banner_newer_than_the_worker_is_accepted_at_once(make_app):
    """Published elsewhere, not yet seen here: the worker looks at the head instead of a 409."""
    import copy

    from kelisim.services.revisions import to_yaml

    publisher = make_app()
    lagging = make_app(extra={"catalogue_refresh_seconds": 3600.0})
    revisions = publisher.extensions["kelisim"].revisions
    document = copy.deepcopy(revisions.live().document)
    document["texts"]["en"]["title"] = "Published on the other host"
    revisions.import_yaml("boss", to_yaml(document), "vendors.yaml")
    assert revisions.publish("boss", revisions.draft_hash()).published.number == 2
    assert lagging.extensions["kelisim"].live.current().revision == 1
    body = {
        "site": "default",
        "revision": 2,
        "language": "en",
        "action": "reject_all",
        "event_id": secrets.token_urlsafe(12),
    }
    assert lagging.test_client().post("/api/v1/consent", json=body).status_code == 201
    # The banner of revision 1, still open somewhere: recorded against what it showed.
    earlier = {**body, "revision": 1, "event_id": secrets.token_urlsafe(12)}
    answer = lagging.test_client().post("/api/v1/consent", json=earlier)
    assert answer.status_code == 201 and answer.get_json()["revision"] == 1
    # A revision nobody published is the documented 409, with the current one named.
    never = {**body, "revision": 3, "event_id": secrets.token_urlsafe(12)}
    refused = lagging.test_client().post("/api/v1/consent", json=never)
    assert refused.status_code == 409 and refused.get_json()["current_revision"] == 2
