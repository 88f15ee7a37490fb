"""VK's legacy retargeting pixel: openapi.js and the `/rtrg` image that carries `remixstid`."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import Handler, javascript, not_found, pixel, third_party_cookie


def vk(request: Request) -> Response:
    if request.path == "/js/api/openapi.js":
        return javascript("vk-openapi.js")
    if request.path == "/rtrg":
        response = pixel()
        # remixstid's lifetime is not documented: a session cookie, not a guess.
        third_party_cookie(response, request, "remixstid", max_age=None, domain=".vk.com")
        return response
    return not_found()


HOSTS: dict[str, Handler] = {"vk.com": vk}
