"""Amplitude Browser SDK 2: the CDN bundle and the `/2/httpapi` ingestion endpoint."""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import Handler, javascript, json_response, not_found


def cdn(request: Request) -> Response:
    if re.fullmatch(r"/libs/analytics-browser-[\w.-]+\.js(\.gz)?", request.path) or re.fullmatch(
        r"/script/\w+\.js", request.path
    ):
        return javascript("amplitude-browser.js")
    return not_found()


def api(request: Request) -> Response:
    if request.path in ("/2/httpapi", "/batch"):
        return json_response({"code": 200, "events_ingested": 1, "server_upload_time": 0})
    return not_found()


HOSTS: dict[str, Handler] = {"cdn.amplitude.com": cdn, "api2.amplitude.com": api}
