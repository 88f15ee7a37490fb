"""Which vendors a URL belongs to: one host-matching rule for the browser gate and the scanner.

A vendor is known on the network by four declared lists in vendors.yaml: its ``script_hosts`` and
``beacon_hosts`` and its ``domains`` (each one and every host under it), its ``urls`` (a path prefix
on a host it shares with others, ``www.google.com/g/collect``) and its ``paths`` (a path on any
host, for self-hosted tools such as Matomo's ``/matomo.js``). Hosts are compared normalised
(lowercase, IDN as punycode, no trailing dot: ``MC.Yandex.RU.`` is ``mc.yandex.ru``), because
browsers resolve all of those spellings to the same server.

Only the most specific matching rules count: a path rule beats any host rule (GA4's
``www.googletagmanager.com/gtag/js`` is GA4's even though Google Tag Manager owns the host), and a
longer host beats a shorter one. Several vendors can tie (two vendors on one shared pixel host);
the URL then belongs to all of them, and the gate opens it when any of them is granted.

src/kelisim/web/static/gate.js implements the same rule in the browser from the same lists
(`gate_rules` is what
/bootstrap.js embeds); tests/test_hosts.py and the browser tests hold the two to the same cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    # Only named in annotations: the catalogue imports this module to make its lean config.
    from kelisim.domain.catalogue import Vendor

# A path rule outranks every host rule, whatever their lengths.
_PATH_RANK = 10_000


def normalise_host(host: str | None) -> str:
    """The host as a browser connects to it: lowercase, punycode, no trailing dots; "" if none."""
    if not host:
        return ""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@dataclass(frozen=True)
class Rule:
    host: str  # "" for a path on any host
    path: str  # "" for the whole host; a prefix on `host`, or the exact path when host is ""
    vendor: str

    def score(self, host: str, path: str) -> int:
        """How specific a match this rule is for (host, path); -1 when it does not match."""
        if self.host and host != self.host and not host.endswith("." + self.host):
            return -1
        if self.path:
            matched = path.startswith(self.path) if self.host else path == self.path
            if not matched:
                return -1
            return _PATH_RANK + len(self.host) + len(self.path)
        return len(self.host)


def rules_of(vendors: Iterable[Vendor]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for vendor in vendors:
        for host in (*vendor.hosts, *vendor.domains):
            rules.append(Rule(normalise_host(host.lstrip("*.")), "", vendor.id))
        for entry in vendor.urls:
            host, _, path = entry.partition("/")
            rules.append(Rule(normalise_host(host), "/" + path, vendor.id))
        for path in vendor.paths:
            rules.append(Rule("", path, vendor.id))
    return tuple(rules)


def gated_hosts(vendors: Iterable[Vendor]) -> dict[str, tuple[str, ...]]:
    """Per vendor id, the hosts the gate needs once each vendor's own domains are there: a host
    under one of its domains is left out when that changes no URL's owners, i.e. when no other
    vendor has a host rule at that host or above it that is at least as long as the domain (such a
    rule would tie with, or beat, the domain once the host is gone). What /cmp.js and
    /bootstrap.js embed is smaller by that much, and gates exactly alike."""
    listed = list(vendors)
    rules = rules_of(listed)
    kept: dict[str, tuple[str, ...]] = {}
    for vendor in listed:
        domains = [normalise_host(domain.lstrip("*.")) for domain in vendor.domains]
        others = [r.host for r in rules if r.vendor != vendor.id and r.host and not r.path]
        kept[vendor.id] = tuple(
            host
            for host in vendor.hosts
            if _needed(normalise_host(host.lstrip("*.")), domains, others)
        )
    return kept


def _needed(host: str, domains: list[str], others: list[str]) -> bool:
    """Whether the gate needs `host` besides `domains`, with other vendors' host rules `others`."""
    for domain in domains:
        if host != domain and not host.endswith("." + domain):
            continue
        rivals = (r for r in others if host == r or host.endswith("." + r))
        if all(len(rival) < len(domain) for rival in rivals):
            return False
    return True


class HostMatcher:
    """Attributes URLs (or bare hosts) to vendors with the rules of a catalogue's vendors."""

    def __init__(self, vendors: Iterable[Vendor]) -> None:
        self.rules = rules_of(vendors)

    def vendors_for_url(self, url: str) -> tuple[str, ...]:
        """Owners of `url` (its most specific rules), in catalogue order; () for none."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            return ()
        return self._owners(normalise_host(host), parts.path or "/")

    def vendors_for_host(self, host: str | None) -> tuple[str, ...]:
        """Owners of a bare host (a cookie's domain, say): host rules only, no path is known."""
        return self._owners(normalise_host((host or "").lstrip(".")), None)

    def held(self, url: str, granted: Mapping[str, bool] | Iterable[str]) -> bool:
        """Whether the gate holds `url` while only `granted` vendors have consent."""
        owners = self.vendors_for_url(url)
        if isinstance(granted, Mapping):
            given = {vendor for vendor, grant in granted.items() if grant}
        else:
            given = set(granted)
        return bool(owners) and not given.intersection(owners)

    def _owners(self, host: str, path: str | None) -> tuple[str, ...]:
        if not host:
            return ()
        best, owners = -1, []
        for rule in self.rules:
            if path is None and rule.path:
                continue
            score = rule.score(host, path or "/")
            if score > best:
                best, owners = score, []
            if score == best and score >= 0 and rule.vendor not in owners:
                owners.append(rule.vendor)
        return tuple(owners) if best >= 0 else ()


def gate_rules(vendors: Iterable[Vendor]) -> list[dict[str, Any]]:
    """What /bootstrap.js embeds: per vendor with any rule, the lists src/kelisim/web/static/gate.js
    reads."""
    listed = list(vendors)
    hosts = gated_hosts(listed)
    embedded = []
    for vendor in listed:
        entry: dict[str, Any] = {"id": vendor.id}
        for key, values in (
            ("hosts", hosts[vendor.id]),
            ("domains", vendor.domains),
            ("urls", vendor.urls),
            ("paths", vendor.paths),
        ):
            if values:
                entry[key] = list(values)
        if len(entry) > 1:
            embedded.append(entry)
    return embedded
