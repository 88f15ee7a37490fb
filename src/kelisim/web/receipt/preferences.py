"""/preferences: the cookie choice without JavaScript, on the CMP's own host.

A site's footer links here (`<a href="https://CMP/preferences?site=default&lang=ru"
data-kelisim-show>`) and its `<noscript>` notice does too (README): with JavaScript the link opens
the banner instead, without it this page is the banner. It shows the choice recorded in this
browser when the consent cookie reaches this host (the site sets `cookie_domain` to a parent of
both hosts), and lets the visitor accept, refuse or choose per purpose through a form protected by
the app's CSRF token. The choice is recorded like one made in the banner (same decision rules, same
log, same token) and the cookie set for the site's `cookie_domain`; then the visitor goes back to
the page they came from (only an origin the site lists) or to the receipt.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kelisim.domain.catalogue import Catalogue, Site
from kelisim.domain.consent import ConsentInputError
from kelisim.services.consents import Answer
from kelisim.web.api import use_cases
from kelisim.web.api.consents import granted_of, new_consent_id, services, token_for
from kelisim.web.receipt.page import LANGUAGE_NAMES

log = logging.getLogger(__name__)

bp = Blueprint("preferences", __name__)

COOKIE = "kelisim_consent"
ACTIONS = ("accept_all", "reject_all", "custom")
RETURN_MAX_LENGTH = 2000

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "current": "Ваш текущий выбор",
        "none": "В этом браузере для этого сайта выбор не найден (или сайт хранит его там, где "
        "эта страница его не видит). Выберите ниже.",
        "granted": "Разрешено",
        "nothing_granted": "ни одного сервиса",
        "receipt": "Подтверждение согласия",
        "choose": "Выбор по целям",
        "back": "Вернуться на сайт",
        "unknown_site": "Сайт не найден",
    },
    "kk": {
        "current": "Сіздің қазіргі таңдауыңыз",
        "none": "Бұл браузерде осы сайт үшін таңдау табылмады (немесе сайт оны бұл бет көрмейтін "
        "жерде сақтайды). Төменде таңдаңыз.",
        "granted": "Рұқсат етілген",
        "nothing_granted": "бірде-бір сервис",
        "receipt": "Келісімді растау",
        "choose": "Мақсаттар бойынша таңдау",
        "back": "Сайтқа оралу",
        "unknown_site": "Сайт табылмады",
    },
    "en": {
        "current": "Your current choice",
        "none": "No choice for this site is recorded in this browser (or the site keeps it where "
        "this page cannot read it). Choose below.",
        "granted": "Allowed",
        "nothing_granted": "no service",
        "receipt": "Consent receipt",
        "choose": "Choose by purpose",
        "back": "Back to the site",
        "unknown_site": "Site not found",
    },
}


def _language(catalogue: Catalogue, requested: str | None) -> str:
    if requested in catalogue.languages and requested in LABELS:
        return requested
    best = request.accept_languages.best_match(
        [code for code in catalogue.languages if code in LABELS]
    )
    return best or catalogue.default_language


def _return_url(site: Site, value: str | None) -> str | None:
    """`value` only if it is an http(s) URL on an origin the site lists (no open redirect)."""
    if not value or len(value) > RETURN_MAX_LENGTH:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return value if site.allows_origin(f"{parts.scheme}://{parts.netloc}") else None


def _current(site_id: str) -> Any:
    """The consent this browser's cookie names, if the cookie reaches this host and is valid."""
    claims = services().tokens.read(request.cookies.get(COOKIE))
    if claims is None:
        return None
    latest = services().store.latest(claims.consent_id)
    if latest is None or latest.site != site_id:
        return None
    return latest


def _page(catalogue: Catalogue, site: Site, language: str, status: int = 200) -> Any:
    texts = catalogue.texts[language]
    current = _current(site.id)
    names = {vendor.id: vendor.name for vendor in catalogue.vendors}
    granted = [names.get(v, v) for v in granted_of(current)] if current else []
    purposes = [
        {
            "id": purpose.id,
            "name": purpose.name.get(language),
            "description": purpose.description.get(language),
            "required": purpose.required,
            "checked": purpose.required
            or (current is not None and current.purposes.get(purpose.id) == "granted"),
        }
        for purpose in catalogue.purposes
    ]
    body = render_template(
        "preferences.html",
        lang=language,
        labels=LABELS[language],
        texts=texts,
        languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in catalogue.languages],
        site=site.id,
        policy_url=site.policy_url or catalogue.operator.privacy_policy_url,
        current=current,
        granted=granted,
        purposes=purposes,
        back=_return_url(site, request.values.get("return")),
    )
    return body, status


def _unknown_site(catalogue: Catalogue) -> Any:
    language = _language(catalogue, request.values.get("lang"))
    labels = LABELS[language]
    body = render_template(
        "receipt_error.html", lang=language, status=404, title=labels["unknown_site"], detail=""
    )
    return body, 404


@bp.get("/preferences")
def show() -> Any:
    catalogue = services().catalogue
    site = catalogue.sites.get(request.args.get("site", "default"))
    if site is None:
        return _unknown_site(catalogue)
    return _page(catalogue, site, _language(catalogue, request.args.get("lang")))


@bp.post("/preferences")
def choose() -> Any:
    """Record the choice made in the form (the app's CSRFProtect has checked its token)."""
    svc = services()
    catalogue = svc.catalogue
    site = catalogue.sites.get(request.form.get("site", ""))
    if site is None:
        return _unknown_site(catalogue)
    language = _language(catalogue, request.form.get("lang"))
    action = request.form.get("action")
    if action not in ACTIONS:
        return _page(catalogue, site, language, status=400)
    chosen = set(request.form.getlist("purpose"))
    choices = None
    if action == "custom":
        # As the banner's purpose switches do: a purpose grants the vendors it comes first for.
        choices = {vendor.id: vendor.purposes[0] in chosen for vendor in catalogue.vendors}
    previous = _current(site.id)
    event_id = secrets.token_urlsafe(16)
    answer = Answer(
        site=site.id,
        consent_id=previous.consent_id if previous else new_consent_id(site.id, event_id),
        event_id=event_id,
        action=action,
        choices=choices,
        language=language,
        context=svc.context.read(request.remote_addr, request.headers.get("User-Agent")),
        page=url_for("preferences.show", _external=True),
        gpc=request.headers.get("Sec-GPC") == "1",
    )
    try:
        stored = use_cases.consents().record(catalogue, answer).event
    except ConsentInputError:
        return _page(catalogue, site, language, status=400)
    log.info(
        "consent recorded on the preferences page: consent=%s action=%s site=%s",
        svc.log_id(stored.consent_id),
        stored.action,
        stored.site,
    )
    back = _return_url(site, request.form.get("return"))
    target = back or url_for("receipt.show", consent_id=stored.consent_id, lang=language)
    response: Response = redirect(target, code=303)
    response.set_cookie(
        COOKIE,
        token_for(stored),
        max_age=catalogue.consent_lifetime_days * 86400,
        path="/",
        domain=site.cookie_domain or None,
        secure=request.is_secure,
        samesite="Lax",
        # Not HttpOnly: cmp.js reads the token (the server stays the authority, /verify).
        httponly=False,
    )
    return response


@bp.after_request
def _page_headers(response: Response) -> Response:
    """As the receipt: no inline code at all, never cached or indexed, no Referer. The form may
    lead back to the site's own origins (form-action covers the redirect after the POST)."""
    origins = sorted(
        {origin for site in services().catalogue.sites.values() for origin in site.origins}
    )
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {' '.join(origins)}; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response
