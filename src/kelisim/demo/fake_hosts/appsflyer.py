"""AppsFlyer's web SDK (People-Based Attribution): the loader, and events on wa.appsflyer.com."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import Handler, javascript, json_response, not_found


def websdk(request: Request) -> Response:
    # The real snippet loads `https://websdk.appsflyer.com?st=pba&af_id=…`: the path is "/".
    if request.path in ("/", "/manifestLoader.v1.js"):
        return javascript("appsflyer-websdk.js")
    return not_found()


def events(request: Request) -> Response:
    # No third-party cookie names are documented for wa.appsflyer.com, so none is set here.
    if request.path == "/events":
        return json_response({"status": "ok"})
    return not_found()


HOSTS: dict[str, Handler] = {
    "websdk.appsflyer.com": websdk,
    "websdk.appsflyersdk.com": websdk,
    "wa.appsflyer.com": events,
}
