"""Security headers on every response (ASVS 5.0 3.4.1–3.4.6).

Pages that know what they load set their own Content-Security-Policy (the receipt: no scripts at
all; the admin UI: per-response nonce + 'strict-dynamic'), and this module never weakens them: it
only fills in what a response lacks. The default CSP is the strict one: a fresh nonce per response,
'strict-dynamic', no objects, no <base>, no framing. A response that is no HTML document (the
consent API's JSON, /cmp.js, a problem document) gets one fixed policy that forbids everything: a
browser that opened it as a document must run nothing, so it needs no nonce, and the consent POST,
the hottest path there is, does not pay for one. HSTS is sent in production (TLS is terminated in
front of us, so `request.is_secure` may be false there) and on any HTTPS request.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

HSTS = "max-age=31536000; includeSubDomains"  # one year, as ASVS 5.0 3.4.1 (L2) asks


def csp_nonce() -> str:
    """This response's nonce, drawn once: the admin shell's pages and policy use the same one."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def default_csp(nonce: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


# For everything that is not an HTML document; nothing in it may load or run.
NON_DOCUMENT_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"


def init_app(app: Flask, *, production: bool) -> None:
    """Register the header filler; call before the blueprints so it runs after theirs."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        # One look at the names already set, not one scan of the headers per name (every
        # response, every consent POST included, passes here).
        present = {name.lower() for name, _ in headers.items()}
        if "content-security-policy" not in present:
            # A nonce already handed to a template is honoured whatever the type said.
            document = response.mimetype == "text/html" or "csp_nonce" in g
            csp = default_csp(csp_nonce()) if document else NON_DOCUMENT_CSP
            headers.add("Content-Security-Policy", csp)
        if "x-content-type-options" not in present:
            headers.add("X-Content-Type-Options", "nosniff")
        if "referrer-policy" not in present:
            headers.add("Referrer-Policy", "no-referrer")
        if (production or request.is_secure) and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        return response

    app.jinja_env.globals.setdefault("csp_nonce", csp_nonce)
