"""Publishing while visitors hold the banner of the revision before.

A browser that loaded cmp.js before a publish keeps its config (the tab stays open, and the
un-versioned /cmp.js is cached for an hour). Its clicks must be recorded against the banner the
visitor saw, never refused; a text fix must not ask anyone again, and a new vendor must.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kelisim.services.revisions import to_yaml
from tests.support.banner_site import CATALOGUE, Kelisim, Visit, new_visit, start_kelisim

pytestmark = pytest.mark.browser

# The page's data-reverify: how long a verified state is reused without asking the server.
REVERIFY_SECONDS = 2

NEW_VENDOR = {
    "id": "chat_widget",
    "name": "Чат поддержки (Support chat)",
    "company": "Example Chat LLP",
    "country": "KZ",
    "data_leaves_kz": False,
    "purposes": ["marketing"],
    "privacy_policy_url": "https://chat.example.kz/privacy",
    "consent_api": None,
    "script_hosts": ["widget.chat.example.kz"],
    "beacon_hosts": [],
    "cookies": [{"name": "chat_uid", "party": "first", "lifetime": "30d"}],
    "storage": [],
    "description": {
        "ru": "Онлайн-чат поддержки на страницах сайта.",
        "kk": "Сайт беттеріндегі қолдау онлайн-чаты.",
        "en": "The support chat on the site's pages.",
    },
}


@pytest.fixture(scope="module")
def publishing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kelisim]:
    """A Kelisim of its own whose workers follow the database's publishes at once."""
    folder: Path = tmp_path_factory.mktemp("publishing")
    server = start_kelisim(
        f"sqlite:///{folder / 'kelisim.sqlite3'}",
        CATALOGUE,
        secrets.token_urlsafe(32),
        refresh_seconds=0,
    )
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


def _revisions(server: Kelisim) -> Any:
    return server.app.extensions["kelisim"].revisions


def _fix_a_text(server: Kelisim) -> int:
    revisions = _revisions(server)
    revisions.set_texts("boss", "ru", {"title": "Мы используем cookie — выберите, что разрешить"})
    return revisions.publish("boss", revisions.draft_hash()).published.number


def _add_a_vendor(server: Kelisim) -> int:
    """A new vendor brings a script host, so a second admin approves it (as in the admin UI)."""
    revisions = _revisions(server)
    document = copy.deepcopy(revisions.live().document)
    document["vendors"].append(copy.deepcopy(NEW_VENDOR))
    revisions.import_yaml("boss", to_yaml(document), "vendors.yaml")
    result = revisions.publish("boss", revisions.draft_hash())
    assert result.approval is not None
    return revisions.approve(result.approval.id, "second-admin").number


def _accept_and_answer(visit: Visit, texts: dict[str, str]) -> tuple[int, dict[str, Any]]:
    def is_consent_post(response: Any) -> bool:
        return response.request.method == "POST" and response.url.endswith("/api/v1/consent")

    with visit.page.expect_response(is_consent_post) as answered:
        visit.page.get_by_role("button", name=texts["accept_all"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    return answered.value.status, answered.value.json()


def test_a_text_fix_keeps_choices_and_a_new_vendor_asks_again(
    gated_browser, site, publishing: Kelisim, vendor_hosts, texts
) -> None:
    store = publishing.store
    before = new_visit(gated_browser, site, publishing, vendor_hosts)
    before.open(cmp=publishing.base)
    assert before.banner_visible()
    assert before.page.evaluate("kelisim.get().revision") == 1

    # The text fix goes live while the banner of revision 1 is on screen.
    assert _fix_a_text(publishing) == 2
    status, answer = _accept_and_answer(before, texts)
    assert status == 201, answer
    assert (answer["revision"], answer["current_revision"], answer["holds"]) == (1, 2, True)
    (event,) = store.history(answer["consent_id"])
    assert event.revision == 1
    assert event.catalogue_hash == _revisions(publishing).published(1).content_hash
    assert store.snapshot(event.catalogue_hash)["revision"] == 1  # the receipt shows revision 1

    # The next page views (cmp.js from the HTTP cache, or fresh) are not asked again.
    before.open(cmp=publishing.base, path="/other")
    assert not before.banner_visible()
    assert before.page.evaluate("kelisim.get().decided") is True
    fresh = new_visit(gated_browser, site, publishing, vendor_hosts)
    fresh.context.add_cookies(before.context.cookies())
    fresh.open(cmp=publishing.base)
    assert not fresh.banner_visible()
    assert fresh.page.evaluate("kelisim.get()")["revision"] == 2
    fresh.context.close()

    # Another visitor has the banner of revision 2 open when a new vendor is approved.
    during = new_visit(gated_browser, site, publishing, vendor_hosts)
    during.open(cmp=publishing.base)
    assert during.page.evaluate("kelisim.get().revision") == 2
    assert _add_a_vendor(publishing) == 3
    status, answer = _accept_and_answer(during, texts)
    assert status == 201, answer
    assert (answer["revision"], answer["current_revision"], answer["holds"]) == (2, 3, False)
    assert "chat_widget" not in answer["granted"]  # revision 2's banner did not show it

    # Both visitors are asked again, now about the new vendor, even with the cmp.js of revision 2
    # from the HTTP cache: `before`'s state verified at revision 1 is older than data-reverify.
    time.sleep(REVERIFY_SECONDS + 0.5)
    for visit in (during, before):
        visit.open(cmp=publishing.base, path="/other", reverify=REVERIFY_SECONDS)
        assert visit.banner_visible()
        state = visit.page.evaluate("kelisim.get()")
        assert state["decided"] is False and state["revision"] == 3
        assert "chat_widget" in state["vendors"]
    status, answer = _accept_and_answer(during, texts)
    assert status == 201 and answer["holds"] is True and "chat_widget" in answer["granted"]
    assert [e.revision for e in store.history(answer["consent_id"])] == [2, 3]
    during.context.close()
    before.context.close()
