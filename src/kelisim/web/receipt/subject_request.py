"""A subject request from the receipt page: block, destroy, or a copy of the record.

The receipt is the one page where a visitor is known by their consent id, so it is where they can
ask for what Law 94-V Art. 24 gives them without a letter or a phone call. The form carries the
app's CSRF token like the withdraw form; the request goes to the staff queue
(/admin/subject-requests) due at the end of the next working day, and the visitor gets a
confirmation page with its reference and that due time in Almaty time. Limits per network and per
consent keep a script from filling the queue; a bad field is a 400 page that says which, with the
form to fix it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from kelisim.domain.workdays import ALMATY
from kelisim.services.ratelimit import ConsentLimits, network_of
from kelisim.services.subject_requests import (
    CONTACT_LIMIT,
    KINDS,
    MESSAGE_LIMIT,
    RequestError,
    SubjectRequest,
)
from kelisim.web.admin.subject_requests import subject_requests
from kelisim.web.api.consents import is_consent_id, services

log = logging.getLogger(__name__)

bp = Blueprint("subject_request", __name__)

# Requests an hour: per client network (a family or an office shares one), and per consent.
PER_NETWORK_PER_HOUR = 20
PER_CONSENT_PER_HOUR = 6
_REFERENCE_LENGTH = 16

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "section": "Запрос о ваших данных",
        "intro": "Вы можете попросить оператора заблокировать обработку данных по этому "
        "согласию, уничтожить их или выдать копию записи. Оператор исполняет запрос в течение "
        "одного рабочего дня (Закон РК «О персональных данных и их защите», ст. 25).",
        "kind": "Что сделать",
        "kind.block": "Заблокировать обработку моих данных",
        "kind.destroy": "Уничтожить мои данные",
        "kind.copy": "Выдать копию записи о моём согласии",
        "contact": "Как с вами связаться (необязательно)",
        "contact_hint": "E-mail или телефон, если нужен ответ; копию записи пришлём на e-mail.",
        "message": "Сообщение (необязательно)",
        "submit": "Отправить запрос",
        "title": "Запрос принят",
        "accepted": "Ваш запрос принят.",
        "duplicate": "Такой запрос уже принят и ещё не исполнен — повторно отправлять не нужно.",
        "reference": "Номер запроса",
        "request": "Запрос",
        "received": "Получен",
        "due": "Будет исполнен до",
        "status": "Статус",
        "status.open": "в работе",
        "status.blocked": "обработка заблокирована",
        "status.destroyed": "данные уничтожены",
        "status.copy_sent": "копия выдана",
        "status.declined": "отказано",
        "keep": "Сохраните номер запроса: назовите его, если будете обращаться к оператору.",
        "back": "Вернуться к подтверждению согласия",
        "yours": "Ваши запросы",
        "error_title": "Запрос не принят",
        "error.kind": "Выберите, что сделать с данными.",
        "error.contact.too_long": f"Контакт слишком длинный (не больше {CONTACT_LIMIT} символов).",
        "error.contact.control_characters": "Контакт должен быть одной строкой без служебных "
        "символов.",
        "error.message.too_long": f"Сообщение слишком длинное (не больше {MESSAGE_LIMIT} "
        "символов).",
        "error.message.control_characters": "Сообщение содержит недопустимые символы.",
        "rate_limited": "Слишком много запросов. Попробуйте снова через {minutes} мин.",
        "not_found": "Запрос не найден",
        "not_found_detail": "Проверьте ссылку: такого запроса для этого согласия нет.",
        "time_zone": "по времени Алматы (UTC+5)",
        "months": "января февраля марта апреля мая июня июля августа сентября октября ноября "
        "декабря",
    },
    "kk": {
        "section": "Деректеріңіз туралы сұрау",
        "intro": "Операторға осы келісім бойынша деректерді өңдеуді бұғаттауды, оларды жоюды "
        "немесе жазбаның көшірмесін беруді сұрай аласыз. Оператор сұрауды бір жұмыс күні ішінде "
        "орындайды (ҚР «Дербес деректер және оларды қорғау туралы» Заңы, 25-бап).",
        "kind": "Не істеу керек",
        "kind.block": "Деректерімді өңдеуді бұғаттау",
        "kind.destroy": "Деректерімді жою",
        "kind.copy": "Келісімім туралы жазбаның көшірмесін беру",
        "contact": "Сізбен қалай байланысуға болады (міндетті емес)",
        "contact_hint": "Жауап керек болса, e-mail немесе телефон; жазба көшірмесін e-mail-ге "
        "жібереміз.",
        "message": "Хабарлама (міндетті емес)",
        "submit": "Сұрауды жіберу",
        "title": "Сұрау қабылданды",
        "accepted": "Сұрауыңыз қабылданды.",
        "duplicate": "Мұндай сұрау қабылданған және әлі орындалмаған — қайта жіберудің қажеті жоқ.",
        "reference": "Сұрау нөмірі",
        "request": "Сұрау",
        "received": "Алынды",
        "due": "Орындалу мерзімі",
        "status": "Мәртебесі",
        "status.open": "орындалуда",
        "status.blocked": "өңдеу бұғатталды",
        "status.destroyed": "деректер жойылды",
        "status.copy_sent": "көшірме берілді",
        "status.declined": "бас тартылды",
        "keep": "Сұрау нөмірін сақтаңыз: операторға хабарласқанда оны айтыңыз.",
        "back": "Келісімді растау бетіне оралу",
        "yours": "Сіздің сұрауларыңыз",
        "error_title": "Сұрау қабылданбады",
        "error.kind": "Деректермен не істеу керегін таңдаңыз.",
        "error.contact.too_long": f"Байланыс деректері тым ұзын ({CONTACT_LIMIT} таңбадан "
        "аспауы керек).",
        "error.contact.control_characters": "Байланыс деректері қызметтік таңбаларсыз бір жол "
        "болуы керек.",
        "error.message.too_long": f"Хабарлама тым ұзын ({MESSAGE_LIMIT} таңбадан аспауы керек).",
        "error.message.control_characters": "Хабарламада рұқсат етілмеген таңбалар бар.",
        "rate_limited": "Сұраулар тым көп. {minutes} минуттан кейін қайталап көріңіз.",
        "not_found": "Сұрау табылмады",
        "not_found_detail": "Сілтемені тексеріңіз: бұл келісім үшін мұндай сұрау жоқ.",
        "time_zone": "Алматы уақытымен (UTC+5)",
        "months": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша "
        "желтоқсан",
    },
    "en": {
        "section": "A request about your data",
        "intro": "You can ask the operator to block the processing of your data under this "
        "consent, to destroy it, or to give you a copy of the record. The operator carries out "
        "the request within one working day (Kazakhstan Law on Personal Data, Art. 25).",
        "kind": "What should be done",
        "kind.block": "Block the processing of my data",
        "kind.destroy": "Destroy my data",
        "kind.copy": "Give me a copy of my consent record",
        "contact": "How to reach you (optional)",
        "contact_hint": "An e-mail address or phone number if you want an answer; a copy of "
        "the record is sent by e-mail.",
        "message": "Message (optional)",
        "submit": "Send the request",
        "title": "Request received",
        "accepted": "Your request has been received.",
        "duplicate": "The same request is already received and not yet done; there is no need "
        "to send it again.",
        "reference": "Request reference",
        "request": "Request",
        "received": "Received",
        "due": "To be done by",
        "status": "Status",
        "status.open": "in progress",
        "status.blocked": "processing blocked",
        "status.destroyed": "data destroyed",
        "status.copy_sent": "copy given",
        "status.declined": "declined",
        "keep": "Keep the reference: quote it if you contact the operator.",
        "back": "Back to the consent receipt",
        "yours": "Your requests",
        "error_title": "Request not accepted",
        "error.kind": "Choose what should be done with your data.",
        "error.contact.too_long": f"The contact is too long ({CONTACT_LIMIT} characters at most).",
        "error.contact.control_characters": "The contact must be one line without control "
        "characters.",
        "error.message.too_long": f"The message is too long ({MESSAGE_LIMIT} characters at most).",
        "error.message.control_characters": "The message contains characters that are not allowed.",
        "rate_limited": "Too many requests. Try again in {minutes} min.",
        "not_found": "Request not found",
        "not_found_detail": "Check the link: there is no such request for this consent.",
        "time_zone": "Almaty time (UTC+5)",
        "months": "January February March April May June July August September October "
        "November December",
    },
}


def local_time(moment: datetime, language: str) -> str:
    """`8 декабря 2026, 23:59` / `2026 жылғы 8 желтоқсан, 23:59` / `8 December 2026, 23:59`."""
    local = moment.astimezone(ALMATY)
    month = LABELS[language]["months"].split()[local.month - 1]
    clock = local.strftime("%H:%M")
    if language == "kk":
        return f"{local.year} жылғы {local.day} {month}, {clock}"
    return f"{local.day} {month} {local.year}, {clock}"


def _language(requested: str | None, fallback: str | None = None) -> str:
    catalogue = services().catalogue
    for candidate in (requested, fallback, catalogue.default_language):
        if candidate in catalogue.languages and candidate in LABELS:
            return candidate
    return "en"


def intake_view(consent_id: str, language: str) -> dict[str, Any]:
    """What the receipt page needs to show the form and the visitor's earlier requests."""
    labels = LABELS[language]
    return {
        "labels": labels,
        "kinds": [(kind, labels[f"kind.{kind}"]) for kind in KINDS],
        "action": url_for("subject_request.file", consent_id=consent_id),
        "contact_limit": CONTACT_LIMIT,
        "message_limit": MESSAGE_LIMIT,
        "requests": [
            _request_view(item, language) for item in subject_requests().of_consent(consent_id)
        ],
        "chosen": None,
        "contact": "",
        "message": "",
        "error": None,
    }


def _request_view(item: SubjectRequest, language: str) -> dict[str, str]:
    labels = LABELS[language]
    return {
        "reference": item.reference,
        "kind": labels[f"kind.{item.kind}"],
        "received": local_time(item.received_at, language),
        "due": local_time(item.due_at, language),
        "status": labels[f"status.{item.outcome or 'open'}"],
        "url": url_for(
            "subject_request.show",
            consent_id=item.consent_id,
            reference=item.reference,
            lang=language,
        ),
    }


def _page(template: str, status: int, **values: Any) -> tuple[str, int]:
    return render_template(template, **values), status


def _not_found(language: str) -> tuple[str, int]:
    labels = LABELS[language]
    body = render_template(
        "receipt_error.html",
        lang=language,
        status=404,
        title=labels["not_found"],
        detail=labels["not_found_detail"],
    )
    return body, 404


def _over_limit(consent_id: str) -> int | None:
    """Seconds to wait when this network or this consent has filed too many requests."""
    limits: ConsentLimits | None = current_app.extensions.get("kelisim.limits")
    if limits is None:
        return None
    checks = [("subject_request.consent", consent_id, PER_CONSENT_PER_HOUR)]
    network = network_of(request.remote_addr)
    if network is not None:
        checks.insert(0, ("subject_request.network", network, PER_NETWORK_PER_HOUR))
    for kind, value, limit in checks:
        decision = limits.limiter.check(kind, value, limit, 3600.0)
        if not decision.allowed:
            return decision.retry_after
    return None


@bp.post("/consent/<consent_id>/requests")
def file(consent_id: str) -> Any:
    """File the request (the app's CSRFProtect has checked the token) and show its confirmation."""
    requested = request.form.get("lang")
    if not is_consent_id(consent_id):
        return _not_found(_language(requested))
    latest = services().store.latest(consent_id)
    if latest is None:
        return _not_found(_language(requested))
    language = _language(requested, latest.language)
    labels = LABELS[language]
    kind = request.form.get("kind") or ""
    contact = request.form.get("contact") or ""
    message = request.form.get("message") or ""

    def refused(error_key: str, status: int = 400, **values: Any) -> tuple[str, int]:
        view = intake_view(consent_id, language)
        view.update(
            chosen=kind if kind in KINDS else None,
            contact=contact[:CONTACT_LIMIT],
            message=message[:MESSAGE_LIMIT],
            error=labels[error_key].format(**values),
        )
        return _page(
            "receipt_request_form.html",
            status,
            lang=language,
            labels=labels,
            form=view,
            consent_id=consent_id,
        )

    if kind not in KINDS:
        return refused("error.kind")
    wait = _over_limit(consent_id)
    if wait is not None:
        body, status = refused("rate_limited", 429, minutes=max(1, (wait + 59) // 60))
        return Response(body, status, headers={"Retry-After": str(wait)}, mimetype="text/html")
    try:
        item, created = subject_requests().file(
            consent_id, kind, contact=contact, message=message, language=language
        )
    except RequestError as error:
        if error.field in ("contact", "message"):
            return refused(f"error.{error.field}.{error.code}")
        return _not_found(language)
    log.info(
        "subject request %s: kind=%s consent=%s",
        "received" if created else "repeated",
        item.kind,
        services().log_id(consent_id),
    )
    target = url_for(
        "subject_request.show",
        consent_id=consent_id,
        reference=item.reference,
        lang=language,
        **({} if created else {"repeated": 1}),
    )
    return redirect(target, code=303)


@bp.get("/consent/<consent_id>/requests/<reference>")
def show(consent_id: str, reference: str) -> Any:
    requested = request.args.get("lang")
    if not is_consent_id(consent_id) or len(reference) > _REFERENCE_LENGTH:
        return _not_found(_language(requested))
    item = subject_requests().get(reference)
    if item is None or not item.consent_id or item.consent_id != consent_id:
        return _not_found(_language(requested))
    language = _language(requested, item.language)
    labels = LABELS[language]
    return render_template(
        "receipt_request.html",
        lang=language,
        labels=labels,
        consent_id=consent_id,
        item=_request_view(item, language),
        repeated=request.args.get("repeated") == "1",
        is_open=item.is_open,
        time_zone=labels["time_zone"],
        languages=[
            (code, name)
            for code, name in (("ru", "Русский"), ("kk", "Қазақша"), ("en", "English"))
            if code in services().catalogue.languages
        ],
    )


@bp.after_request
def _page_headers(response: Response) -> Response:
    """As the receipt page: no inline code, no caching or indexing, no Referer out of the page."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response
