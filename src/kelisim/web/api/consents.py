"""The public JSON API under /api/v1: banner config, recording consent, verifying tokens, history.

This is the edge where untrusted input becomes domain objects: every body is parsed strictly (JSON
only, no duplicate keys, no unknown fields, no bool-as-int) and every problem is listed in one 400,
so nothing half-understood is ever written to the consent log (ASVS 5.0 2.2.1, 16.5.3). The API is
protected against cross-site use by its JSON-only content type (a form cannot send it without a
preflight) plus an Origin allow-list per site, instead of CSRF tokens; it sets no cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, g, request, url_for

from kelisim.domain import regions
from kelisim.domain.catalogue import Catalogue
from kelisim.domain.consent import ACTIONS, ConsentInputError, Standing
from kelisim.domain.tokens import ConsentClaims
from kelisim.services.consents import Answer
from kelisim.services.proofs import proof_document
from kelisim.services.ratelimit import ConsentLimits, network_of
from kelisim.services.region_log import rules_of
from kelisim.store import EventConflict, StoredEvent
from kelisim.web.api import use_cases
from kelisim.web.api.openapi import (
    CONFIG_DETAILS,
    CONSENT_ID_PATTERN,
    EVENT_ID_PATTERN,
    PAGE_MAX_LENGTH,
    PAGE_PATTERN,
    TOKEN_MAX_LENGTH,
)
from kelisim.web.api.openapi import build as build_openapi
from kelisim.web.errors import PROBLEM_TYPES, ApiError, http_problem, quote, validation_error

if TYPE_CHECKING:
    from kelisim.web.app import Services

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_PREFIX = "/api/v1/"
DEFAULT_SITE = "default"
CONSENT_FIELDS = frozenset(
    {"site", "revision", "language", "action", "choices", "event_id", "gpc", "page", "consent_id"}
)
REQUIRED_CONSENT_FIELDS = ("site", "revision", "language", "action", "event_id")
_EVENT_ID_RE = re.compile(EVENT_ID_PATTERN)
_CONSENT_ID_RE = re.compile(CONSENT_ID_PATTERN)
_PAGE_RE = re.compile(PAGE_PATTERN)
_ABSOLUTE_URL_RE = re.compile(r"^([A-Za-z]+://)([^/?#]*)(.*)$", re.DOTALL)


def services() -> Services:
    return current_app.extensions["kelisim"]


# --- parsing -------------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two values for one key would let a proxy and this server read different choices."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or the ApiError (415/413/400) that explains why not."""
    if request.mimetype != "application/json":
        raise http_problem(
            415, "Send the body as application/json.", headers={"Accept-Post": "application/json"}
        )
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise validation_error([{"field": "", "message": "the body is not valid UTF-8"}]) from None
    try:
        body = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except _DuplicateKey as error:
        raise validation_error(
            [{"field": error.key[:64], "message": f"duplicate key {quote(error.key)}"}]
        ) from None
    except json.JSONDecodeError as error:
        message = f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"
        raise validation_error([{"field": "", "message": message}]) from None
    except (ValueError, RecursionError):  # NaN/Infinity, 4300+ digit numbers, absurd nesting
        raise validation_error([{"field": "", "message": "malformed JSON"}]) from None
    if not isinstance(body, dict):
        raise validation_error([{"field": "", "message": "the body must be a JSON object"}])
    return body


def _encodable(text: str) -> bool:
    """JSON's \\ud800 escapes decode to lone surrogates, which no database column can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_page(page: str) -> str:
    """The page without query string, fragment or user info: they carry personal data and tokens."""
    match = _ABSOLUTE_URL_RE.match(page)
    if match:
        scheme, authority, rest = match.groups()
        page = scheme + authority.rsplit("@", 1)[-1] + rest
        prefix_length = len(scheme) + len(authority.rsplit("@", 1)[-1])
    else:
        prefix_length = 0
    cut = len(page)
    for mark in ("?", "#"):
        index = page.find(mark, prefix_length)
        if index != -1:
            cut = min(cut, index)
    return page[:cut]


# --- the site a request speaks for, CORS ---------------------------------------------------------


def _note_site(site_id: str) -> None:
    """Remember which site this request is for, so CORS headers follow that site's origins."""
    g.kelisim_site = site_id


def _cors_site() -> str | None:
    catalogue = services().catalogue
    site_id = getattr(g, "kelisim_site", None) or request.args.get("site") or DEFAULT_SITE
    return site_id if site_id in catalogue.sites else None


def _origin_allowed(origin: str, site_id: str | None) -> bool:
    catalogue = services().catalogue
    if site_id is None:
        return False
    return catalogue.sites[site_id].allows_origin(origin)


def _preflight_allowed(origin: str) -> bool:
    """A preflight carries no body, so without ?site= it is allowed for any site's origin; the
    request that follows is still checked against its own site."""
    catalogue = services().catalogue
    site_id = request.args.get("site")
    if site_id is not None:
        return site_id in catalogue.sites and catalogue.sites[site_id].allows_origin(origin)
    return any(site.allows_origin(origin) for site in catalogue.sites.values())


def check_origin(site_id: str | None) -> None:
    """A browser POST from an origin the site does not list is refused before anything is done."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if not _origin_allowed(origin, site_id if site_id is not None else DEFAULT_SITE):
        raise ApiError(
            403,
            "Forbidden",
            "This origin is not allowed to record consent for this site.",
            type=PROBLEM_TYPES["origin_not_allowed"],
        )


@bp.before_request
def _answer_preflight() -> Response | None:
    if request.method != "OPTIONS":
        return None
    response = Response(status=204)
    origin = request.headers.get("Origin")
    if origin and _preflight_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    g.kelisim_preflight = True
    return response


@bp.after_app_request
def _cors_headers(response: Response) -> Response:
    """CORS for every /api/v1 response, errors included, so a browser can read why it failed."""
    if not request.path.startswith(API_PREFIX):
        return response
    response.vary.add("Origin")
    if getattr(g, "kelisim_preflight", False):
        return response
    origin = request.headers.get("Origin")
    if origin and _origin_allowed(origin, _cors_site()):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


# --- responses -----------------------------------------------------------------------------------


def _json_response(body: Any, status: int = 200, *, private: bool = True) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    response = Response(payload, status=status, mimetype="application/json")
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with a Z, the form JavaScript's Date parses everywhere."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def granted_of(event: StoredEvent) -> list[str]:
    """Granted vendor ids in catalogue order (then any the catalogue no longer lists)."""
    order = services().catalogue.vendor_order
    granted = [vendor_id for vendor_id, value in event.grants.items() if value]
    return sorted(granted, key=lambda vendor_id: (order.get(vendor_id, len(order)), vendor_id))


def token_for(event: StoredEvent, granted: list[str] | None = None) -> str:
    """The signed token for `event`; `granted` is granted_of(event) when the caller has it."""
    claims = ConsentClaims(
        consent_id=event.consent_id,
        event_seq=event.seq,
        revision=event.revision,
        action=event.action,
        granted=tuple(granted_of(event) if granted is None else granted),
        issued_at=int(time.time()),
        expires_at=int(_aware(event.expires_at).timestamp()),
    )
    return services().tokens.issue(claims)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def receipt_url(consent_id: str) -> str:
    """Under the configured public URL; in production without one, a path (never the Host)."""
    settings = services().settings
    if settings.public_url:
        return settings.public_url + url_for("receipt.show", consent_id=consent_id)
    return url_for("receipt.show", consent_id=consent_id, _external=not settings.production)


def is_consent_id(value: object) -> bool:
    return isinstance(value, str) and _CONSENT_ID_RE.fullmatch(value) is not None


def new_consent_id(site_id: str, event_id: str) -> str:
    """A fresh consent id, derived from the event id under the server's secret.

    Deriving instead of drawing at random makes a retried first click (same event_id, no consent_id
    yet) land on the same consent, so the log's idempotency holds; without the secret the id is as
    unpredictable as secrets.token_urlsafe(18) — 144 bits, same alphabet and length.
    """
    message = f"consent-id\x00{site_id}\x00{event_id}".encode()
    digest = hmac.new(services().id_key, message, hashlib.sha256).digest()[:18]
    return urlsafe_b64encode(digest).decode("ascii")


# --- GET /config ---------------------------------------------------------------------------------


@bp.get("/config")
def config() -> Response:
    catalogue = services().catalogue
    site_id = request.args.get("site", DEFAULT_SITE)
    language = request.args.get("lang")
    # "banner": the lean first layer cmp.js embeds; the default "full" adds the second layer.
    detail = request.args.get("detail", "full")
    errors = []
    if site_id not in catalogue.sites:
        errors.append({"field": "site", "message": f"unknown site {quote(site_id)}"})
    else:
        _note_site(site_id)
    if detail not in CONFIG_DETAILS:
        errors.append(
            {"field": "detail", "message": f"unknown detail {quote(detail)}; use full, banner"}
        )
    if language is None:
        language = request.accept_languages.best_match(
            catalogue.languages, default=catalogue.default_language
        )
    elif language not in catalogue.languages:
        known = ", ".join(catalogue.languages)
        errors.append(
            {"field": "lang", "message": f"unknown language {quote(language)}; use {known}"}
        )
    if errors:
        raise validation_error(errors)
    body = catalogue.public_config(site_id, language, detail)
    if catalogue.regions:
        region = services().context.read(request.remote_addr, None).region
        body = regions.regional_config(body, use_cases.region_rule(region))
    response = _json_response(body, private=False)
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    # With region rules the body depends on the visitor's address: no shared cache may keep it.
    scope = "private" if catalogue.regions else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age=300"
    response.vary.add("Origin")
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    return response.make_conditional(request)


# --- POST /consent -------------------------------------------------------------------------------


def _validate_consent(body: Mapping[str, Any], catalogue: Catalogue) -> list[dict[str, str]]:
    """Every problem with a consent body, judged by the catalogue whose banner was answered."""
    errors: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for name in sorted(set(body) - CONSENT_FIELDS):
        problem(name[:64], f"unknown field {quote(name)}")
    for name in REQUIRED_CONSENT_FIELDS:
        if name not in body:
            problem(name, "is required")

    site_id = body.get("site")
    if "site" in body:
        if not isinstance(site_id, str):
            problem("site", "must be a string")
        elif site_id not in catalogue.sites:
            problem("site", f"unknown site {quote(site_id)}")
    if "revision" in body and not _is_int(body["revision"]):
        problem("revision", "must be an integer")
    if "language" in body:
        language = body["language"]
        if not isinstance(language, str) or language not in catalogue.languages:
            problem("language", f"must be one of {', '.join(catalogue.languages)}")
    action = body.get("action")
    if "action" in body and (not isinstance(action, str) or action not in ACTIONS):
        problem("action", f"must be one of {', '.join(ACTIONS)}")
    if "choices" in body:
        choices = body["choices"]
        if choices is None and action != "custom":
            pass
        elif not isinstance(choices, dict):
            problem("choices", "must be an object mapping vendor ids to true or false")
        else:
            known = set(catalogue.vendor_ids)
            for vendor_id, granted in choices.items():
                if vendor_id not in known:
                    problem(f"choices.{vendor_id[:64]}", f"unknown vendor {quote(vendor_id)}")
                elif not isinstance(granted, bool):
                    problem(f"choices.{vendor_id}", "must be true or false")
    elif action == "custom":
        problem("choices", "is required when action is custom")
    if "event_id" in body:
        event_id = body["event_id"]
        if not isinstance(event_id, str) or not _EVENT_ID_RE.fullmatch(event_id):
            problem("event_id", "must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
    if "gpc" in body and not isinstance(body["gpc"], bool):
        problem("gpc", "must be true or false")
    page = body.get("page")
    if page is not None:
        if not isinstance(page, str):
            problem("page", "must be a string")
        elif len(page) > PAGE_MAX_LENGTH:
            problem("page", f"must be at most {PAGE_MAX_LENGTH} characters")
        elif not _PAGE_RE.fullmatch(page):
            problem("page", "must be an absolute http(s) URL or a path starting with /")
        elif not _encodable(page):
            problem("page", "must be valid Unicode (no lone surrogates)")
    consent_id = body.get("consent_id")
    if consent_id is not None and not is_consent_id(consent_id):
        problem("consent_id", "is not a consent id")
    return errors


RATE_LIMITED = "urn:kelisim:problem:rate-limited"


def _limited(kind: str, value: str | None, per_minute: int) -> None:
    """429 with Retry-After once `value` (a network, a consent id) is over its per-minute limit."""
    limits: ConsentLimits | None = current_app.extensions.get("kelisim.limits")
    if limits is None or value is None:
        return
    decision = limits.limiter.check(kind, value, per_minute)
    if not decision.allowed:
        raise ApiError(
            429,
            "Too Many Requests",
            f"Too many consent requests; try again in {decision.retry_after} s.",
            type=RATE_LIMITED,
            headers={"Retry-After": str(decision.retry_after)},
        )


@bp.post("/consent")
def record_consent() -> Response:
    limits: ConsentLimits | None = current_app.extensions.get("kelisim.limits")
    # Time this request already spent queued in the server (gunicorn's thread-pool queue, stamped by
    # src/kelisim/cli/production.py) counts against the admission budget: one that has spent it is
    # shed at once, before the rate limiter or the database is touched, so a 503 is never a late
    # one.
    queued_at = request.environ.get("kelisim.queued_at")
    waited = time.monotonic() - queued_at if isinstance(queued_at, float) else 0.0
    if limits is not None and limits.admission.expired(waited):
        raise overloaded()
    if limits is None or limits.admission.acquire(waited):
        try:
            # Counted only once admitted: a shed 503 (and the retry it asks for) must not use up
            # the visitor's network budget, or shedding would turn into rate limiting.
            if limits is not None:
                _limited("network", network_of(request.remote_addr), limits.per_network)
            return _record_consent(limits)
        finally:
            if limits is not None:
                limits.admission.release()
    raise overloaded()


def overloaded() -> ApiError:
    """503: shed instead of queued. Nothing was read or written, so the client may just retry."""
    return ApiError(
        503,
        "Service Unavailable",
        "The server is busy; nothing was recorded. Try again shortly.",
        type=PROBLEM_TYPES["unavailable"],
        headers={"Retry-After": "1"},
    )


def _record_consent(limits: ConsentLimits | None) -> Response:
    svc = services()
    catalogue = svc.catalogue
    body = json_body()
    site_id = body.get("site")
    known_site = isinstance(site_id, str) and site_id in catalogue.sites
    if known_site:
        _note_site(site_id)
    check_origin(site_id if known_site else None)

    # The banner the visitor answered may be of an earlier revision (a cached cmp.js, a tab left
    # open over a publish): the choice is recorded against what they saw, never refused.
    revision = body.get("revision")
    shown: Catalogue | None = catalogue  # a revision that is no integer is a field error below
    if _is_int(revision):
        shown = svc.live.at(revision) if revision >= 1 else None
    errors = _validate_consent(body, shown or catalogue)
    if errors:
        raise validation_error(errors)
    current = svc.live.current()
    if shown is None:
        raise ApiError(
            409,
            "Unknown revision",
            f"No revision {quote(revision)} was ever published: revision {current.revision} is "
            "current. Load the config again and ask the visitor.",
            errors=[{"field": "revision", "message": f"at most {current.revision}"}],
            extra={"current_revision": current.revision},
            type=PROBLEM_TYPES["stale_revision"],
        )
    catalogue = shown

    consent_id = body.get("consent_id")
    if consent_id is not None:
        if limits is not None:
            _limited("consent", consent_id, limits.per_consent)
        previous = svc.store.latest(consent_id)
        if previous is None:
            raise validation_error([{"field": "consent_id", "message": "unknown consent id"}])
        if previous.site != site_id:
            raise validation_error([{"field": "consent_id", "message": "belongs to another site"}])
    else:
        consent_id = new_consent_id(site_id, body["event_id"])

    page = body.get("page")
    answer = Answer(
        site=site_id,
        consent_id=consent_id,
        event_id=body["event_id"],
        action=body["action"],
        choices=body.get("choices"),
        language=body["language"],
        context=svc.context.read(request.remote_addr, request.headers.get("User-Agent")),
        page=clean_page(page) if page is not None else None,
        gpc=bool(body.get("gpc", False)) or request.headers.get("Sec-GPC") == "1",
    )
    try:
        recorded = use_cases.consents().record(catalogue, answer)
    except ConsentInputError as error:
        raise validation_error([{"field": error.field, "message": error.message}]) from None
    except EventConflict:
        raise ApiError(
            409,
            "Event conflict",
            "This event_id was already recorded with different content; "
            "use a new event_id for a new choice.",
            errors=[{"field": "event_id", "message": "already used with different content"}],
            type=PROBLEM_TYPES["event_conflict"],
        ) from None
    stored, created = recorded.event, recorded.created
    log.info(
        "consent %s: consent=%s action=%s site=%s",
        "recorded" if created else "replayed",
        svc.log_id(stored.consent_id),
        stored.action,
        stored.site,
    )
    granted = granted_of(stored)
    return _json_response(
        {
            "consent_id": stored.consent_id,
            "token": token_for(stored, granted),
            "expires": iso(stored.expires_at),
            "status": stored.status,
            "granted": granted,
            "receipt_url": receipt_url(stored.consent_id),
            "revision": stored.revision,
            "current_revision": current.revision,
            # False when a material publish came after the banner the visitor answered: the
            # choice is kept as proof, and the next page view asks again.
            "holds": current.consent_holds(stored.revision),
        },
        201 if created else 200,
    )


# --- POST /consent/verify ------------------------------------------------------------------------


def _invalid(reason: str) -> Response:
    return _json_response({"valid": False, "reason": reason})


@bp.post("/consent/verify")
def verify_consent() -> Response:
    svc = services()
    body = json_body()
    errors = [
        {"field": name[:64], "message": f"unknown field {quote(name)}"}
        for name in sorted(set(body) - {"token"})
    ]
    token = body.get("token")
    if "token" not in body:
        errors.append({"field": "token", "message": "is required"})
    elif not isinstance(token, str) or not token:
        errors.append({"field": "token", "message": "must be a non-empty string"})
    elif len(token) > TOKEN_MAX_LENGTH:
        errors.append({"field": "token", "message": f"must be at most {TOKEN_MAX_LENGTH} long"})
    claims = svc.tokens.read(token) if not errors else None
    latest = (
        svc.store.latest(claims.consent_id) if claims and is_consent_id(claims.consent_id) else None
    )
    if latest is not None:
        _note_site(latest.site)
    check_origin(latest.site if latest is not None else None)
    if errors:
        raise validation_error(errors)

    if claims is None:
        return _invalid("invalid_token")
    if latest is None:
        return _invalid("unknown_consent")
    current = svc.catalogue
    if latest.revision > current.revision:
        current = g.kelisim_catalogue = svc.live.refresh()
    # A refused or withdrawn choice verifies as what it is (valid, nothing granted); a block, a
    # material publish or the passing of its lifetime make it count as none.
    held = use_cases.consents().standing(latest, current)
    if held is Standing.STALE:
        return _json_response(
            {"valid": False, "reason": str(held), "current_revision": current.revision}
        )
    if held in (Standing.BLOCKED, Standing.EXPIRED):
        return _invalid(str(held))
    fresh = token if latest.seq == claims.event_seq else token_for(latest)
    return _json_response(
        {
            "valid": True,
            "consent_id": latest.consent_id,
            "revision": latest.revision,
            "status": latest.status,
            "granted": granted_of(latest),
            "expires": iso(latest.expires_at),
            "token": fresh,
            "current_revision": current.revision,
        }
    )


# --- GET /consent/<id> ---------------------------------------------------------------------------


def event_json(event: StoredEvent) -> dict[str, Any]:
    """One event as the visitor may see it: the proof fields, not the network context."""
    return {
        "seq": event.seq,
        "event_id": event.event_id,
        "action": event.action,
        "status": event.status,
        "granted": granted_of(event),
        "grants": dict(event.grants),
        "purposes": dict(event.purposes),
        "revision": event.revision,
        "catalogue_hash": event.catalogue_hash,
        "language": event.language,
        "page": event.page,
        "gpc": event.gpc,
        "region": event.region,
        "device_class": event.device_class,
        "recorded_at": iso(event.recorded_at),
        "expires": iso(event.expires_at),
        "hash": event.hash,
        "leaf_index": event.leaf_index,
    }


def is_current(event: StoredEvent) -> bool:
    """Whether the latest event still lets granted vendors run."""
    return use_cases.consents().standing(event, services().catalogue) is Standing.HOLDS


@bp.get("/consent/<consent_id>")
def consent_history(consent_id: str) -> Response:
    if not is_consent_id(consent_id):
        raise validation_error([{"field": "consent_id", "message": "is not a consent id"}])
    svc = services()
    events = svc.store.history(consent_id)
    if not events:
        raise http_problem(404, "No consent with this id.")
    latest = events[-1]
    _note_site(latest.site)
    rules = rules_of(services().store.engine, (event.event_id for event in events))
    return _json_response(
        {
            "consent_id": consent_id,
            "site": latest.site,
            "receipt_url": receipt_url(consent_id),
            "current": {
                "status": latest.status,
                "granted": granted_of(latest),
                "revision": latest.revision,
                "recorded_at": iso(latest.recorded_at),
                "expires": iso(latest.expires_at),
                "valid": is_current(latest),
            },
            "events": [
                {**event_json(event), "region_rule": rules.get(event.event_id)} for event in events
            ],
            # Each event's leaf and inclusion proof to a signed checkpoint
            # (kelisim.services.proofs).
            "proof": proof_document(svc.store.log, svc.checkpoints, events),
        }
    )


# --- GET /openapi.json ---------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    response = _json_response(build_openapi(services().catalogue), private=False)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
