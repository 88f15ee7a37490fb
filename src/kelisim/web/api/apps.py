"""The API for native apps and the lender's servers: device registration and customer links.

A native app records and verifies consent through the ordinary endpoints (POST /api/v1/consent
with `site: app`, POST /api/v1/consent/verify), so its choices land in the same log and get the
same receipt. Two endpoints are added here:

- POST /api/v1/app/devices: the app names its installation (a device id of its own choosing);
  only a keyed hash is kept (kelisim.services.links). The consent token proves the consent is the
  caller's.
- POST /api/v1/consent/link: the lender's server links a consent (web or app) to a logged-in
  customer. It needs a bearer token (KELISIM_CUSTOMER_LINK_TOKENS): a customer id is the lender's
  word, and a link lets one consent's withdrawal withdraw the others, so anybody able to link
  could withdraw somebody else's consent.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, Response, current_app, request

from kelisim.domain.tokens import ConsentClaims
from kelisim.services.links import IDENTIFIER_MAX_LENGTH
from kelisim.web.api.consents import (
    _json_response,
    check_origin,
    is_consent_id,
    json_body,
    services,
)
from kelisim.web.api.openapi import TOKEN_MAX_LENGTH
from kelisim.web.api.use_cases import links
from kelisim.web.errors import ApiError, http_problem, quote, validation_error

__all__ = ["bp"]

log = logging.getLogger(__name__)

bp = Blueprint("app_api", __name__, url_prefix="/api/v1")

DEVICE_FIELDS = frozenset({"token", "device_id"})
LINK_FIELDS = frozenset({"token", "customer_id"})


def _identifier_problem(value: Any) -> str | None:
    """Any text will do: it is never stored or shown, only hashed
    (kelisim.services.links.keyed_hash)."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > IDENTIFIER_MAX_LENGTH:
        return f"must be at most {IDENTIFIER_MAX_LENGTH} characters"
    return None


def _read(fields: frozenset[str], identifier: str) -> tuple[str, str]:
    """(token, identifier) of a JSON body with exactly `fields`, or the 4xx that says why not."""
    body = json_body()
    errors = [
        {"field": name[:64], "message": f"unknown field {quote(name)}"}
        for name in sorted(set(body) - fields)
    ]
    token = body.get("token")
    if "token" not in body:
        errors.append({"field": "token", "message": "is required"})
    elif not isinstance(token, str) or not token:
        errors.append({"field": "token", "message": "must be a non-empty string"})
    elif len(token) > TOKEN_MAX_LENGTH:
        errors.append({"field": "token", "message": f"must be at most {TOKEN_MAX_LENGTH} long"})
    if identifier not in body:
        errors.append({"field": identifier, "message": "is required"})
    else:
        problem = _identifier_problem(body[identifier])
        if problem:
            errors.append({"field": identifier, "message": problem})
    if errors:
        raise validation_error(errors)
    return token, body[identifier]


def _consent_of(token: str, unreadable: int) -> tuple[ConsentClaims, str]:
    """The token's claims and the consent's site; `unreadable` (401 where the token is the
    caller's credential, 404 where it is only data) for a tampered or expired token, 404 for a
    consent that is not in the log."""
    svc = services()
    claims = svc.tokens.read(token)
    if claims is None or not is_consent_id(claims.consent_id):
        raise ApiError(
            unreadable,
            "Unauthorized" if unreadable == 401 else "Not Found",
            "The consent token is not valid (tampered, expired or signed with a retired key).",
            errors=[{"field": "token", "message": "is not a valid consent token"}],
        )
    latest = svc.store.latest(claims.consent_id)
    if latest is None:
        raise http_problem(404, "No consent with this id.")
    return claims, latest.site


@bp.post("/app/devices")
def register_device() -> Response:
    check_origin(None)  # native apps send no Origin; a web page has no business here
    token, device_id = _read(DEVICE_FIELDS, "device_id")
    claims, site_id = _consent_of(token, 401)
    site = services().catalogue.sites.get(site_id)
    if site is None or site.kind != "app":
        raise ApiError(
            403,
            "Forbidden",
            "Only a consent of an app site (kind: app) names a device.",
            errors=[{"field": "token", "message": "belongs to a consent of a web site"}],
        )
    if not links().register_device(claims.consent_id, device_id):
        raise ApiError(
            409,
            "Conflict",
            "This consent is already registered to another installation; record a new consent "
            "for this one.",
            errors=[{"field": "device_id", "message": "differs from the registered one"}],
        )
    log.info("app device registered: consent=%s", services().log_id(claims.consent_id))
    return _json_response({"consent_id": claims.consent_id, "registered": True})


def _check_link_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    tokens = current_app.extensions["kelisim"].settings.customer_link_tokens
    matched = False
    if scheme.lower() == "bearer" and presented:
        for configured in tokens:
            # Every configured token is compared, so timing tells nothing about which one matched.
            if hmac.compare_digest(configured.encode(), presented.strip().encode()):
                matched = True
    if not matched:
        raise ApiError(
            401,
            "Unauthorized",
            "Linking needs the lender's server token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="kelisim-links"'},
        )


@bp.post("/consent/link")
def link_customer() -> Response:
    _check_link_token()
    token, customer_id = _read(LINK_FIELDS, "customer_id")
    claims, _ = _consent_of(token, 404)
    count = links().link(claims.consent_id, customer_id)
    log.info("consent linked to a customer: consent=%s", services().log_id(claims.consent_id))
    return _json_response({"consent_id": claims.consent_id, "linked_consents": count})
