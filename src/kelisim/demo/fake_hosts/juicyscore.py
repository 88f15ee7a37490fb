"""JuicyScore's anti-fraud script and its `/savedata/` endpoint (no cookie names are published)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import Handler, javascript, json_response, not_found, pixel


def score(request: Request) -> Response:
    if request.path == "/static/js.js":
        return javascript("juicyscore.js")
    if request.path.rstrip("/") == "/savedata":
        return pixel() if request.method == "GET" else json_response({"success": True})
    return not_found()


HOSTS: dict[str, Handler] = {
    "score.juicyscore.com": score,
    "score.juicyscore.net": score,
    "score.jcsc.online": score,
}
