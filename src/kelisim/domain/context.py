"""What a request says about where and on what a choice was made, kept only as coarse as the proof
needs.

EDPB 05/2020 §107 asks for information on the session in which consent was given; Kelisim
forbids storing the full IP or a plain hash of it (2^32 IPv4 addresses hash in minutes). So the IP
is kept as a /24 or /48 prefix and as an HMAC under a secret pepper, which correlates requests
without revealing the address to anyone who lacks the pepper.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geoip2.database
import user_agents

log = logging.getLogger(__name__)

# ua-parser's regexes are cheap on real user agents but the header is attacker-controlled.
_MAX_USER_AGENT = 512


@dataclass(frozen=True)
class RequestContext:
    region: str | None  # "KZ", or "KZ-ALA" when the database knows the subdivision; None = unknown
    device_class: str  # "mobile" | "tablet" | "desktop" | "bot" | "other"
    is_bot: bool
    ip_prefix: str | None  # IPv4 /24, IPv6 /48
    ip_hmac: str | None  # hex HMAC-SHA256(pepper, packed full address)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parsed_ip(ip: str | None) -> IPAddress | None:
    """The address, with IPv4-mapped IPv6 (::ffff:a.b.c.d, as dual-stack sockets report) as IPv4."""
    if not isinstance(ip, str):
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        # A zone id (fe80::1%eth0) names an interface of this host, not part of the address.
        if address.scope_id:
            address = ipaddress.IPv6Address(address.packed)
    return address


def _ip_prefix(address: IPAddress) -> str:
    length = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


@lru_cache(maxsize=2048)
def _device(user_agent: str) -> tuple[str, bool]:
    agent = user_agents.parse(user_agent)
    if agent.is_bot:
        return "bot", True
    if agent.is_mobile:
        return "mobile", False
    if agent.is_tablet:
        return "tablet", False
    if agent.is_pc:
        return "desktop", False
    return "other", False


class ContextReader:
    """Reads RequestContext from an IP and a User-Agent; one per process (it holds the mmdb)."""

    def __init__(self, geoip_database: Path | None, ip_pepper: str) -> None:
        if not ip_pepper:
            # Without a pepper the "HMAC" is a plain hash of the IP, which S10 forbids.
            raise ValueError("ContextReader needs a non-empty ip_pepper")
        self._pepper = ip_pepper.encode("utf-8")
        # Like the user agent's device class, what an address tells is cached per address: parsing
        # it, the mmdb lookup and the HMAC were a tenth of a consent POST's own work, and one
        # visitor's POSTs (or a carrier NAT's visitors) come from the same address.
        self._address_facts = lru_cache(maxsize=4096)(self._uncached_address_facts)
        self._reader: geoip2.database.Reader | None = None
        self._lookup = "country"
        if geoip_database is None:
            return
        try:
            self._reader = geoip2.database.Reader(str(geoip_database))
        except Exception as error:  # missing, unreadable or not an mmdb file
            log.warning("GeoIP database unusable, regions unknown: %s", type(error).__name__)
            return
        database_type = self._reader.metadata().database_type
        if "Enterprise" in database_type:
            self._lookup = "enterprise"
        elif "City" in database_type:
            self._lookup = "city"
        elif "Country" not in database_type:
            log.warning("GeoIP database type %r has no country data", database_type)
            self._reader.close()
            self._reader = None

    def read(self, ip: str | None, user_agent: str | None) -> RequestContext:
        if user_agent:
            device_class, is_bot = _device(user_agent[:_MAX_USER_AGENT])
        else:
            device_class, is_bot = "other", False
        region, ip_prefix, ip_hmac = (
            self._address_facts(ip) if isinstance(ip, str) else (None, None, None)
        )
        return RequestContext(region, device_class, is_bot, ip_prefix, ip_hmac)

    def _uncached_address_facts(self, ip: str) -> tuple[str | None, str | None, str | None]:
        """Region, prefix and keyed hash of an address; all None when it is not one."""
        address = _parsed_ip(ip)
        if address is None:
            return None, None, None
        return (
            self._region(address),
            _ip_prefix(address),
            hmac.new(self._pepper, address.packed, hashlib.sha256).hexdigest(),
        )

    def _region(self, address: IPAddress) -> str | None:
        """ISO country, refined to ISO 3166-2 when known; any failure is "unknown", not an error."""
        if self._reader is None:
            return None
        try:
            response = getattr(self._reader, self._lookup)(address)
            country = response.country.iso_code
            if not country:
                return None
            subdivision = None
            if self._lookup != "country":
                subdivision = response.subdivisions.most_specific.iso_code
            return f"{country}-{subdivision}" if subdivision else country
        except Exception:  # address not found, a corrupt record: the region is simply unknown
            return None

    def close(self) -> None:
        self._address_facts.cache_clear()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
