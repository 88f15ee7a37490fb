"""The admin's Vendors and Revisions pages against the real app and database: edit the draft,
review the diff, publish, approve, and what visitors' banners and tokens see afterwards."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from kelisim.store.admin_tables import audit_log
from tests.support.admin import add_user, csrf_token, login, with_admin


class _FormReader(HTMLParser):
    """The fields a browser would submit from one <form>, with their current values."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "y")))
            elif kind not in ("submit", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._first, self._chosen = name, None, False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._chosen = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            if not self._chosen and self._first is not None:  # a browser sends the first option
                self.fields.append((self._select, self._first))
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_fields(html: str, form_id: str) -> dict[str, list[str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in reader.fields:
        fields.setdefault(name, []).append(value)
    return fields


def submit(client, page_path: str, form_id: str, action: str, **changes):
    """Load the page, change some fields as a person would, and send the form."""
    page = client.get(page_path)
    assert page.status_code == 200, page_path
    fields = form_fields(page.get_data(as_text=True), form_id)
    assert fields, f"no form #{form_id} on {page_path}"
    for name, value in changes.items():
        fields[name] = value if isinstance(value, list) else [value]
    data = [(name, value) for name, values in fields.items() for value in values]
    return client.post(action, data=MultiDict(data))


def live(app):
    return app.extensions["kelisim"].live.refresh()


def config(client, lang: str = "ru") -> dict:
    response = client.get(f"/api/v1/config?site=default&lang={lang}")
    assert response.status_code == 200
    return response.get_json()


def review_and_publish(client) -> object:
    page = client.get("/admin/revisions/draft")
    html = page.get_data(as_text=True)
    reviewed = re.search(r'name="reviewed_hash" type="hidden" value="([^"]+)"', html)
    assert reviewed, "no publish form on the diff page"
    return client.post(
        "/admin/revisions/publish",
        data={
            "csrf_token": csrf_token(client, "/admin/revisions/draft"),
            "reviewed_hash": reviewed.group(1),
        },
    )


def audit_rows(app, action: str) -> list:
    engine = app.extensions["kelisim"].store.engine
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).mappings()
        return [dict(row) for row in rows]


@pytest.fixture
def admin_app(app):
    return with_admin(app)


@pytest.fixture
def boss(admin_app):
    add_user(admin_app, "boss", "admin")
    client = admin_app.test_client()
    login(client, "boss")
    return client


@pytest.fixture
def aigerim(admin_app):
    """A second admin."""
    add_user(admin_app, "aigerim", "admin")
    client = admin_app.test_client()
    login(client, "aigerim")
    return client


NEW_RU = "Яндекс Метрика считает посещения и показывает, как пользуются сайтом. Новая редакция."


def test_edit_review_publish_bumps_the_revision_and_the_banner_sees_it(admin_app, boss, client):
    before = config(client)
    assert before["revision"] == 1
    token = client.post(
        "/api/v1/consent",
        json={
            "site": "default",
            "revision": 1,
            "language": "ru",
            "action": "accept_all",
            "event_id": "old-revision-consent-1",
        },
    ).get_json()["token"]

    response = submit(
        boss,
        "/admin/vendors/yandex_metrika",
        "vendor-form",
        "/admin/vendors/yandex_metrika",
        description_ru=NEW_RU,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    # A draft is not live: the banner still says what it said.
    assert config(client)["revision"] == 1
    listing = boss.get("/admin/vendors").get_data(as_text=True)
    assert "изменён в черновике" in listing

    diff_page = boss.get("/admin/revisions/draft").get_data(as_text=True)
    assert "Сервис yandex_metrika" in diff_page and "description.ru" in diff_page
    assert NEW_RU in diff_page and "<del>" in diff_page
    assert "ревизия" not in diff_page  # wording check: the page says "редакция"
    assert "станет 2" in diff_page

    published = review_and_publish(boss)
    assert published.status_code == 302
    assert published.headers["Location"].endswith("/admin/revisions")
    assert "Опубликована редакция 2" in boss.get("/admin/revisions").get_data(as_text=True)

    after = config(client)
    assert after["revision"] == 2 and after["hash"] != before["hash"]
    metrika = next(v for v in after["vendors"] if v["id"] == "yandex_metrika")
    assert metrika["description"] == NEW_RU
    # A text fix is not material (kelisim.domain.materiality): the choice made on revision 1
    # still stands, so cmp.js does not ask again.
    verdict = client.post("/api/v1/consent/verify", json={"token": token}).get_json()
    assert verdict["valid"] is True and verdict["revision"] == 1
    assert verdict["current_revision"] == 2 and after["consent_revision"] == 1
    # The receipt resolves the exact texts of the new revision too.
    store = admin_app.extensions["kelisim"].store
    assert store.snapshot(after["hash"])["revision"] == 2

    [entry] = audit_rows(admin_app, "catalogue.vendor.edit")
    assert entry["actor"] == "boss" and entry["target"] == "vendor:yandex_metrika"
    assert entry["after"] == {"description": {**entry["before"]["description"], "ru": NEW_RU}}
    assert entry["before"]["description"]["ru"] != NEW_RU
    [publish] = [e for e in audit_rows(admin_app, "catalogue.publish") if e["actor"] == "boss"]
    assert publish["before"]["revision"] == 1 and publish["after"]["revision"] == 2
    assert {
        "section": "vendor",
        "item": "yandex_metrika",
        "field": "description.ru",
        "before": entry["before"]["description"]["ru"],
        "after": NEW_RU,
    } in publish["after"]["changes"]


def test_an_invalid_edit_shows_the_loaders_problem_by_the_field_and_changes_nothing(
    admin_app, boss
):
    revisions = admin_app.extensions["kelisim"].revisions
    draft_before = revisions.draft().document
    page = boss.get("/admin/vendors/yandex_metrika").get_data(as_text=True)
    fields = form_fields(page, "vendor-form")
    row = fields["cookies-0-name"].index("_ym_uid") if "_ym_uid" in fields["cookies-0-name"] else 0
    assert row == 0
    response = submit(
        boss,
        "/admin/vendors/yandex_metrika",
        "vendor-form",
        "/admin/vendors/yandex_metrika",
        script_hosts="https://mc.yandex.ru/metrika\nmc.yandex.ru",
        **{"cookies-0-lifetime": "365"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="form-problems"' in html
    html = unescape(html)
    hosts_error = re.search(r'id="error-script_hosts">([^<]+)<', html).group(1)
    assert "https://mc.yandex.ru/metrika" in hosts_error and "без" not in hosts_error
    assert "write the bare host name" in hosts_error
    lifetime_error = re.search(r'id="error-cookies-0-lifetime">([^<]+)<', html).group(1)
    assert "lifetime '365' — use a number with a unit like '365d'" in lifetime_error
    # What was typed stays in the form, so it can be fixed.
    assert "https://mc.yandex.ru/metrika" in html
    assert revisions.draft().document == draft_before
    assert audit_rows(admin_app, "catalogue.vendor.edit") == []


def test_adding_a_script_host_needs_a_second_admin(admin_app, boss, aigerim, client):
    response = submit(
        boss,
        "/admin/vendors/vk",
        "vendor-form",
        "/admin/vendors/vk",
        script_hosts="vk.com\nnew-cdn.vk.example",
    )
    assert response.status_code == 302
    diff_page = boss.get("/admin/revisions/draft").get_data(as_text=True)
    assert 'id="needs-approval"' in diff_page and "new-cdn.vk.example" in diff_page
    requested = review_and_publish(boss)
    match = re.search(r"/admin/revisions/approvals/(\d+)$", requested.headers["Location"])
    assert match, requested.headers["Location"]
    approval = f"/admin/revisions/approvals/{match.group(1)}"
    assert live(admin_app).revision == 1 and config(client)["revision"] == 1

    # The author cannot approve their own request, not even by posting the form directly.
    own = boss.get(approval).get_data(as_text=True)
    assert 'id="approve"' not in own and "Свой запрос одобрить нельзя" in own
    boss.post(f"{approval}/approve", data={"csrf_token": csrf_token(boss, approval)})
    assert live(admin_app).revision == 1
    # While the request is pending, the draft is frozen.
    frozen = submit(boss, "/admin/texts/ru", "texts-form", "/admin/texts/ru")
    assert frozen.status_code == 409

    page = aigerim.get(approval).get_data(as_text=True)
    assert "new-cdn.vk.example" in page and 'id="approve"' in page
    done = aigerim.post(f"{approval}/approve", data={"csrf_token": csrf_token(aigerim, approval)})
    assert done.status_code == 302
    assert live(admin_app).revision == 2
    vk = next(v for v in config(client)["vendors"] if v["id"] == "vk")
    assert "new-cdn.vk.example" in vk["hosts"]
    head = admin_app.extensions["kelisim"].revisions.live()
    assert (head.published_by, head.approved_by) == ("boss", "aigerim")
    [approved] = audit_rows(admin_app, "catalogue.approval.approve")
    assert approved["actor"] == "aigerim"
    assert approved["after"]["added_script_hosts"] == {"vk": ["new-cdn.vk.example"]}


def test_a_rejected_request_is_not_published_and_the_draft_can_be_fixed(
    admin_app, boss, aigerim, client
):
    submit(
        boss,
        "/admin/vendors/vk",
        "vendor-form",
        "/admin/vendors/vk",
        script_hosts="vk.com\nevil.example",
    )
    requested = review_and_publish(boss)
    approval = requested.headers["Location"].split("localhost")[-1]
    rejected = aigerim.post(
        f"{approval}/reject", data={"csrf_token": csrf_token(aigerim, approval)}
    )
    assert rejected.status_code == 302
    assert live(admin_app).revision == 1
    assert "evil.example" not in json.dumps(config(client))
    assert "отклонён" in aigerim.get(approval).get_data(as_text=True)
    # The draft is editable again: take the host out, and the change publishes without approval.
    fixed = submit(
        boss, "/admin/vendors/vk", "vendor-form", "/admin/vendors/vk", script_hosts="vk.com"
    )
    assert fixed.status_code == 302
    assert (
        boss.get("/admin/revisions/draft").get_data(as_text=True).count('id="needs-approval"') == 0
    )
    assert audit_rows(admin_app, "catalogue.approval.reject")[0]["actor"] == "aigerim"


def test_a_new_vendor_with_a_script_host_needs_approval_and_an_editor_can_request_it(
    admin_app, boss, client
):
    add_user(admin_app, "editor1", "editor")
    editor = admin_app.test_client()
    login(editor, "editor1")
    response = submit(
        editor,
        "/admin/vendors/new",
        "vendor-form",
        "/admin/vendors/new",
        vendor_id="tiktok_pixel",
        name="TikTok Pixel",
        company="TikTok Pte. Ltd.",
        country="SG",
        data_leaves_kz="y",
        purposes="marketing",
        privacy_policy_url="https://www.tiktok.com/legal/privacy-policy",
        script_hosts="analytics.tiktok.com",
        beacon_hosts="analytics.tiktok.com",
        **{
            "cookies-0-name": "_ttp",
            "cookies-0-match": "exact",
            "cookies-0-party": "first",
            "cookies-0-lifetime": "390d",
            "description_ru": "Пиксель TikTok для рекламы.",
            "description_kk": "TikTok жарнама пикселі.",
            "description_en": "TikTok's advertising pixel.",
        },
    )
    assert response.status_code == 302, re.findall(
        r"(?:field-error|alert error)[^>]*>([^<]+)", response.get_data(as_text=True)
    )
    requested = review_and_publish(editor)
    assert "/admin/revisions/approvals/" in requested.headers["Location"]
    approval = requested.headers["Location"].split("localhost")[-1]
    # An editor may not approve at all; an admin who did not write it may.
    assert (
        editor.post(
            f"{approval}/approve", data={"csrf_token": csrf_token(editor, approval)}
        ).status_code
        == 403
    )
    assert (
        boss.post(
            f"{approval}/approve", data={"csrf_token": csrf_token(boss, approval)}
        ).status_code
        == 302
    )
    assert "tiktok_pixel" in [v["id"] for v in config(client)["vendors"]]


def test_an_editor_publishes_a_change_without_new_script_hosts(admin_app, client):
    add_user(admin_app, "editor1", "editor")
    editor = admin_app.test_client()
    login(editor, "editor1")
    page = editor.get("/admin/texts/ru").get_data(as_text=True)
    title = re.search(r'<label for="(k_\d+)"><code>title</code>', page).group(1)
    response = submit(
        editor,
        "/admin/texts/ru",
        "texts-form",
        "/admin/texts/ru",
        **{title: "Мы используем cookie — выберите, что разрешить"},
    )
    assert response.status_code == 302
    assert review_and_publish(editor).headers["Location"].endswith("/admin/revisions")
    assert config(client)["texts"]["title"] == "Мы используем cookie — выберите, что разрешить"


def test_viewers_read_but_cannot_change_anything(admin_app, boss):
    add_user(admin_app, "watcher", "viewer")
    viewer = admin_app.test_client()
    login(viewer, "watcher")
    page = viewer.get("/admin/vendors/vk")
    assert page.status_code == 200 and "только просматривать" in page.get_data(as_text=True)
    assert viewer.get("/admin/revisions").status_code == 200
    token = csrf_token(viewer, "/admin/vendors")
    for path in [
        "/admin/vendors/vk",
        "/admin/vendors/new",
        "/admin/vendors/vk/disable",
        "/admin/texts/ru",
        "/admin/purposes/analytics",
        "/admin/revisions/publish",
        "/admin/revisions/discard",
        "/admin/revisions/import",
    ]:
        assert viewer.post(path, data={"csrf_token": token, "name": "x"}).status_code == 403, path
    assert viewer.get("/admin/vendors/new").status_code == 403
    assert admin_app.extensions["kelisim"].revisions.changes() == []


def test_disable_and_enable_a_vendor(admin_app, boss, client):
    token = csrf_token(boss, "/admin/vendors")
    assert (
        boss.post("/admin/vendors/flocktory/disable", data={"csrf_token": token}).status_code == 302
    )
    listing = boss.get("/admin/vendors").get_data(as_text=True)
    assert re.search(r'id="vendor-flocktory">.*?отключён', listing, re.S)
    review_and_publish(boss)
    assert "flocktory" not in [v["id"] for v in config(client)["vendors"]]
    token = csrf_token(boss, "/admin/vendors")
    assert (
        boss.post("/admin/vendors/flocktory/enable", data={"csrf_token": token}).status_code == 302
    )
    assert admin_app.extensions["kelisim"].revisions.changes()[0].after == "added"
    assert [e["after"] for e in audit_rows(admin_app, "catalogue.vendor.disable")] == [
        {"enabled": False}
    ]


def test_purpose_texts_are_edited_per_language_and_placeholders_are_checked(admin_app, boss):
    response = submit(
        boss,
        "/admin/purposes/analytics",
        "purpose-form",
        "/admin/purposes/analytics",
        name_kk="Аналитика (жаңа)",
    )
    assert response.status_code == 302
    [change] = admin_app.extensions["kelisim"].revisions.changes()
    assert (change.section, change.item, change.field) == ("purpose", "analytics", "name.kk")
    # A banner text without the placeholder the runtime fills in is refused by the loader's rule.
    page = boss.get("/admin/texts/en").get_data(as_text=True)
    label = re.search(r'<label for="(k_\d+)"><code>vendor_toggle_label</code>', page).group(1)
    refused = submit(
        boss, "/admin/texts/en", "texts-form", "/admin/texts/en", **{label: "Allow it"}
    )
    assert refused.status_code == 400
    assert "placeholders" in unescape(refused.get_data(as_text=True))
    assert len(admin_app.extensions["kelisim"].revisions.changes()) == 1


def test_export_then_import_gives_the_identical_catalogue(admin_app, boss):
    revisions = admin_app.extensions["kelisim"].revisions
    live_hash = live(admin_app).content_hash
    exported = boss.get("/admin/revisions/1/vendors.yaml")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert text.startswith("schema: 1\nrevision: 1\n")

    # Change the draft first, so the import visibly replaces it.
    submit(boss, "/admin/vendors/vk", "vendor-form", "/admin/vendors/vk", name="VK renamed")
    assert revisions.changes()
    uploaded = boss.post(
        "/admin/revisions/import",
        data={
            "csrf_token": csrf_token(boss, "/admin/revisions"),
            "catalogue": (io.BytesIO(text.encode("utf-8")), "vendors.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    assert revisions.changes() == []
    assert revisions.draft_hash() == live_hash
    assert audit_rows(admin_app, "catalogue.import")[0]["after"]["hash"] == live_hash


def test_an_invalid_upload_lists_every_problem_with_its_line(admin_app, boss):
    revisions = admin_app.extensions["kelisim"].revisions
    text = boss.get("/admin/revisions/1/vendors.yaml").get_data(as_text=True)
    broken = text.replace("  - mc.yandex.ru\n", "  - https://mc.yandex.ru\n", 1).replace(
        "consent_lifetime_days: 180", "consent_lifetime_days: forever"
    )
    line = broken.splitlines().index("consent_lifetime_days: forever") + 1
    response = boss.post(
        "/admin/revisions/import",
        data={
            "csrf_token": csrf_token(boss, "/admin/revisions"),
            "catalogue": (io.BytesIO(broken.encode("utf-8")), "mine.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"mine.yaml:{line}: consent_lifetime_days: expected a whole number" in html
    assert "write the bare host name" in html
    assert revisions.changes() == []
