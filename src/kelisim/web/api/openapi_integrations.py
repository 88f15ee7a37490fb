"""The OpenAPI parts of the native-app endpoints and of region rules, added to
kelisim.web.api.openapi's document by `extend` so the core document stays one readable literal."""

from __future__ import annotations

from typing import Any

from kelisim.services.links import IDENTIFIER_MAX_LENGTH

TOKEN_MAX_LENGTH = 4096

REGION = {
    "type": "object",
    "description": "The region rule (catalogue `regions:`) the server chose from the address.",
    "additionalProperties": False,
    "required": ["rule", "implied_consent"],
    "properties": {"rule": {"type": "string"}, "implied_consent": {"type": "boolean"}},
}
HIDDEN = {
    "type": "boolean",
    "description": "Not offered in the visitor's region; still gated, never granted.",
}


def _identifier(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": IDENTIFIER_MAX_LENGTH,
        "description": description,
    }


def _request(identifier: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["token", identifier],
        "properties": {
            "token": {
                "type": "string",
                "minLength": 1,
                "maxLength": TOKEN_MAX_LENGTH,
                "description": "The consent token from POST /consent or /consent/verify.",
            },
            identifier: _identifier(description),
        },
    }


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        "headers": {"Cache-Control": {"schema": {"type": "string", "const": "no-store"}}},
    }


def extend(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    for name in ("Config", "BannerConfig"):
        schemas[name]["properties"]["region"] = REGION
        schemas[name]["properties"]["vendors"]["items"].setdefault("properties", {})["hidden"] = (
            HIDDEN
        )
    schemas["ConsentEvent"]["properties"]["region_rule"] = {
        "type": ["string", "null"],
        "description": "The region rule that decided this event, if any.",
    }
    schemas["AppDeviceRequest"] = _request(
        "device_id",
        "The app's own installation id; only an HMAC of it is stored.",
    )
    schemas["CustomerLinkRequest"] = _request(
        "customer_id",
        "The lender's id of the logged-in customer; only an HMAC of it is stored.",
    )
    errors = {
        "400": _problem("Malformed JSON or invalid fields (all listed)."),
        "413": _problem("The body is larger than the configured limit (16 KiB)."),
        "415": _problem("The body is not application/json."),
        "default": _problem("Any other error, as a problem document."),
    }
    document["paths"]["/app/devices"] = {
        "post": {
            "operationId": "registerAppDevice",
            "summary": "Name the app installation a consent of an app site belongs to",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/AppDeviceRequest"}
                    }
                },
            },
            "responses": {
                "200": _ok(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["consent_id", "registered"],
                        "properties": {
                            "consent_id": {"type": "string"},
                            "registered": {"const": True},
                        },
                    },
                    "Registered (again: a retry with the same device id is fine).",
                ),
                "401": _problem("The consent token is tampered or expired."),
                "403": _problem("Sent by a web page (an Origin header), or a web consent."),
                "404": _problem("The token's consent is not in the log."),
                "409": _problem("The consent is registered to another installation."),
                **errors,
            },
        }
    }
    document["paths"]["/consent/link"] = {
        "post": {
            "operationId": "linkConsentToCustomer",
            "summary": "Link a consent (web or app) to a logged-in customer of the lender",
            "description": "For the lender's servers: needs `Authorization: Bearer <token>` with a "
            "token from KELISIM_CUSTOMER_LINK_TOKENS. A withdrawal of any linked consent is "
            "then appended to every other consent of the customer.",
            "security": [{"customerLink": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/CustomerLinkRequest"}
                    }
                },
            },
            "responses": {
                "200": _ok(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["consent_id", "linked_consents"],
                        "properties": {
                            "consent_id": {"type": "string"},
                            "linked_consents": {"type": "integer", "minimum": 1},
                        },
                    },
                    "Linked; how many consents the customer has linked now.",
                ),
                "401": _problem("Missing or unknown link token."),
                "404": _problem("The consent token is not valid or its consent is unknown."),
                **errors,
            },
        }
    }
    document["components"].setdefault("securitySchemes", {})["customerLink"] = {
        "type": "http",
        "scheme": "bearer",
    }
    return document
