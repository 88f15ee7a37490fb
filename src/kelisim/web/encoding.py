"""Content-encoding of Kelisim's text assets (/cmp.js, /cmp.css, the receipt stylesheet).

Most deployments of `kelisim serve --production` have no compressing proxy in front, and /cmp.js is
on the critical path of every page of the site, so Kelisim compresses its own assets: each one is
compressed once, with brotli at its best quality and gzip at level 9, and the variants are kept with
the asset (src/kelisim/web/banner.py memoises one asset per site and language, whose embedded config
changes with every published revision, so the variants cannot be made at build time). Each variant
has an ETag of its own (the identity ETag plus `-br` / `-gz`), as RFC 9110 asks of different
representations, and every response says `Vary: Accept-Encoding` so that shared caches keep them
apart. Nothing here knows Flask: the web edge passes the request's Accept-Encoding in.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

import brotli

# Our preference when the client accepts several at the same weight: brotli is ~15% smaller.
PREFERENCE = ("br", "gzip")
SUFFIX = {"br": "-br", "gzip": "-gz"}
# Below this, the headers cost more than compression saves.
MIN_SIZE = 512


@dataclass(frozen=True)
class Variant:
    body: bytes
    etag: str
    encoding: str | None  # None: identity


@dataclass(frozen=True)
class Encoded:
    """One asset in every encoding it is worth sending in."""

    identity: Variant
    compressed: dict[str, Variant] = field(default_factory=dict)

    def choose(self, accept_encoding: str | None) -> Variant:
        """The smallest variant the client accepts (q > 0), else identity."""
        accepted = accepted_encodings(accept_encoding)
        for name in PREFERENCE:
            if name in self.compressed and accepted.get(name, 0) > 0:
                return self.compressed[name]
        return self.identity

    def by_etag(self, etag: str) -> Variant | None:
        for variant in (self.identity, *self.compressed.values()):
            if variant.etag == etag:
                return variant
        return None


def encode(body: bytes, etag: str) -> Encoded:
    """Compress `body` (identity ETag `etag`); a variant that does not shrink it is left out."""
    identity = Variant(body=body, etag=etag, encoding=None)
    if len(body) < MIN_SIZE:
        return Encoded(identity)
    made = {
        "br": brotli.compress(body, quality=11, mode=brotli.MODE_TEXT),
        "gzip": gzip.compress(body, compresslevel=9, mtime=0),
    }
    compressed = {
        name: Variant(body=data, etag=etag + SUFFIX[name], encoding=name)
        for name, data in made.items()
        if len(data) < len(body)
    }
    return Encoded(identity, compressed)


def accepted_encodings(header: str | None) -> dict[str, float]:
    """Accept-Encoding as {coding: q}; `*` stands for every coding not named. Malformed q = 0."""
    found: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        found[name] = quality
    if "*" in found:
        for name in PREFERENCE:
            found.setdefault(name, found["*"])
    if "x-gzip" in found:
        found.setdefault("gzip", found["x-gzip"])
    return found
