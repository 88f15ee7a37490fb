"""The OpenAPI 3.1 description of /api/v1, built from the live catalogue.

Enums for sites, languages and vendor ids come from the catalogue the server runs with, so the
document describes exactly what this server accepts and a fuzzer (schemathesis) can tell a valid
request from an invalid one. The input patterns live here and the API validates with the same
constants, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from kelisim.domain.catalogue import CONSENT_MODE_TYPES
from kelisim.domain.consent import ACTIONS, Status
from kelisim.web.api.openapi_integrations import extend

# 8–64 characters chosen by the client; the idempotency key of one click.
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
# 18 bytes in base64url: 144 bits, because the id is the only key to a receipt (ASVS 5.0 11.5.1).
CONSENT_ID_PATTERN = r"^[A-Za-z0-9_-]{24}$"
PAGE_MAX_LENGTH = 2048
# An absolute http(s) URL with a host, or an absolute path; no whitespace or control characters.
PAGE_PATTERN = (
    r"^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f/?#]+[^\x00-\x20\x7f]*|/[^\x00-\x20\x7f]*)$"
)
TOKEN_MAX_LENGTH = 4096
# GET /config?detail=: "full" (the default) for everything, "banner" for the lean first layer.
CONFIG_DETAILS = ("full", "banner")

VERIFY_REASONS = ("invalid_token", "unknown_consent", "stale_revision", "expired", "blocked")

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _schemas(sites: list[str], languages: list[str], vendor_ids: list[str]) -> dict[str, Any]:
    vendor_id = {"type": "string", "enum": vendor_ids} if vendor_ids else {"type": "string"}
    language = {"type": "string", "enum": languages} if languages else {"type": "string"}
    site = {"type": "string", "enum": sites} if sites else {"type": "string"}
    statuses = [status.value for status in Status]
    strings = {"type": "array", "items": {"type": "string"}}
    domains = {**strings, "description": "Domain families: each domain and every host under it."}
    urls = {**strings, "description": "host/path prefixes on hosts shared with other services."}
    consent_mode = {
        "type": "array",
        "items": {"enum": list(CONSENT_MODE_TYPES)},
        "description": "Consent Mode v2 types this vendor's grant sets to granted.",
    }
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "errors"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "additionalProperties": False,
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                "current_revision": {"type": "integer"},
                "correlation_id": {"type": "string"},
            },
        },
        "Config": {
            "type": "object",
            "required": [
                "site",
                "revision",
                "consent_revision",
                "hash",
                "language",
                "languages",
                "consent_lifetime_days",
                "cookie_domain",
                "operator",
                "texts",
                "purposes",
                "vendors",
            ],
            "properties": {
                "site": site,
                "revision": {"type": "integer", "minimum": 1},
                "consent_revision": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Choices made on this revision's banner or a later one stand.",
                },
                "hash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                "language": language,
                "languages": {"type": "array", "items": language, "minItems": 1},
                "consent_lifetime_days": {"type": "integer", "minimum": 1},
                "cookie_domain": {"type": ["string", "null"]},
                "operator": {
                    "type": "object",
                    "required": ["name", "privacy_policy_url"],
                    "properties": {
                        "name": {"type": "string"},
                        "privacy_policy_url": {"type": ["string", "null"]},
                    },
                },
                "texts": {"type": "object", "additionalProperties": {"type": "string"}},
                "purposes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "required", "name", "description"],
                        "properties": {
                            "id": {"type": "string"},
                            "required": {"type": "boolean"},
                            "name": {"type": "string"},
                            "description": {"type": "string"},
                        },
                    },
                },
                "vendors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "id",
                            "name",
                            "company",
                            "country",
                            "data_leaves_kz",
                            "purposes",
                            "description",
                            "privacy_policy_url",
                            "consent_api",
                            "hosts",
                            "cookies",
                            "storage",
                        ],
                        "properties": {
                            "id": vendor_id,
                            "name": {"type": "string"},
                            "company": {"type": "string"},
                            "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
                            "data_leaves_kz": {"type": "boolean"},
                            "purposes": {"type": "array", "items": {"type": "string"}},
                            "description": {"type": "string"},
                            "privacy_policy_url": {"type": ["string", "null"]},
                            "consent_api": {"type": ["string", "null"]},
                            "consent_mode": consent_mode,
                            "hosts": {"type": "array", "items": {"type": "string"}},
                            "domains": domains,
                            "urls": urls,
                            "paths": {"type": "array", "items": {"type": "string"}},
                            "cookies": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "match", "party", "lifetime_seconds"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "match": {"enum": ["exact", "prefix"]},
                                        "party": {"enum": ["first", "third"]},
                                        "lifetime_seconds": {"type": ["integer", "null"]},
                                        "domain": {"type": ["string", "null"]},
                                    },
                                },
                            },
                            "storage": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["kind", "key", "match"],
                                    "properties": {
                                        "kind": {"enum": ["local", "session", "indexeddb"]},
                                        "key": {"type": "string"},
                                        "match": {"enum": ["exact", "prefix"]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "BannerConfig": {
            "type": "object",
            "description": "detail=banner: what the first layer and tag gating need, nothing more.",
            "additionalProperties": False,
            "required": [
                "detail",
                "site",
                "revision",
                "consent_revision",
                "language",
                "languages",
                "consent_lifetime_days",
                "cookie_domain",
                "operator",
                "texts",
                "vendors",
            ],
            "properties": {
                "detail": {"const": "banner"},
                "site": site,
                "revision": {"type": "integer", "minimum": 1},
                "consent_revision": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Choices made on this revision's banner or a later one stand.",
                },
                "language": language,
                "languages": {"type": "array", "items": language, "minItems": 1},
                "consent_lifetime_days": {"type": "integer", "minimum": 1},
                "cookie_domain": {"type": ["string", "null"]},
                "operator": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["privacy_policy_url"],
                    "properties": {"privacy_policy_url": {"type": ["string", "null"]}},
                },
                "texts": {"type": "object", "additionalProperties": {"type": "string"}},
                "vendors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "purposes"],
                        "properties": {
                            "id": vendor_id,
                            "purposes": {"type": "array", "items": {"type": "string"}},
                            "hosts": {"type": "array", "items": {"type": "string"}},
                            "domains": domains,
                            "urls": urls,
                            "paths": {"type": "array", "items": {"type": "string"}},
                            "consent_mode": consent_mode,
                            "consent_api": {"type": "string"},
                        },
                    },
                },
            },
        },
        "ConsentRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["site", "revision", "language", "action", "event_id"],
            "properties": {
                "site": site,
                "revision": {
                    "type": "integer",
                    "description": "The revision whose banner the visitor answered; an earlier "
                    "one is recorded as such, one never published is a 409.",
                },
                "language": language,
                "action": {"type": "string", "enum": list(ACTIONS)},
                "choices": {
                    "type": ["object", "null"],
                    "description": (
                        "Vendor id -> granted; required (an object) for custom, missing = false; "
                        "null or absent for the other actions."
                    ),
                    "propertyNames": vendor_id,
                    "additionalProperties": {"type": "boolean"},
                },
                "event_id": {"type": "string", "pattern": EVENT_ID_PATTERN},
                "gpc": {"type": "boolean"},
                "page": {
                    "type": ["string", "null"],
                    "maxLength": PAGE_MAX_LENGTH,
                    "pattern": PAGE_PATTERN,
                    "description": "Stored without its query string, fragment and user info.",
                },
                "consent_id": {
                    "type": ["string", "null"],
                    "pattern": CONSENT_ID_PATTERN,
                    "description": "An existing consent of the same site to add this event to.",
                },
            },
            "if": {"properties": {"action": {"const": "custom"}}, "required": ["action"]},
            "then": {"required": ["choices"], "properties": {"choices": {"type": "object"}}},
        },
        "ConsentResponse": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "consent_id",
                "token",
                "expires",
                "status",
                "granted",
                "receipt_url",
                "revision",
                "current_revision",
                "holds",
            ],
            "properties": {
                "consent_id": {"type": "string", "pattern": CONSENT_ID_PATTERN},
                "token": {"type": "string"},
                "expires": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": statuses},
                "granted": {"type": "array", "items": vendor_id},
                "receipt_url": {"type": "string", "format": "uri"},
                "revision": {
                    "type": "integer",
                    "description": "The revision whose banner was answered: what the visitor saw.",
                },
                "current_revision": {"type": "integer"},
                "holds": {
                    "type": "boolean",
                    "description": "False when a material revision was published after the one "
                    "answered: the choice is kept as proof and the next page view asks again.",
                },
            },
        },
        "VerifyRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["token"],
            "properties": {
                "token": {"type": "string", "minLength": 1, "maxLength": TOKEN_MAX_LENGTH}
            },
        },
        "VerifyResponse": {
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "valid",
                        "consent_id",
                        "revision",
                        "status",
                        "granted",
                        "expires",
                        "token",
                        "current_revision",
                    ],
                    "properties": {
                        "valid": {"const": True},
                        "current_revision": {"type": "integer"},
                        "consent_id": {"type": "string", "pattern": CONSENT_ID_PATTERN},
                        "revision": {"type": "integer"},
                        "status": {"type": "string", "enum": statuses},
                        "granted": {"type": "array", "items": vendor_id},
                        "expires": {"type": "string", "format": "date-time"},
                        "token": {"type": "string"},
                    },
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["valid", "reason"],
                    "properties": {
                        "valid": {"const": False},
                        "current_revision": {
                            "type": "integer",
                            "description": "With stale_revision: the revision to load instead.",
                        },
                        "reason": {"type": "string", "enum": list(VERIFY_REASONS)},
                    },
                },
            ]
        },
        "ConsentEvent": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "seq",
                "event_id",
                "action",
                "status",
                "granted",
                "grants",
                "purposes",
                "revision",
                "catalogue_hash",
                "language",
                "page",
                "gpc",
                "region",
                "device_class",
                "recorded_at",
                "expires",
                "hash",
                "leaf_index",
            ],
            "properties": {
                "seq": {"type": "integer"},
                "event_id": {"type": "string"},
                "action": {"type": "string", "enum": list(ACTIONS)},
                "status": {"type": "string", "enum": statuses},
                "granted": {"type": "array", "items": {"type": "string"}},
                "grants": {"type": "object", "additionalProperties": {"type": "boolean"}},
                "purposes": {
                    "type": "object",
                    "additionalProperties": {"enum": ["granted", "denied", "partial"]},
                },
                "revision": {"type": "integer"},
                "catalogue_hash": {"type": "string"},
                "language": {"type": "string"},
                "page": {"type": ["string", "null"]},
                "gpc": {"type": "boolean"},
                "region": {"type": ["string", "null"]},
                "device_class": {"type": "string"},
                "recorded_at": {"type": "string", "format": "date-time"},
                "expires": {"type": "string", "format": "date-time"},
                "hash": {"type": "string", "description": "RFC 6962 leaf hash, hex."},
                "leaf_index": {"type": "integer", "minimum": 0},
            },
        },
        "ConsentProof": {
            "type": "object",
            "description": "Each event's leaf and RFC 6962 inclusion proof to a signed checkpoint "
            "(kelisim-consent-proof/1; docs/log.md). Check it with `kelisim log verify-receipt`.",
            "required": [
                "format",
                "origin",
                "verifier_key",
                "tree_size",
                "root_hash",
                "checkpoint",
                "events",
            ],
            "properties": {
                "format": {"const": "kelisim-consent-proof/1"},
                "origin": {"type": "string"},
                "verifier_key": {"type": "string"},
                "tree_size": {"type": "integer", "minimum": 1},
                "root_hash": {"type": "string"},
                "checkpoint": {"type": "string", "description": "C2SP signed checkpoint."},
                "events": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["leaf_index", "leaf", "inclusion_proof"],
                        "properties": {
                            "leaf_index": {"type": "integer", "minimum": 0},
                            "leaf": {"type": "string"},
                            "inclusion_proof": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "ConsistencyProof": {
            "type": "object",
            "additionalProperties": False,
            "required": ["from", "to", "proof"],
            "properties": {
                "from": {"type": "integer", "minimum": 1},
                "to": {"type": "integer", "minimum": 1},
                "proof": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ConsentHistory": {
            "type": "object",
            "additionalProperties": False,
            "required": ["consent_id", "site", "current", "events", "receipt_url"],
            "properties": {
                "consent_id": {"type": "string", "pattern": CONSENT_ID_PATTERN},
                "site": {"type": "string"},
                "receipt_url": {"type": "string", "format": "uri"},
                "current": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "status",
                        "granted",
                        "revision",
                        "recorded_at",
                        "expires",
                        "valid",
                    ],
                    "properties": {
                        "status": {"type": "string", "enum": statuses},
                        "granted": {"type": "array", "items": {"type": "string"}},
                        "revision": {"type": "integer"},
                        "recorded_at": {"type": "string", "format": "date-time"},
                        "expires": {"type": "string", "format": "date-time"},
                        "valid": {
                            "type": "boolean",
                            "description": "Given, unexpired and of the current revision.",
                        },
                    },
                },
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/ConsentEvent"},
                },
                "proof": {
                    "anyOf": [{"$ref": "#/components/schemas/ConsentProof"}, {"type": "null"}]
                },
            },
        },
    }


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


_OPTIONAL_TEXT: dict[str, Any] = {"type": ["string", "null"]}
_LIST_OF_OBJECTS: dict[str, Any] = {"type": "array", "items": {"type": "object"}}

# What kelisim.services.scans.validate accepts, so a fuzzer's schema-valid report is one the server
# stores.
SCAN_REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["schema", "findings"],
    "properties": {
        "schema": {"const": "kelisim-scan/1"},
        "started_at": _OPTIONAL_TEXT,
        "finished_at": _OPTIONAL_TEXT,
        "summary": {"type": "object"},
        "target": {"type": "object"},
        "catalogue": {"type": "object"},
        "declaration": _LIST_OF_OBJECTS,
        "observations": _LIST_OF_OBJECTS,
        "findings": {
            "type": "array",
            "maxItems": 50_000,
            "items": {
                "type": "object",
                "required": ["id", "rule", "severity", "state"],
                "properties": {
                    "id": _text(64),
                    "rule": _text(16),
                    "severity": _text(16),
                    "state": _text(32),
                    "vendor": {"anyOf": [_text(64), {"type": "null"}]},
                    "page": _OPTIONAL_TEXT,
                    "artefact": _OPTIONAL_TEXT,
                    "message": _OPTIONAL_TEXT,
                    "waived": _OPTIONAL_TEXT,
                    "evidence": {"type": "object"},
                },
            },
        },
    },
}


def build(catalogue: Any | None = None) -> dict[str, Any]:
    """The OpenAPI document; with a catalogue, its sites, languages and vendors become enums."""
    sites = sorted(catalogue.sites) if catalogue is not None else []
    languages = list(catalogue.languages) if catalogue is not None else []
    vendor_ids = list(catalogue.vendor_ids) if catalogue is not None else []
    consent_id_param = {
        "name": "consent_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": CONSENT_ID_PATTERN},
        "description": f"A consent id ({CONSENT_ID_PATTERN}); anything else is a 400.",
    }
    no_store = {"Cache-Control": {"schema": {"type": "string", "const": "no-store"}}}
    schemas = _schemas(sites, languages, vendor_ids)
    if catalogue is not None:
        # The current revision is what a fresh banner sends (an unpublished one is the documented
        # 409), so say so: a client or fuzzer generating from this document reaches the
        # recording path.
        schemas["ConsentRequest"]["properties"]["revision"]["const"] = catalogue.revision
    json_body_errors = {
        "400": _problem_response("Malformed JSON, duplicate keys or invalid fields (all listed)."),
        "403": _problem_response("The Origin header is not allowed for this site."),
        "413": _problem_response("The body is larger than the configured limit (16 KiB)."),
        "415": _problem_response("The body is not application/json."),
        "503": _problem_response("The consent log is unreachable; nothing was recorded."),
        "default": _problem_response("Any other error, as a problem document."),
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Kelisim consent API",
            "version": "1",
            "description": (
                "Records cookie and tracker consent in an append-only Merkle log (RFC 6962) with "
                "signed checkpoints and proofs, and issues signed consent tokens. Errors are RFC "
                "9457 problem documents."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/config": {
                "get": {
                    "operationId": "getConfig",
                    "summary": "The banner configuration of a site in one language",
                    "parameters": [
                        {
                            "name": "site",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": sites}
                            if sites
                            else {"type": "string"},
                            "description": "Defaults to `default`.",
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": languages}
                            if languages
                            else {"type": "string"},
                            "description": "Defaults to the best Accept-Language match.",
                        },
                        {
                            "name": "detail",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(CONFIG_DETAILS)},
                            "description": (
                                "`full` (the default): everything the banner shows; `banner`: the "
                                "lean first layer (BannerConfig) that cmp.js embeds."
                            ),
                        },
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/Config"},
                                    {"$ref": "#/components/schemas/BannerConfig"},
                                ]
                            },
                            "The configuration (BannerConfig for detail=banner).",
                            {
                                "ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}},
                            },
                        ),
                        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                        "400": _problem_response("Unknown site, language or detail."),
                        "default": _problem_response("Any other error, as a problem document."),
                    },
                }
            },
            "/consent": {
                "post": {
                    "operationId": "recordConsent",
                    "summary": "Record one consent event (idempotent on event_id)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ConsentRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"$ref": "#/components/schemas/ConsentResponse"},
                            "Recorded.",
                            no_store,
                        ),
                        "200": _json(
                            {"$ref": "#/components/schemas/ConsentResponse"},
                            "Already recorded (a retry of the same event_id).",
                            no_store,
                        ),
                        "409": _problem_response(
                            "Stale revision (`current_revision` says which is current), or the "
                            "event_id was used before with other content."
                        ),
                        "429": _problem_response(
                            "Too many consent requests from this network or for this consent; "
                            "`Retry-After` says when to try again."
                        ),
                        **json_body_errors,
                    },
                }
            },
            "/consent/verify": {
                "post": {
                    "operationId": "verifyConsent",
                    "summary": "The latest state of the consent a token belongs to",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/VerifyRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/VerifyResponse"},
                            "Whether the consent holds; a fresh token when it changed since.",
                            no_store,
                        ),
                        **json_body_errors,
                    },
                }
            },
            "/consent/{consent_id}": {
                "get": {
                    "operationId": "getConsentHistory",
                    "summary": "Every event of one consent, oldest first",
                    "parameters": [consent_id_param],
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/ConsentHistory"},
                            "The history.",
                            no_store,
                        ),
                        "400": _problem_response("Malformed consent id."),
                        "404": _problem_response("No consent with that id."),
                        "default": _problem_response("Any other error, as a problem document."),
                    },
                }
            },
            "/scans": {
                "post": {
                    "operationId": "uploadScan",
                    "summary": "Store a scanner run (report.json, schema kelisim-scan/1)",
                    "description": "For `kelisim scan --upload`: needs `Authorization: Bearer "
                    "<token>` with a token from KELISIM_SCAN_UPLOAD_TOKENS; bodies up to 20 MB.",
                    "security": [{"scanUpload": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": SCAN_REPORT}},
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["id", "url"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "url": {"type": "string"},
                                },
                            },
                            "Stored; `url` is the run's page in the admin UI.",
                        ),
                        "400": _problem_response("Not JSON, or not a kelisim-scan/1 report."),
                        "401": _problem_response("Missing or unknown upload token."),
                        "413": _problem_response("The report is larger than 20 MB."),
                        "415": _problem_response("The body is not application/json."),
                        "default": _problem_response("Any other error, as a problem document."),
                    },
                }
            },
            "/log/checkpoint": {
                "get": {
                    "operationId": "getLogCheckpoint",
                    "summary": "The newest signed checkpoint of the consent log",
                    "description": "A C2SP tlog-checkpoint in a signed note (Ed25519): origin, "
                    "tree size, base64 root hash, signature. Go's sumdb/note verifies it.",
                    "responses": {
                        "200": {
                            "description": "The signed checkpoint.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "503": _problem_response("No checkpoint could be signed right now."),
                        "default": _problem_response("Any other error, as a problem document."),
                    },
                }
            },
            "/log/key": {
                "get": {
                    "operationId": "getLogKey",
                    "summary": "The log's verifier keys: the current one first, then older ones",
                    "responses": {
                        "200": {
                            "description": "One `name+hash+base64` verifier key per line.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            "/log/consistency": {
                "get": {
                    "operationId": "getLogConsistency",
                    "summary": "RFC 6962 proof that the tree of `to` leaves extends that of `from`",
                    "parameters": [
                        {
                            "name": name,
                            "in": "query",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                        for name in ("from", "to")
                    ],
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/ConsistencyProof"},
                            "The proof (base64 hashes, leaf level first).",
                        ),
                        "400": _problem_response("Missing or impossible sizes."),
                        "default": _problem_response("Any other error, as a problem document."),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"scanUpload": {"type": "http", "scheme": "bearer"}},
        },
    }
    # Native-app endpoints and region rules (kelisim.web.api.openapi_integrations).
    return extend(document)
