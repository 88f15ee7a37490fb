"""The visitor's receipt: /consent/<id> shows what they agreed to, when, and lets them withdraw.

It is the "persistent link" through which withdrawal is as easy as giving consent (EDPB 05/2020
§5.2) and the proof the operator owes the subject on request (Law 94-V Art. 25(2)(5)). Texts come
from the catalogue snapshot that was live when the choice was made, so the page shows what the
visitor was told then, not what the banner says today. The consent id in the URL is the only key,
so the page is never cached, never indexed and never sends a Referer to the vendor links it shows.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kelisim.domain.consent import Standing
from kelisim.domain.display import country_name
from kelisim.services.consents import Answer
from kelisim.services.proofs import proof_document
from kelisim.services.region_log import rules_of
from kelisim.store import StoredEvent
from kelisim.web.api import use_cases
from kelisim.web.api.consents import granted_of, is_consent_id, services
from kelisim.web.receipt.subject_request import intake_view

log = logging.getLogger(__name__)

bp = Blueprint(
    "receipt",
    __name__,
    static_folder="static",
    static_url_path="/consent-static",
)

# The page's own words; the catalogue holds the operator's and vendors' texts.
LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Ваше согласие на cookie и трекеры",
        "intro": "Это подтверждение вашего выбора о cookie и трекерах. Сохраните ссылку на эту "
        "страницу: по ней можно в любой момент посмотреть и отозвать согласие.",
        "operator": "Оператор",
        "bin": "БИН",
        "contact": "Контакты",
        "privacy_policy": "Политика конфиденциальности",
        "consent_id": "Идентификатор согласия",
        "status": "Статус",
        "valid_until": "Действует до",
        "revision": "Редакция",
        "granted": "Разрешённые сервисы",
        "none_granted": "Ни одному сервису не разрешено обрабатывать ваши данные.",
        "service": "Сервис",
        "company": "Компания",
        "country": "Страна",
        "cross_border": "Передача за рубеж",
        "purposes": "Цели",
        "yes": "да",
        "no": "нет",
        "withdraw": "Отозвать согласие",
        "withdraw_note": "После отзыва перечисленные сервисы больше не загружаются на сайте, а их "
        "cookie удаляются при следующем посещении.",
        "withdrawn_done": "Ваше согласие отозвано.",
        "expired": "Срок действия согласия истёк: сайт спросит вас снова.",
        "stale": "Список сервисов изменился: сайт спросит вас снова.",
        "blocked": "Обработка по этому согласию заблокирована по запросу субъекта данных: "
        "сервисы не загружаются, пока блокировка не снята.",
        "history": "История",
        "time": "Время (UTC)",
        "action": "Действие",
        "language": "Язык",
        "proof": "Скачать доказательство (JSON)",
        "proof_note": "подписанная запись журнала согласий; её можно проверить без нас.",
        "not_found": "Согласие не найдено",
        "not_found_detail": "Проверьте ссылку: согласия с таким идентификатором нет.",
        "status.given": "согласие дано",
        "region_rule": "Правило региона",
        "status.refused": "отказ",
        "status.withdrawn": "согласие отозвано",
        "status.deferred": "выбор не сделан (баннер закрыт)",
        "action.accept_all": "принять все",
        "action.reject_all": "отклонить все",
        "action.custom": "выбор в настройках",
        "action.withdraw": "отзыв согласия",
        "action.dismiss": "баннер закрыт",
    },
    "kk": {
        "title": "Cookie және трекерлерге берген келісіміңіз",
        "intro": "Бұл — cookie және трекерлер туралы таңдауыңыздың растамасы. Осы беттің "
        "сілтемесін сақтаңыз: ол арқылы келісімді кез келген уақытта көріп, кері қайтара аласыз.",
        "operator": "Оператор",
        "bin": "БСН",
        "contact": "Байланыс",
        "privacy_policy": "Құпиялылық саясаты",
        "consent_id": "Келісім идентификаторы",
        "status": "Мәртебесі",
        "valid_until": "Жарамдылық мерзімі",
        "revision": "Редакция",
        "granted": "Рұқсат етілген сервистер",
        "none_granted": "Ешбір сервиске деректеріңізді өңдеуге рұқсат берілмеген.",
        "service": "Сервис",
        "company": "Компания",
        "country": "Ел",
        "cross_border": "Шетелге беру",
        "purposes": "Мақсаттары",
        "yes": "иә",
        "no": "жоқ",
        "withdraw": "Келісімді кері қайтару",
        "withdraw_note": "Кері қайтарғаннан кейін аталған сервистер сайтта енді жүктелмейді, ал "
        "олардың cookie файлдары келесі кіргенде жойылады.",
        "withdrawn_done": "Келісіміңіз кері қайтарылды.",
        "expired": "Келісімнің мерзімі өтті: сайт сізден қайта сұрайды.",
        "stale": "Сервистер тізімі өзгерді: сайт сізден қайта сұрайды.",
        "blocked": "Бұл келісім бойынша өңдеу деректер субъектісінің сұрауы бойынша бұғатталған: "
        "бұғат алынғанша сервистер жүктелмейді.",
        "history": "Тарих",
        "time": "Уақыты (UTC)",
        "action": "Әрекет",
        "language": "Тіл",
        "proof": "Дәлелді жүктеп алу (JSON)",
        "proof_note": "келісімдер журналының қолтаңбалы жазбасы; оны бізсіз тексеруге болады.",
        "not_found": "Келісім табылмады",
        "not_found_detail": "Сілтемені тексеріңіз: мұндай идентификаторы бар келісім жоқ.",
        "status.given": "келісім берілді",
        "region_rule": "Өңір ережесі",
        "status.refused": "бас тартылды",
        "status.withdrawn": "келісім кері қайтарылды",
        "status.deferred": "таңдау жасалмады (баннер жабылды)",
        "action.accept_all": "барлығын қабылдау",
        "action.reject_all": "барлығынан бас тарту",
        "action.custom": "баптаулардағы таңдау",
        "action.withdraw": "келісімді кері қайтару",
        "action.dismiss": "баннер жабылды",
    },
    "en": {
        "title": "Your consent to cookies and trackers",
        "intro": "This is the record of your choice about cookies and trackers. Keep the link to "
        "this page: you can view and withdraw your consent here at any time.",
        "operator": "Operator",
        "bin": "BIN",
        "contact": "Contact",
        "privacy_policy": "Privacy policy",
        "consent_id": "Consent ID",
        "status": "Status",
        "valid_until": "Valid until",
        "revision": "Revision",
        "granted": "Allowed services",
        "none_granted": "No service is allowed to process your data.",
        "service": "Service",
        "company": "Company",
        "country": "Country",
        "cross_border": "Data leaves Kazakhstan",
        "purposes": "Purposes",
        "yes": "yes",
        "no": "no",
        "withdraw": "Withdraw consent",
        "withdraw_note": "After withdrawal the services listed are no longer loaded on the site, "
        "and their cookies are deleted on your next visit.",
        "withdrawn_done": "Your consent has been withdrawn.",
        "expired": "This consent has expired: the site will ask you again.",
        "stale": "The list of services has changed: the site will ask you again.",
        "blocked": "Processing under this consent is blocked after a data-subject request: "
        "no service is loaded until the block is lifted.",
        "history": "History",
        "time": "Time (UTC)",
        "action": "Action",
        "language": "Language",
        "proof": "Download proof (JSON)",
        "proof_note": "a signed record from the consent log that anyone can check without us.",
        "not_found": "Consent not found",
        "not_found_detail": "Check the link: there is no consent with this ID.",
        "status.given": "consent given",
        "region_rule": "Region rule",
        "status.refused": "refused",
        "status.withdrawn": "consent withdrawn",
        "status.deferred": "no choice made (banner closed)",
        "action.accept_all": "accept all",
        "action.reject_all": "reject all",
        "action.custom": "custom choice",
        "action.withdraw": "withdrawal",
        "action.dismiss": "banner closed",
    },
}
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


# Said where the catalogue has no country for a vendor (its reason is in `unknown.country`).
# The receipt's notice for a choice that no longer lets its vendors run (receipt.html).
_NOTICES = {Standing.BLOCKED: "blocked", Standing.STALE: "stale", Standing.EXPIRED: "expired"}
_UNKNOWN_COUNTRY = {"ru": "не установлена", "kk": "анықталмаған", "en": "not established"}


@dataclass(frozen=True)
class VendorView:
    id: str
    name: str
    company: str
    country: str
    data_leaves_kz: bool
    purposes: tuple[str, ...]
    privacy_policy_url: str | None


def _local(value: Any, language: str, default_language: str) -> str:
    """A catalogue text in `language`, else the default language, else any; plain strings as is."""
    if isinstance(value, Mapping):
        for key in (language, default_language):
            if value.get(key):
                return str(value[key])
        return next((str(text) for text in value.values() if text), "")
    return "" if value is None else str(value)


def _shown_catalogue(event: StoredEvent) -> dict[str, Any]:
    """The catalogue the visitor saw for `event`; the live one if the snapshot is missing."""
    snapshot = services().store.snapshot(event.catalogue_hash)
    return snapshot if snapshot is not None else services().catalogue.to_dict()


def _vendor_views(
    shown: Mapping[str, Any], vendor_ids: list[str], language: str
) -> list[VendorView]:
    default_language = str(shown.get("default_language") or language)
    purposes = {
        str(purpose.get("id")): _local(purpose.get("name"), language, default_language)
        for purpose in shown.get("purposes") or ()
        if isinstance(purpose, Mapping)
    }
    by_id = {
        str(vendor.get("id")): vendor
        for vendor in shown.get("vendors") or ()
        if isinstance(vendor, Mapping)
    }
    views = []
    for vendor_id in vendor_ids:
        vendor = by_id.get(vendor_id, {})
        views.append(
            VendorView(
                id=vendor_id,
                name=str(vendor.get("name") or vendor_id),
                company=str(vendor.get("company") or ""),
                country=country_name(vendor.get("country"), language)
                or _UNKNOWN_COUNTRY.get(language, _UNKNOWN_COUNTRY["en"]),
                data_leaves_kz=bool(vendor.get("data_leaves_kz")),
                purposes=tuple(
                    purposes.get(str(purpose_id), str(purpose_id))
                    for purpose_id in vendor.get("purposes") or ()
                ),
                privacy_policy_url=vendor.get("privacy_policy_url") or None,
            )
        )
    return views


def _language(requested: str | None, fallback: str) -> str:
    catalogue = services().catalogue
    for candidate in (requested, fallback, catalogue.default_language):
        if candidate in catalogue.languages and candidate in LABELS:
            return candidate
    return "en"


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


@bp.after_request
def _page_headers(response: Response) -> Response:
    """A strict CSP (no inline code at all), and no way for the id in the URL to leak."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if request.endpoint != "receipt.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _not_found(language: str) -> tuple[str, int]:
    labels = LABELS[language]
    return (
        render_template(
            "receipt_error.html",
            lang=language,
            status=404,
            title=labels["not_found"],
            detail=labels["not_found_detail"],
        ),
        404,
    )


def _region_rule(events: list[StoredEvent]) -> str | None:
    """The region rule (kelisim.domain.regions) of the latest event that a rule decided."""
    rules = rules_of(services().store.engine, (event.event_id for event in events))
    for event in reversed(events):
        if event.event_id in rules:
            return rules[event.event_id]
    return None


@bp.get("/consent/<consent_id>")
def show(consent_id: str) -> Any:
    catalogue = services().catalogue
    requested = request.args.get("lang")
    if not is_consent_id(consent_id):
        return _not_found(_language(requested, catalogue.default_language))
    events = services().store.history(consent_id)
    if not events:
        return _not_found(_language(requested, catalogue.default_language))
    latest = events[-1]
    language = _language(requested, latest.language)
    shown = _shown_catalogue(latest)
    default_language = str(shown.get("default_language") or catalogue.default_language)
    operator = shown.get("operator") or {}
    contact = operator.get("contact") or {}
    granted = granted_of(latest)
    held = use_cases.consents().standing(latest, catalogue)
    # A refusal or withdrawal needs no notice: it is never stale or expired to the visitor.
    notice = _NOTICES.get(held) if latest.status == "given" or held is Standing.BLOCKED else None
    return render_template(
        "receipt.html",
        lang=language,
        labels=LABELS[language],
        languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in catalogue.languages],
        consent_id=consent_id,
        operator={
            "name": _local(operator.get("name"), language, default_language),
            "bin": operator.get("bin"),
            "email": contact.get("email") if isinstance(contact, Mapping) else None,
            "phone": contact.get("phone") if isinstance(contact, Mapping) else None,
            "address": contact.get("address") if isinstance(contact, Mapping) else None,
            "privacy_policy_url": operator.get("privacy_policy_url"),
        },
        latest=latest,
        status_label=LABELS[language].get(f"status.{latest.status}", latest.status),
        valid_until=_utc(latest.expires_at),
        vendors=_vendor_views(shown, granted, language),
        can_withdraw=bool(granted) and latest.status == "given",
        withdrawn_now=request.args.get("withdrawn") == "1" and latest.status == "withdrawn",
        notice=notice,
        current=held is Standing.HOLDS,
        region_rule=_region_rule(events),
        intake=intake_view(consent_id, language),
        events=[
            {
                "time": _utc(event.recorded_at),
                "action": LABELS[language].get(f"action.{event.action}", event.action),
                "status": LABELS[language].get(f"status.{event.status}", event.status),
                "revision": event.revision,
                "language": LANGUAGE_NAMES.get(event.language, event.language),
            }
            for event in reversed(events)
        ],
    )


@bp.get("/consent/<consent_id>/proof.json")
def proof(consent_id: str) -> Any:
    """The visitor's copy of the proof (kelisim.services.proofs): small, offline-verifiable, theirs
    to keep."""
    svc = services()
    catalogue = svc.catalogue
    events = svc.store.history(consent_id) if is_consent_id(consent_id) else []
    if not events:
        return _not_found(_language(request.args.get("lang"), catalogue.default_language))
    document = proof_document(svc.store.log, svc.checkpoints, events, consent_id=consent_id)
    if document is None:
        return Response("No checkpoint could be signed right now; try again.", 503)
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="kelisim-consent-proof.json"'
    return response


@bp.post("/consent/<consent_id>/withdraw")
def withdraw(consent_id: str) -> Any:
    """Record a withdrawal as a new event (never an update) and show the page again."""
    svc = services()
    catalogue = svc.catalogue
    requested = request.form.get("lang")
    if not is_consent_id(consent_id):
        return _not_found(_language(requested, catalogue.default_language))
    latest = svc.store.latest(consent_id)
    if latest is None:
        return _not_found(_language(requested, catalogue.default_language))
    language = _language(requested, latest.language)
    # Nothing granted means nothing to withdraw; a double click must not pad the log.
    if granted_of(latest):
        answer = Answer(
            site=latest.site,
            consent_id=consent_id,
            event_id=secrets.token_urlsafe(16),
            action="withdraw",
            language=language,
            context=svc.context.read(request.remote_addr, request.headers.get("User-Agent")),
            page=url_for("receipt.show", consent_id=consent_id, _external=True),
            gpc=request.headers.get("Sec-GPC") == "1",
        )
        recorded = use_cases.consents().record(catalogue, answer)
        log.info(
            "consent withdrawn on the receipt page: consent=%s",
            svc.log_id(recorded.event.consent_id),
        )
    return redirect(
        url_for("receipt.show", consent_id=consent_id, lang=language, withdrawn=1), code=303
    )
