"""Which pages a scan visits: the start URLs, their sitemap.xml, and same-site links found on the
way, breadth first, within `--pages` and `--depth`.

Only pages of the start URLs' own sites are followed (the scan is about this site's consent, not
about the web); fragments are dropped and query strings kept, since a landing page's tags often
depend on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from kelisim.scanner.knowledge import site_of

SKIP_EXTENSIONS = (
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".zip", ".doc", ".docx", ".xls",
    ".xlsx", ".mp4", ".mp3", ".css", ".js", ".xml", ".ico",
)  # fmt: skip

_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)


def normalise(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without fragment, or None for anything not worth visiting."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        absolute, _ = urldefrag(absolute)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path.lower().endswith(SKIP_EXTENSIONS):
        return None
    return absolute if parts.path else absolute + "/"


def sitemap_urls(xml_text: str) -> list[str]:
    return _LOC.findall(xml_text or "")


def sitemap_location(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/sitemap.xml"


@dataclass
class Frontier:
    """Breadth-first page queue limited to the start sites, `max_pages` and `max_depth`."""

    start_urls: list[str]
    max_pages: int
    max_depth: int
    _seen: set[str] = field(default_factory=set)
    _depth: dict[str, int] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sites = {site_of(urlsplit(u).hostname or "") for u in self.start_urls}
        for url in self.start_urls:
            self.add(url, 0)

    def same_site(self, url: str) -> bool:
        return site_of(urlsplit(url).hostname or "") in self.sites

    def add(self, url: str, depth: int, base: str | None = None) -> str | None:
        """Add a page if it is new, on the site, shallow enough and within the page budget."""
        page = normalise(url, base)
        if page is None or page in self._seen or depth > self.max_depth:
            return None
        if not self.same_site(page) or len(self._order) >= self.max_pages:
            return None
        self._seen.add(page)
        self._depth[page] = depth
        self._order.append(page)
        return page

    def add_links(self, links: Iterable[str], parent: str) -> list[str]:
        depth = self._depth.get(parent, 0) + 1
        return [p for p in (self.add(link, depth, parent) for link in links) if p]

    def depth(self, page: str) -> int:
        return self._depth.get(page, 0)

    @property
    def pages(self) -> list[str]:
        return list(self._order)
