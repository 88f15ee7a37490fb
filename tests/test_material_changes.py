"""Which publishes ask visitors again, and what a choice made before one is worth afterwards.

The rules (kelisim.domain.materiality) on the repository's catalogue; then the whole path against
the real database: the admin's publish page, the stored revision, the audit entry, and the consent
API answering a choice made on the banner of an earlier revision.
"""

from __future__ import annotations

import copy
import json
import re
import secrets

import pytest
from sqlalchemy import select

from kelisim.domain.catalogue import CatalogueError, loads
from kelisim.domain.materiality import reasons_to_ask_again
from kelisim.services.revisions import build_catalogue, read_yaml, to_yaml
from kelisim.settings import DEFAULT_CATALOGUE
from kelisim.store.admin_tables import audit_log
from tests.support.admin import add_user, csrf_token, login, with_admin

DOCUMENT, CATALOGUE = read_yaml(DEFAULT_CATALOGUE.read_text(encoding="utf-8"), "vendors.yaml")


def changed(edit) -> list[str]:
    document = copy.deepcopy(DOCUMENT)
    edit(document)
    document["revision"] = CATALOGUE.revision + 1
    return reasons_to_ask_again(CATALOGUE, build_catalogue(document))


def vendor(document: dict, vendor_id: str) -> dict:
    return next(item for item in document["vendors"] if item["id"] == vendor_id)


def test_wording_and_narrowing_ask_nobody_again() -> None:
    def reword(document: dict) -> None:
        document["texts"]["ru"]["title"] = "Мы используем cookie"
        vendor(document, "yandex_metrika")["description"]["kk"] = "Жаңа сипаттама."
        vendor(document, "vk")["name"] = "VK Реклама"

    def narrow(document: dict) -> None:
        document["vendors"] = [v for v in document["vendors"] if v["id"] != "flocktory"]
        vendor(document, "amplitude")["cookies"] = vendor(document, "amplitude")["cookies"][:1]
        document["consent_lifetime_days"] -= 30

    assert changed(reword) == []
    assert changed(narrow) == []


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda d: vendor(d, "vk")["script_hosts"].append("cdn.vk.example"),
            "vendor vk: new script host cdn.vk.example",
        ),
        (
            lambda d: vendor(d, "matomo")["cookies"].append(
                {"name": "_pk_new", "party": "first", "lifetime": "365d"}
            ),
            "vendor matomo: new cookie _pk_new",
        ),
        (
            lambda d: vendor(d, "userx")["storage"].append(
                {"kind": "local", "key": "ux_replay", "match": "exact"}
            ),
            "vendor userx: new local key ux_replay",
        ),
        (
            lambda d: vendor(d, "google_tag_manager")["purposes"].append("marketing"),
            "vendor google_tag_manager: new purpose marketing",
        ),
        (lambda d: d.update(consent_lifetime_days=400), "consent lasts 400 days instead of"),
    ],
    ids=["script host", "cookie", "storage key", "purpose", "lifetime"],
)
def test_each_widening_asks_again_and_says_why(edit, reason: str) -> None:
    reasons = changed(edit)
    assert any(item.startswith(reason) for item in reasons), reasons


def test_a_new_vendor_or_a_transfer_abroad_asks_again() -> None:
    def add(document: dict) -> None:
        extra = copy.deepcopy(vendor(document, "matomo"))
        extra["id"] = "matomo_two"
        document["vendors"].append(extra)

    def move_abroad(document: dict) -> None:
        item = vendor(document, "matomo")
        item["data_leaves_kz"], item["country"] = True, "DE"

    assert changed(add) == ["new vendor matomo_two"]
    assert "vendor matomo: data now leaves Kazakhstan" in changed(move_abroad)


def test_consent_revision_later_than_the_revision_names_its_line() -> None:
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    broken = text.replace("\nrevision: 1 ", "\nrevision: 1\nconsent_revision: 2 ", 1)
    assert broken != text
    with pytest.raises(CatalogueError) as error:
        loads(broken, "vendors.yaml")
    (problem,) = error.value.problems
    assert problem.field == "consent_revision" and "later than revision 1" in problem.message
    assert f"vendors.yaml:{problem.line}" in str(error.value)
    lines = broken.splitlines()
    assert lines[problem.line - 1].startswith("consent_revision: 2")


def test_a_catalogue_without_consent_revision_keeps_its_hash() -> None:
    """Revision 1 of every existing deployment: its hash (in every stored event) is unchanged."""
    assert CATALOGUE.consent_revision == CATALOGUE.revision
    assert "consent_revision" not in CATALOGUE.to_dict()


# --- the whole path ------------------------------------------------------------------------------


@pytest.fixture
def boss(app):
    admin_app = with_admin(app)
    add_user(admin_app, "boss", "admin")
    client = admin_app.test_client()
    login(client, "boss")
    return client


def publish_page(boss) -> str:
    return boss.get("/admin/revisions/draft").get_data(as_text=True)


def publish(boss, ask_again: bool = False):
    html = publish_page(boss)
    reviewed = re.search(r'name="reviewed_hash" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_token(boss, "/admin/revisions/draft"), "reviewed_hash": reviewed}
    if ask_again:
        data["ask_again"] = "y"
    return boss.post("/admin/revisions/publish", data=data)


def consent(client, revision: int, **extra) -> dict:
    body = {
        "site": "default",
        "revision": revision,
        "language": "en",
        "action": "accept_all",
        "event_id": secrets.token_urlsafe(12),
        **extra,
    }
    response = client.post("/api/v1/consent", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def verify(client, token: str) -> dict:
    return client.post("/api/v1/consent/verify", json={"token": token}).get_json()


def last_publish_audit(app) -> dict:
    with app.extensions["kelisim"].store.engine.connect() as conn:
        row = conn.execute(
            select(audit_log.c.after)
            .where(audit_log.c.action == "catalogue.publish")
            .order_by(audit_log.c.id.desc())
            .limit(1)
        ).scalar_one()
    return row if isinstance(row, dict) else json.loads(row)


def test_a_text_fix_keeps_choices_and_a_new_cookie_asks_again(app, client, boss) -> None:
    revisions = app.extensions["kelisim"].revisions
    first = consent(client, 1)

    revisions.set_texts("boss", "en", {"title": "Cookies on this site"})
    page = publish_page(boss)
    assert 'id="keeps-choices"' in page and 'id="asks-again"' not in page
    assert publish(boss).status_code == 302
    assert client.get("/api/v1/config?site=default&lang=en").get_json()["consent_revision"] == 1
    assert last_publish_audit(app)["asks_again"] == []
    assert verify(client, first["token"])["valid"] is True
    # A banner of revision 1 still open somewhere: its click counts, and still holds.
    late = consent(client, 1)
    assert (late["revision"], late["current_revision"], late["holds"]) == (1, 2, True)

    document = copy.deepcopy(revisions.draft().document)
    vendor(document, "matomo")["cookies"].append(
        {"name": "_pk_new", "party": "first", "lifetime": "365d"}
    )
    revisions.import_yaml("boss", to_yaml(document), "vendors.yaml")
    page = publish_page(boss)
    assert 'id="asks-again"' in page and "vendor matomo: new cookie _pk_new" in page
    assert 'id="ask-again"' not in page  # material already: nothing to tick
    assert publish(boss).status_code == 302
    config = client.get("/api/v1/config?site=default&lang=en").get_json()
    assert (config["revision"], config["consent_revision"]) == (3, 3)
    assert last_publish_audit(app)["asks_again"] == ["vendor matomo: new cookie _pk_new"]
    stale = verify(client, first["token"])
    assert stale == {"valid": False, "reason": "stale_revision", "current_revision": 3}
    receipt = client.get(f"/consent/{first['consent_id']}?lang=en").get_data(as_text=True)
    assert "The list of services has changed" in receipt
    history = client.get(f"/api/v1/consent/{late['consent_id']}").get_json()
    assert history["current"]["valid"] is False


def test_the_publisher_can_ask_everyone_again_after_a_text_fix(app, client, boss) -> None:
    revisions = app.extensions["kelisim"].revisions
    first = consent(client, 1)
    revisions.set_texts("boss", "en", {"description": "We now explain it better."})
    assert 'id="ask-again"' in publish_page(boss)
    assert publish(boss, ask_again=True).status_code == 302
    assert verify(client, first["token"])["reason"] == "stale_revision"
    assert last_publish_audit(app)["asks_again"] == ["the publisher asked every visitor again"]
    history = boss.get("/admin/revisions").get_data(as_text=True)
    assert history.count('class="asked-again"') == 2
