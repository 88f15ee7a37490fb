"""Microsoft Clarity: tag bootstrap, clarity.js, `<letter>.clarity.ms/collect`, the c.gif sync."""

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
CLARITY_VERSION = "0.8.9"
# Clarity's upload hosts seen on real sites (a.–z.clarity.ms); the fake client uses "k".
COLLECT_LETTERS = ("a", "d", "h", "i", "j", "k", "l", "m", "r", "t", "z")


def www(request: Request) -> Response:
    match = re.fullmatch(r"/tag/(\w+)", request.path)
    if not match:
        return not_found()
    response = javascript("clarity-tag.js", PROJECT=match.group(1), VERSION=CLARITY_VERSION)
    third_party_cookie(response, request, "CLID", max_age=YEAR, domain="www.clarity.ms")
    return response


def scripts(request: Request) -> Response:
    if re.fullmatch(r"/[\d.]+/clarity\.js", request.path):
        return javascript("clarity.js")
    return not_found()


def collect(request: Request) -> Response:
    if request.path == "/collect":
        return empty()
    return not_found()


def sync_pixel(domain: str) -> Handler:
    def handler(request: Request) -> Response:
        if request.path != "/c.gif":
            return not_found()
        response = pixel()
        third_party_cookie(response, request, "MUID", max_age=YEAR, domain=domain)
        if domain == ".clarity.ms":
            third_party_cookie(response, request, "ANONCHK", max_age=600, domain="c.clarity.ms")
        return response

    return handler


HOSTS: dict[str, Handler] = {
    "www.clarity.ms": www,
    "scripts.clarity.ms": scripts,
    "c.clarity.ms": sync_pixel(".clarity.ms"),
    "c.bing.com": sync_pixel(".bing.com"),
    **{f"{letter}.clarity.ms": collect for letter in COLLECT_LETTERS},
}
