"""Google's hosts: Tag Manager (gtm.js, gtag/js, ns.html), GA4 collect, and Firebase (CDN, APIs)."""

from __future__ import annotations

import re
import secrets

from werkzeug.wrappers import Request, Response

from kelisim.demo import ids
from kelisim.demo.fake_hosts.common import (
    Handler,
    empty,
    html,
    javascript,
    json_response,
    not_found,
)

NS_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>ns</title></head>
<body><!-- fake Google Tag Manager noscript frame for %s --></body></html>"""


def tag_manager(request: Request) -> Response:
    if request.path == "/gtm.js":
        return javascript(
            "gtm.js",
            CONTAINER=request.args.get("id", ids.GTM_CONTAINER),
            COUNTER=ids.YANDEX_COUNTER,
        )
    if request.path == "/gtag/js":
        return javascript("gtag.js")
    if request.path == "/ns.html":
        return html(NS_HTML % request.args.get("id", "?"))
    if request.path == "/td":
        return empty()
    return not_found()


def analytics_collect(request: Request) -> Response:
    """GA4 answers its `/g/collect` hits with an empty 204 and sets no cookie of its own."""
    if request.path == "/g/collect":
        return empty()
    return not_found()


def gstatic(request: Request) -> Response:
    match = re.fullmatch(
        r"/firebasejs/[\d.]+/(firebase-(?:app|analytics)(?:-compat)?)\.js", request.path
    )
    if not match:
        return not_found()
    return javascript("firebase-app.js" if "app" in match.group(1) else "firebase-analytics.js")


def firebase_config(request: Request) -> Response:
    """The webConfig endpoint Analytics asks for the measurement id when it was not configured."""
    if re.fullmatch(r"/v1alpha/projects/[^/]+/apps/[^/]+/webConfig", request.path):
        return json_response(
            {
                "projectId": ids.FIREBASE_PROJECT,
                "appId": ids.FIREBASE_APP_ID,
                "measurementId": ids.FIREBASE_MEASUREMENT,
            }
        )
    return not_found()


def firebase_installations(request: Request) -> Response:
    if (
        re.fullmatch(r"/v1/projects/[^/]+/installations/?", request.path)
        and request.method == "POST"
    ):
        fid = "c" + secrets.token_urlsafe(16)[:21]
        return json_response(
            {
                "name": f"projects/{ids.FIREBASE_PROJECT}/installations/{fid}",
                "fid": fid,
                "refreshToken": secrets.token_urlsafe(24),
                "authToken": {"token": secrets.token_urlsafe(32), "expiresIn": "604800s"},
            }
        )
    return not_found()


HOSTS: dict[str, Handler] = {
    "www.googletagmanager.com": tag_manager,
    "region1.google-analytics.com": analytics_collect,
    "www.google-analytics.com": analytics_collect,
    "region1.analytics.google.com": analytics_collect,
    "www.gstatic.com": gstatic,
    "firebase.googleapis.com": firebase_config,
    "firebaseinstallations.googleapis.com": firebase_installations,
}
