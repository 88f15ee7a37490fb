"""Top.Mail.Ru (the VK Ads pixel, also myTarget's): code.js, `/counter` and `/tracker` images."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import Handler, javascript, not_found, pixel, third_party_cookie


def top_mail_ru(request: Request) -> Response:
    if request.path == "/js/code.js":
        return javascript("tmr-code.js")
    if request.path == "/js/dyn-goal-config.js":
        return javascript("tmr-dyn-goal-config.js")
    if request.path in ("/counter", "/tracker"):
        response = pixel()
        # VID is only observed, its lifetime unknown (Mail.ru documents none): a session cookie.
        third_party_cookie(response, request, "VID", max_age=None)
        return response
    return not_found()


HOSTS: dict[str, Handler] = {"top-fwz1.mail.ru": top_mail_ru}
