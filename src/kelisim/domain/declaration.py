"""The cookie declaration for the lender's privacy page, built from the live catalogue and the
latest uploaded scan.

A privacy page that lists cookies by hand goes stale the day marketing adds a tag. This one is
generated on every request from what Kelisim knows: each vendor's company, country, whether data
leaves Kazakhstan, purposes, and every cookie and storage key with its lifetime from the catalogue,
checked against the latest scan (kelisim.services.scans): a declared cookie the scan saw is marked
as seen, and a cookie the scan attributed to a vendor but the catalogue does not declare is listed
too, so the page never hides what the site really stores. The site's own necessary cookies (and
Kelisim's consent cookie) come from the scan as well.

Knows nothing of Flask or SQL: `build(catalogue, language, scan)` takes the scan as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Файлы cookie и сторонние сервисы",
        "intro": "Эти сервисы работают на сайте {operator} только с вашего согласия (кроме "
        "необходимых). Список обновляется автоматически.",
        "service": "Сервис",
        "company": "Компания",
        "country": "Страна",
        "cross_border": "Передача за пределы РК",
        "purposes": "Цели",
        "cookies": "Cookie и хранилище",
        "name": "Имя",
        "type": "Тип",
        "lifetime": "Срок хранения",
        "yes": "да",
        "no": "нет",
        "session": "до закрытия браузера",
        "unknown": "не опубликован",
        "until_cleared": "до очистки",
        "days": "{n} дн.",
        "hours": "{n} ч",
        "minutes": "{n} мин",
        "seen": "обнаружен последним сканированием",
        "undeclared": "обнаружен сканированием, ещё не описан",
        "site_cookies": "Необходимые cookie самого сайта",
        "revision": "Редакция каталога {revision}",
        "scanned": "последнее сканирование сайта: {date}",
        "not_scanned": "сайт ещё не сканировался",
        "privacy_policy": "Политика конфиденциальности",
    },
    "kk": {
        "title": "Cookie файлдары және үшінші тарап қызметтері",
        "intro": "Бұл қызметтер {operator} сайтында тек сіздің келісіміңізбен жұмыс істейді "
        "(қажеттілерінен басқа). Тізім автоматты түрде жаңартылады.",
        "service": "Қызмет",
        "company": "Компания",
        "country": "Ел",
        "cross_border": "ҚР-дан тыс жіберу",
        "purposes": "Мақсаттар",
        "cookies": "Cookie және қойма",
        "name": "Атауы",
        "type": "Түрі",
        "lifetime": "Сақтау мерзімі",
        "yes": "иә",
        "no": "жоқ",
        "session": "браузер жабылғанға дейін",
        "unknown": "жарияланбаған",
        "until_cleared": "тазартылғанға дейін",
        "days": "{n} күн",
        "hours": "{n} сағ",
        "minutes": "{n} мин",
        "seen": "соңғы сканерлеу тапты",
        "undeclared": "сканерлеу тапты, әлі сипатталмаған",
        "site_cookies": "Сайттың өзінің қажетті cookie файлдары",
        "revision": "Каталог редакциясы {revision}",
        "scanned": "сайттың соңғы сканерленуі: {date}",
        "not_scanned": "сайт әлі сканерленбеген",
        "privacy_policy": "Құпиялылық саясаты",
    },
    "en": {
        "title": "Cookies and third-party services",
        "intro": "These services run on the {operator} site only with your consent (except the "
        "necessary ones). This list is updated automatically.",
        "service": "Service",
        "company": "Company",
        "country": "Country",
        "cross_border": "Data leaves Kazakhstan",
        "purposes": "Purposes",
        "cookies": "Cookies and storage",
        "name": "Name",
        "type": "Type",
        "lifetime": "Lifetime",
        "yes": "yes",
        "no": "no",
        "session": "until the browser closes",
        "unknown": "not published",
        "until_cleared": "until cleared",
        "days": "{n} days",
        "hours": "{n} hours",
        "minutes": "{n} minutes",
        "seen": "seen by the latest scan",
        "undeclared": "seen by the scan, not yet described",
        "site_cookies": "The site's own necessary cookies",
        "revision": "Catalogue revision {revision}",
        "scanned": "latest scan of the site: {date}",
        "not_scanned": "the site has not been scanned yet",
        "privacy_policy": "Privacy policy",
    },
}
STORAGE_TYPES = {"local": "localStorage", "session": "sessionStorage", "indexeddb": "IndexedDB"}


def labels_for(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def lifetime_text(seconds: int | None, known: bool, labels: Mapping[str, str]) -> str:
    if not known:
        return labels["unknown"]
    if seconds is None:
        return labels["session"]
    if seconds >= 86400:
        return labels["days"].format(n=round(seconds / 86400))
    if seconds >= 3600:
        return labels["hours"].format(n=round(seconds / 3600))
    return labels["minutes"].format(n=max(1, round(seconds / 60)))


def _scan_rows(scan: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    rows = (scan or {}).get("declaration") or []
    return [row for row in rows if isinstance(row, Mapping) and isinstance(row.get("name"), str)]


def _observed_lifetime(row: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    if row.get("type") == "cookie":
        seconds = row.get("lifetime_seconds")
        return lifetime_text(seconds if isinstance(seconds, int) else None, True, labels)
    return labels["session"] if row.get("type") == "sessionStorage" else labels["until_cleared"]


def _vendor_entry(
    vendor: Any, catalogue: Any, language: str, labels: Mapping[str, str], seen: list[Any]
) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    matched: set[int] = set()
    for cookie in vendor.cookies:
        hits = [
            index
            for index, row in enumerate(seen)
            if row.get("type") == "cookie" and cookie.matches(row["name"])
        ]
        matched.update(hits)
        items.append(
            {
                "name": cookie.name + ("*" if cookie.match == "prefix" else ""),
                "type": "cookie",
                "domain": cookie.domain,
                "lifetime": lifetime_text(cookie.lifetime_seconds, cookie.lifetime_known, labels),
                "seen": bool(hits),
            }
        )
    for storage in vendor.storage:
        kind = STORAGE_TYPES.get(storage.kind, storage.kind)
        hits = [
            index
            for index, row in enumerate(seen)
            if row.get("type") == kind and storage.matches(row["name"])
        ]
        matched.update(hits)
        items.append(
            {
                "name": storage.key + ("*" if storage.match == "prefix" else ""),
                "type": kind,
                "domain": None,
                "lifetime": labels["session"]
                if storage.kind == "session"
                else labels["until_cleared"],
                "seen": bool(hits),
            }
        )
    for index, row in enumerate(seen):
        if index not in matched:
            items.append(
                {
                    "name": row["name"],
                    "type": str(row.get("type") or "cookie"),
                    "domain": row.get("domain") if isinstance(row.get("domain"), str) else None,
                    "lifetime": _observed_lifetime(row, labels),
                    "seen": True,
                    "undeclared": True,
                }
            )
    purposes = []
    for purpose_id in vendor.purposes:
        try:
            purposes.append(catalogue.purpose(purpose_id).name.get(language))
        except KeyError:
            purposes.append(purpose_id)
    return {
        "id": vendor.id,
        "name": vendor.name,
        "company": vendor.company,
        "country": vendor.country,
        "cross_border": vendor.data_leaves_kz,
        "purposes": purposes,
        "privacy_policy_url": vendor.privacy_policy_url,
        "description": vendor.description.get(language),
        "items": items,
    }


def build(catalogue: Any, language: str, scan: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The declaration as plain data, in `language` (one of the catalogue's); `scan` is the
    latest uploaded run: {"finished_at" or "uploaded_at", "declaration": [scanner rows]}."""
    labels = labels_for(language)
    rows = _scan_rows(scan)
    vendors = []
    for vendor in catalogue.vendors:
        seen = [row for row in rows if row.get("vendor") == vendor.id]
        vendors.append(_vendor_entry(vendor, catalogue, language, labels, seen))
    known = set(catalogue.vendor_ids)
    site_cookies = [
        {
            "name": row["name"],
            "type": str(row.get("type") or "cookie"),
            "domain": row.get("domain") if isinstance(row.get("domain"), str) else None,
            "lifetime": _observed_lifetime(row, labels),
            "seen": True,
        }
        for row in rows
        if row.get("vendor") not in known
    ]
    operator = catalogue.operator
    scanned = None
    if scan:
        moment = scan.get("finished_at") or scan.get("uploaded_at")
        scanned = str(moment)[:10] if moment else None
    return {
        "language": language,
        "revision": catalogue.revision,
        "operator": operator.name,
        "privacy_policy_url": operator.privacy_policy_url,
        "scanned": scanned,
        "labels": {
            **labels,
            "intro": labels["intro"].format(operator=operator.name),
            "revision": labels["revision"].format(revision=catalogue.revision),
            "scanned": labels["scanned"].format(date=scanned) if scanned else labels["not_scanned"],
        },
        "vendors": vendors,
        "site_cookies": site_cookies,
    }
