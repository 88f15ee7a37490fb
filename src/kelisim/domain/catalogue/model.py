"""The catalogue as the app, the log and the scanner use it: frozen dataclasses built only from a
file without problems. `content_hash` covers `to_dict()`, so the hash kept with a consent pins
exactly what the visitor could read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from kelisim.domain.appearance import (
    Appearance,
)
from kelisim.domain.catalogue.rules import (
    _DEFAULT_PORTS,
    _ORIGIN,
    BANNER_TEXT_KEYS,
    SCHEMA,
)
from kelisim.domain.display import country_name, duration_text
from kelisim.domain.hosts import gated_hosts
from kelisim.domain.regions import RegionRule


@dataclass(frozen=True)
class LocalText:
    """A visitor-facing text in every catalogue language."""

    texts: Mapping[str, str]
    default_language: str

    def get(self, language: str | None = None) -> str:
        """Falls back to the default language so a caller holding any language code gets a text."""
        if language is not None and language in self.texts:
            return self.texts[language]
        return self.texts[self.default_language]

    def to_dict(self) -> dict[str, str]:
        return dict(self.texts)


@dataclass(frozen=True)
class CookieSpec:
    name: str
    match: str
    party: str
    domain: str | None
    lifetime_seconds: int | None  # None = session cookie (or unknown, see lifetime_known)
    lifetime_known: bool = True

    def matches(self, cookie_name: str, domain: str | None = None) -> bool:
        """Cookie names are case-sensitive. A third-party spec also checks the cookie's domain when
        one is given, so a generic name like ``b`` on the site is not blamed on mail.ru."""
        if self.match == "prefix":
            named = cookie_name.startswith(self.name)
        else:
            named = cookie_name == self.name
        if not named or domain is None or self.party != "third" or self.domain is None:
            return named
        own = self.domain.lstrip(".").lower()
        other = domain.lstrip(".").lower()
        return other == own or other.endswith("." + own)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "match": self.match,
            "party": self.party,
            "domain": self.domain,
            "lifetime_seconds": self.lifetime_seconds,
            "lifetime_known": self.lifetime_known,
        }


@dataclass(frozen=True)
class StorageSpec:
    kind: str
    key: str
    match: str

    def matches(self, key: str) -> bool:
        return key.startswith(self.key) if self.match == "prefix" else key == self.key

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "match": self.match}


@dataclass(frozen=True)
class Purpose:
    id: str
    required: bool
    name: LocalText
    description: LocalText

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "required": self.required,
            "name": self.name.to_dict(),
            "description": self.description.to_dict(),
        }


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    company: str
    country: str | None  # None: not established, the reason is in unknown["country"]
    data_leaves_kz: bool
    purposes: tuple[str, ...]
    privacy_policy_url: str
    consent_api: str | None
    script_hosts: tuple[str, ...]
    beacon_hosts: tuple[str, ...]
    cookies: tuple[CookieSpec, ...]
    storage: tuple[StorageSpec, ...]
    unknown: Mapping[str, str]
    description: LocalText
    # Paths on the site's own origins (self-hosted tools such as Matomo's /matomo.js).
    paths: tuple[str, ...] = ()
    # Domain families: each domain and every host under it (clarity.ms covers x.clarity.ms).
    domains: tuple[str, ...] = ()
    # Path prefixes on hosts shared with others: "www.google.com/g/collect" (host/path).
    urls: tuple[str, ...] = ()
    # The Consent Mode v2 types this vendor's grant sets to "granted" (none: it grants nothing).
    consent_mode: tuple[str, ...] = ()

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.script_hosts + self.beacon_hosts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "country": self.country,
            "data_leaves_kz": self.data_leaves_kz,
            "purposes": list(self.purposes),
            "privacy_policy_url": self.privacy_policy_url,
            "consent_api": self.consent_api,
            "consent_mode": list(self.consent_mode),
            "script_hosts": list(self.script_hosts),
            "beacon_hosts": list(self.beacon_hosts),
            "paths": list(self.paths),
            "domains": list(self.domains),
            "urls": list(self.urls),
            "cookies": [cookie.to_dict() for cookie in self.cookies],
            "storage": [item.to_dict() for item in self.storage],
            "unknown": dict(self.unknown),
            "description": self.description.to_dict(),
        }


@dataclass(frozen=True)
class Site:
    id: str
    origins: tuple[str, ...]
    cookie_domain: str | None
    policy_url: str | None
    # "web" (a browser site) or "app" (a native app: it sends no Origin, so it needs no origins).
    kind: str = "web"

    def allows_origin(self, origin: str | None) -> bool:
        """Browsers send ``Origin: null`` from sandboxed frames and file pages; those are never a
        site, so they never pass."""
        parsed = _split_origin(origin or "")
        if parsed is None or parsed[2] == "*":  # a wildcard is for patterns, not for requests
            return False
        scheme, host, port = parsed
        for pattern in self.origins:
            allowed = _split_origin(pattern)
            if allowed is None or allowed[0] != scheme or allowed[1] != host:
                continue
            if allowed[2] == "*" or allowed[2] == port:
                return True
        return False


@dataclass(frozen=True)
class Operator:
    name: str
    site_url: str
    privacy_policy_url: str
    bin: str | None
    contact: Mapping[str, str | None]
    responsible_person: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "site_url": self.site_url,
            "privacy_policy_url": self.privacy_policy_url,
            "bin": self.bin,
            "contact": dict(self.contact),
            "responsible_person": self.responsible_person,
        }


@dataclass(frozen=True)
class Catalogue:
    revision: int
    consent_lifetime_days: int
    default_language: str
    languages: tuple[str, ...]
    operator: Operator
    sites: Mapping[str, Site]
    purposes: tuple[Purpose, ...]
    vendors: tuple[Vendor, ...]
    texts: Mapping[str, Mapping[str, str]]
    source: str
    # The optional `appearance` block; left out of to_dict() (and so of the hash) while default.
    appearance: Appearance = field(default_factory=Appearance)
    content_hash: str = ""
    # Optional per-region behaviour (kelisim.domain.regions), first match wins; () = one behaviour
    # everywhere.
    regions: tuple[RegionRule, ...] = ()
    # The oldest revision whose consent still holds: a publish that only fixes texts keeps the one
    # before it, so visitors are not asked again (kelisim.domain.materiality decides). 0 = this
    # revision itself, which is what a catalogue without the key means.
    consent_revision: int = 0
    _vendors_by_id: Mapping[str, Vendor] = field(init=False, repr=False, compare=False)
    _purposes_by_id: Mapping[str, Purpose] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        vendors = MappingProxyType({vendor.id: vendor for vendor in self.vendors})
        purposes = MappingProxyType({purpose.id: purpose for purpose in self.purposes})
        object.__setattr__(self, "_vendors_by_id", vendors)
        object.__setattr__(self, "_purposes_by_id", purposes)
        if not self.consent_revision:
            object.__setattr__(self, "consent_revision", self.revision)
        if not self.content_hash:
            object.__setattr__(self, "content_hash", _content_hash(self.to_dict()))

    @property
    def vendor_ids(self) -> tuple[str, ...]:
        return tuple(self._vendors_by_id)

    @cached_property
    def vendor_order(self) -> Mapping[str, int]:
        """Each vendor id's place in the catalogue: the order every list of grants is shown in."""
        return MappingProxyType(
            {vendor_id: index for index, vendor_id in enumerate(self._vendors_by_id)}
        )

    def vendor(self, vendor_id: str) -> Vendor:
        return self._vendors_by_id[vendor_id]

    def consent_holds(self, revision: int) -> bool:
        """Whether a choice made on the banner of `revision` still stands under this one."""
        return self.consent_revision <= revision <= self.revision

    def purpose(self, purpose_id: str) -> Purpose:
        return self._purposes_by_id[purpose_id]

    def to_dict(self) -> dict[str, Any]:
        appearance = {} if self.appearance.is_default else {"appearance": self.appearance.to_dict()}
        body = {
            "schema": SCHEMA,
            "revision": self.revision,
            # Only when earlier than the revision, so every catalogue before the key keeps its hash.
            **(
                {"consent_revision": self.consent_revision}
                if self.consent_revision != self.revision
                else {}
            ),
            "consent_lifetime_days": self.consent_lifetime_days,
            "default_language": self.default_language,
            "languages": list(self.languages),
            "operator": self.operator.to_dict(),
            "sites": {site.id: {"policy_url": site.policy_url} for site in self.sites.values()},
            "texts": {language: dict(texts) for language, texts in self.texts.items()},
            "purposes": [purpose.to_dict() for purpose in self.purposes],
            "vendors": [vendor.to_dict() for vendor in self.vendors],
            **appearance,
        }
        if self.regions:
            # Only when present, so a catalogue without regions keeps the hash it always had.
            body["regions"] = [rule.to_dict() for rule in self.regions]
        return body

    def _appearance_config(self) -> dict[str, Any]:
        """The `appearance` key of both configs, only when the catalogue sets one."""
        return {} if self.appearance.is_default else {"appearance": self.appearance.to_dict()}

    def public_config(self, site_id: str, language: str, detail: str = "full") -> dict[str, Any]:
        """Raises KeyError for an unknown site or language; the API turns that into a 400.

        ``detail="banner"`` is the lean first layer the runtime embeds in cmp.js: the layer-1 texts
        (BANNER_TEXT_KEYS) and, per vendor, only what gating and consent signals need (id, name,
        purposes, hosts, domains, urls, paths, consent_mode and consent_api when set; no host its
        vendor's domains already gate alike, `hosts.gated_hosts`);
        ``"detail": "banner"`` marks it. The full body (the default) adds everything the second
        layer, deletion and the receipt show.
        """
        site = self.sites[site_id]
        if language not in self.languages:
            raise KeyError(language)
        if detail == "banner":
            return self._banner_config(site, language)
        if detail != "full":
            raise KeyError(detail)
        texts = self.texts[language]

        def lifetime_text(cookie: CookieSpec) -> str:
            if not cookie.lifetime_known:
                return str(texts.get("lifetime_unknown") or "")
            return duration_text(cookie.lifetime_seconds, language, str(texts.get("session") or ""))

        return {
            "site": site.id,
            "revision": self.revision,
            "consent_revision": self.consent_revision,
            "hash": self.content_hash,
            "language": language,
            "languages": list(self.languages),
            "consent_lifetime_days": self.consent_lifetime_days,
            "cookie_domain": site.cookie_domain,
            "operator": {
                "name": self.operator.name,
                "privacy_policy_url": site.policy_url or self.operator.privacy_policy_url,
            },
            "texts": dict(self.texts[language]),
            "purposes": [
                {
                    "id": purpose.id,
                    "required": purpose.required,
                    "name": purpose.name.get(language),
                    "description": purpose.description.get(language),
                }
                for purpose in self.purposes
            ],
            "vendors": [
                {
                    "id": vendor.id,
                    "name": vendor.name,
                    "company": vendor.company,
                    "country": vendor.country,
                    "country_name": country_name(vendor.country, language),
                    "data_leaves_kz": vendor.data_leaves_kz,
                    "purposes": list(vendor.purposes),
                    "description": vendor.description.get(language),
                    "privacy_policy_url": vendor.privacy_policy_url,
                    "consent_api": vendor.consent_api,
                    "consent_mode": list(vendor.consent_mode),
                    "hosts": list(vendor.hosts),
                    "domains": list(vendor.domains),
                    "urls": list(vendor.urls),
                    "paths": list(vendor.paths),
                    "has_unknowns": bool(vendor.unknown),
                    "cookies": [
                        {**cookie.to_dict(), "lifetime_text": lifetime_text(cookie)}
                        for cookie in vendor.cookies
                    ],
                    "storage": [item.to_dict() for item in vendor.storage],
                }
                for vendor in self.vendors
            ],
            **self._appearance_config(),
        }

    def _banner_config(self, site: Site, language: str) -> dict[str, Any]:
        texts = self.texts[language]
        hosts = gated_hosts(self.vendors)
        vendors = []
        for vendor in self.vendors:
            lean: dict[str, Any] = {
                "id": vendor.id,
                "purposes": list(vendor.purposes),
            }
            for key, values in (
                ("hosts", hosts[vendor.id]),
                ("domains", vendor.domains),
                ("urls", vendor.urls),
                ("paths", vendor.paths),
                ("consent_mode", vendor.consent_mode),
            ):
                if values:
                    lean[key] = list(values)
            if vendor.consent_api:
                lean["consent_api"] = vendor.consent_api
            vendors.append(lean)
        return {
            "detail": "banner",
            "site": site.id,
            "revision": self.revision,
            "consent_revision": self.consent_revision,
            "language": language,
            "languages": list(self.languages),
            "consent_lifetime_days": self.consent_lifetime_days,
            "cookie_domain": site.cookie_domain,
            "operator": {"privacy_policy_url": site.policy_url or self.operator.privacy_policy_url},
            "texts": {key: texts[key] for key in BANNER_TEXT_KEYS if key in texts},
            "vendors": vendors,
            **self._appearance_config(),
        }


def _content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _split_origin(origin: str) -> tuple[str, str, int | str] | None:
    """(scheme, host, port) with the default port filled in, so ``https://x`` equals ``https://x:443``."""
    found = _ORIGIN.fullmatch(origin.lower())
    if found is None:
        return None
    scheme, host, port = found.groups()
    if port is None:
        return scheme, host, _DEFAULT_PORTS[scheme]
    return scheme, host, port if port == "*" else int(port)
