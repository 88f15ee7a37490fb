"""The cookie declaration's data: the live catalogue's facts in ru/kk/en and the latest scan."""

from __future__ import annotations

import json

import pytest

from kelisim.services.audit import AuditLog
from kelisim.services.scans import ScanStore


def _upload(app, finished_at: str, rows: list[dict]) -> None:
    store = app.extensions["kelisim"].store
    report = {
        "schema": "kelisim-scan/1",
        "started_at": finished_at,
        "finished_at": finished_at,
        "target": {"urls": ["https://creditplus.kz/"]},
        "catalogue": {"revision": 1, "hash": "sha256:abc"},
        "summary": {},
        "findings": [],
        "declaration": rows,
        "observations": [],
    }
    ScanStore(store.engine, store.write_engine, AuditLog(store.write_engine)).save(
        report, json.dumps(report), "scanner:test"
    )


@pytest.mark.parametrize(
    "lang, days, yes", [("ru", "365 дн.", "да"), ("kk", "365 күн", "иә"), ("en", "365 days", "yes")]
)
def test_every_language_gets_the_vendor_facts(client, lang, days, yes) -> None:
    response = client.get(f"/embed/declaration.json?site=default&lang={lang}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["language"] == lang and body["scanned"] is None
    metrika = next(v for v in body["vendors"] if v["id"] == "yandex_metrika")
    assert (metrika["company"], metrika["country"], metrika["cross_border"]) == (
        "Yandex LLC",
        "RU",
        True,
    )
    uid = next(item for item in metrika["items"] if item["name"] == "_ym_uid")
    assert uid["lifetime"] == days and uid["seen"] is False
    assert body["labels"]["yes"] == yes
    assert len(body["vendors"]) == 14


def test_the_latest_scan_is_the_one_shown(app, client) -> None:
    _upload(app, "2026-11-01T00:00:00Z", [{"name": "old_cookie", "type": "cookie", "vendor": "vk"}])
    _upload(app, "2026-11-30T00:00:00Z", [{"name": "_ym_uid", "type": "cookie",
                                           "vendor": "yandex_metrika"}])  # fmt: skip
    body = client.get("/embed/declaration.json?lang=en").get_json()
    assert body["scanned"] == "2026-11-30"
    metrika = next(v for v in body["vendors"] if v["id"] == "yandex_metrika")
    assert next(i for i in metrika["items"] if i["name"] == "_ym_uid")["seen"] is True
    vk = next(v for v in body["vendors"] if v["id"] == "vk")
    assert not any(item["name"] == "old_cookie" for item in vk["items"])


def test_a_publish_shows_up_at_once(app, client) -> None:
    svc = app.extensions["kelisim"]
    document = svc.revisions.draft().document
    for vendor in document["vendors"]:
        if vendor["id"] == "yandex_metrika":
            vendor["company"] = "Yandex Kazakhstan LLP"
    from kelisim.services.revisions import to_yaml

    svc.revisions.import_yaml("editor@example.kz", to_yaml(document), "upload.yaml")
    svc.revisions.publish("editor@example.kz", svc.revisions.draft_hash())
    svc.live.refresh()
    body = client.get("/embed/declaration.json?lang=en").get_json()
    metrika = next(v for v in body["vendors"] if v["id"] == "yandex_metrika")
    assert metrika["company"] == "Yandex Kazakhstan LLP"


@pytest.mark.parametrize("query", ["lang=de", "site=nope", "site=nope&lang=xx"])
def test_a_bad_query_is_a_400_problem(client, query) -> None:
    for path in ("/embed/declaration.js", "/embed/declaration", "/embed/declaration.json"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert response.mimetype == "application/problem+json"


def test_the_script_cannot_be_broken_out_of(client) -> None:
    script = client.get("/embed/declaration.js?lang=ru").get_data(as_text=True)
    assert "</" not in script.split("(function", 1)[1]
