"""Yandex Metrica: tag.js, the `/watch/<counter>` hits and Webvisor, with the .yandex.ru cookie."""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import (
    Handler,
    empty,
    javascript,
    not_found,
    pixel,
    third_party_cookie,
)

YEAR = 365 * 24 * 3600


def metrika(request: Request) -> Response:
    if request.path in ("/metrika/tag.js", "/metrika/tag_ww.js"):
        return javascript("metrika-tag.js")
    if re.fullmatch(r"/(watch|webvisor|clmap)/\d+", request.path):
        response = pixel() if request.method == "GET" else empty()
        # yandexuid is Yandex's cross-site identifier on .yandex.ru (1 year, as vendors.yaml says).
        third_party_cookie(response, request, "yandexuid", max_age=YEAR, domain=".yandex.ru")
        return response
    return not_found()


HOSTS: dict[str, Handler] = {"mc.yandex.ru": metrika}
