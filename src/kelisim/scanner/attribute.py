"""Attribution: which vendor an observation belongs to, and whether anyone declared it.

A host belongs to a vendor when it equals one of the vendor's hosts or is a subdomain of one; a
cookie by its declared name or pattern (and domain, for third-party declarations); storage by its
key, then by the vendor's documented key prefixes (knowledge.KEY_PREFIXES). A shared host is told
apart by path where the path says who it is (knowledge.PATH_VENDORS: `/gtag/js` on GTM's host is
Google Analytics). Some artefacts are shared (www.googletagmanager.com serves GTM, GA4 and
Firebase; `_ga` is set by GA4 and Firebase; top-fwz1.mail.ru is both Mail.ru and myTarget), so
attribution returns every candidate and the rules accept an artefact when any candidate is granted.

Declared-but-necessary artefacts are, in order: the CMP's own (`kelisim_consent`, `kelisim*` keys,
requests to the host serving /cmp.js), vendors whose every purpose is a required one, the site's own
requests (same registrable domain), shared static CDNs (knowledge.SHARED_CDN_HOSTS) and the scan
configuration's `necessary:` allow-list. Anything else not matched is undeclared (V06).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from kelisim.scanner.config import Necessary
from kelisim.scanner.knowledge import (
    host_matches,
    is_shared_cdn,
    path_vendors,
    prefix_vendors,
    site_of,
)
from kelisim.scanner.model import Observation

CMP_COOKIE_PREFIX = "kelisim"
CMP_SCRIPT_PATH = "/cmp.js"


def url_host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


class Attributor:
    """Fills `vendor`, `candidates`, `declared` and `necessary` on observations."""

    def __init__(
        self,
        catalogue: Any,
        necessary: Necessary | None = None,
        site_urls: Iterable[str] = (),
        cmp_hosts: Iterable[str] = (),
    ) -> None:
        self.catalogue = catalogue
        self.necessary = necessary or Necessary()
        self.sites = {site_of(h) for h in (url_host(u) for u in site_urls) if h}
        self.cmp_hosts = {h.lower() for h in cmp_hosts}
        required = {p.id for p in catalogue.purposes if p.required}
        self.required_vendors = {
            v.id for v in catalogue.vendors if v.purposes and set(v.purposes) <= required
        }
        # `domains` (registrable domains and mirrors) is read when the catalogue has it.
        self._hosts: list[tuple[str, str]] = [
            (host.lower().lstrip(".").rstrip("."), v.id)
            for v in catalogue.vendors
            for host in (*v.hosts, *getattr(v, "domains", ()))
        ]
        self._vendor_ids = {v.id for v in catalogue.vendors}
        # Self-hosted tools (Matomo's /matomo.js) are known by their path on the site's own host.
        self._paths: list[tuple[str, str]] = [
            (path, v.id) for v in catalogue.vendors for path in getattr(v, "paths", ())
        ]

    def add_cmp_hosts_from(self, observations: Iterable[Observation]) -> None:
        """The CMP is wherever /cmp.js was fetched from; its API calls are then necessary too."""
        for obs in observations:
            is_request = obs.kind == "request" and obs.url and obs.host
            if is_request and urlsplit(obs.url).path.endswith(CMP_SCRIPT_PATH):
                self.cmp_hosts.add(obs.host.lower())

    def vendors_for_host(self, host: str | None) -> list[str]:
        """Vendors owning `host`; only the most specific matching host counts."""
        if not host:
            return []
        matches = [(len(h), vid) for h, vid in self._hosts if host_matches(host, h)]
        if not matches:
            return []
        best = max(n for n, _ in matches)
        return list(dict.fromkeys(vid for n, vid in matches if n == best))

    def is_first_party(self, host: str | None) -> bool:
        return bool(host) and site_of(host) in self.sites

    def attribute(self, obs: Observation) -> Observation:
        if obs.kind == "cookie":
            self._cookie(obs)
        elif obs.kind == "storage":
            self._storage(obs)
        else:
            self._request(obs)
        if obs.vendor and obs.candidates and set(obs.candidates) <= self.required_vendors:
            obs.necessary = True
        return obs

    def attribute_all(self, observations: Iterable[Observation]) -> None:
        for obs in observations:
            self.attribute(obs)

    def _set(self, obs: Observation, vendors: list[str], declared: bool) -> None:
        obs.candidates = vendors or None
        obs.vendor = vendors[0] if vendors else None
        obs.declared = declared

    def _cookie(self, obs: Observation) -> None:
        name = obs.name or ""
        domain = (obs.host or "").lstrip(".")
        if name.startswith(CMP_COOKIE_PREFIX):
            obs.declared = obs.necessary = True
            return
        by_name = [
            v.id
            for v in self.catalogue.vendors
            for spec in v.cookies
            if spec.matches(name, domain or None)
        ]
        by_host = [] if self.is_first_party(domain) else self.vendors_for_host(domain)
        if by_name:
            # A shared host's cookie (VID on top-fwz1.mail.ru: Mail.ru and myTarget) is set
            # whichever of its vendors was granted, so every owner of the host is a candidate.
            self._set(obs, list(dict.fromkeys([*by_name, *by_host])), True)
            return
        if by_host:
            self._set(obs, by_host, False)
            return
        by_prefix = prefix_vendors(name, self._vendor_ids)
        if by_prefix:
            self._set(obs, by_prefix, False)
            return
        if self.necessary.cookie(name):
            obs.declared = obs.necessary = True

    def _storage(self, obs: Observation) -> None:
        key = obs.name or ""
        kind = obs.storage_kind or "local"
        if key.startswith(CMP_COOKIE_PREFIX):
            obs.declared = obs.necessary = True
            return
        by_key = [
            v.id
            for v in self.catalogue.vendors
            for spec in v.storage
            if spec.kind == kind and spec.matches(key)
        ]
        if by_key:
            self._set(obs, list(dict.fromkeys(by_key)), True)
            return
        host = obs.host
        by_host = [] if self.is_first_party(host) else self.vendors_for_host(host)
        if by_host:
            self._set(obs, by_host, False)
            return
        by_prefix = prefix_vendors(key, self._vendor_ids)
        if by_prefix:
            self._set(obs, by_prefix, False)
            return
        if self.necessary.storage_key(kind, key):
            obs.declared = obs.necessary = True

    def vendors_for_path(self, url: str | None) -> list[str]:
        path = urlsplit(url).path if url else ""
        return list(dict.fromkeys(vid for p, vid in self._paths if path == p or path.endswith(p)))

    def _request(self, obs: Observation) -> None:
        host = (obs.host or "").lower().rstrip(".")
        vendors = self.vendors_for_host(host)
        by_path = path_vendors(host, urlsplit(obs.url).path if obs.url else "")
        if vendors and by_path:
            vendors = [v for v in by_path if v in self._vendor_ids] or vendors
        if not vendors and self.is_first_party(host):
            vendors = self.vendors_for_path(obs.url)
        if vendors:
            self._set(obs, vendors, True)
            return
        if host in self.cmp_hosts or self.is_first_party(host) or self.necessary.host(host):
            obs.declared = obs.necessary = True
        elif is_shared_cdn(host):
            obs.declared = obs.necessary = True  # a library download, not a vendor's collection
