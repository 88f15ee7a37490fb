"""Request context: region from a real MaxMind-format database, device class, IP minimisation."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from kelisim.domain.context import ContextReader, RequestContext

PEPPER = "pepper-for-tests-" + "p" * 32
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def _write_mmdb(path: Path, database_type: str, records: dict[str, dict]) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=database_type)
    for network, record in records.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    return _write_mmdb(
        tmp_path / "city.mmdb",
        "GeoIP2-City",
        {
            "2.72.0.0/16": {
                "country": {"iso_code": "KZ", "names": {"en": "Kazakhstan"}},
                "subdivisions": [{"iso_code": "ALA", "names": {"en": "Almaty"}}],
                "city": {"names": {"en": "Almaty"}},
            },
            "2a03:32c0::/32": {"country": {"iso_code": "KZ"}},
            "5.18.0.0/16": {"country": {"iso_code": "RU"}},
        },
    )


@pytest.fixture
def country_db(tmp_path: Path) -> Path:
    return _write_mmdb(
        tmp_path / "country.mmdb",
        "GeoLite2-Country",
        {"2.72.0.0/16": {"country": {"iso_code": "KZ"}}},
    )


def test_city_database_gives_country_and_subdivision(city_db: Path) -> None:
    reader = ContextReader(city_db, PEPPER)
    try:
        assert reader.read("2.72.10.20", CHROME).region == "KZ-ALA"
        assert reader.read("5.18.1.1", CHROME).region == "RU"
        assert reader.read("2a03:32c0:1::5", CHROME).region == "KZ"
        assert reader.read("::ffff:2.72.10.20", CHROME).region == "KZ-ALA"
    finally:
        reader.close()


def test_country_database_gives_the_country(country_db: Path) -> None:
    reader = ContextReader(country_db, PEPPER)
    try:
        assert reader.read("2.72.200.1", CHROME).region == "KZ"
    finally:
        reader.close()


def test_unknown_address_or_missing_database_is_unknown_region(
    city_db: Path, tmp_path: Path
) -> None:
    reader = ContextReader(city_db, PEPPER)
    try:
        assert reader.read("203.0.113.7", CHROME).region is None
        assert reader.read("127.0.0.1", CHROME).region is None
    finally:
        reader.close()
    assert ContextReader(None, PEPPER).read("2.72.10.20", CHROME).region is None
    missing = ContextReader(tmp_path / "absent.mmdb", PEPPER)
    assert missing.read("2.72.10.20", CHROME).region is None
    not_a_db = tmp_path / "garbage.mmdb"
    not_a_db.write_bytes(b"not a maxmind database")
    assert ContextReader(not_a_db, PEPPER).read("2.72.10.20", CHROME).region is None


@pytest.mark.parametrize(
    ("user_agent", "device_class", "is_bot"),
    [
        (IPHONE, "mobile", False),
        (IPAD, "tablet", False),
        (GOOGLEBOT, "bot", True),
        (CHROME, "desktop", False),
        (None, "other", False),
        ("", "other", False),
        ("x" * 100_000, "other", False),
    ],
)
def test_user_agent_gives_device_class(
    user_agent: str | None, device_class: str, is_bot: bool
) -> None:
    context = ContextReader(None, PEPPER).read("2.72.10.20", user_agent)
    assert (context.device_class, context.is_bot) == (device_class, is_bot)


@pytest.mark.parametrize(
    ("ip", "prefix"),
    [
        ("2.72.10.20", "2.72.10.0/24"),
        ("203.0.113.255", "203.0.113.0/24"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("2001:db8:abcd:12:34::1", "2001:db8:abcd::/48"),
        ("fe80::1%eth0", "fe80::/48"),
        (" 2.72.10.20 ", "2.72.10.0/24"),
    ],
)
def test_ip_is_kept_only_as_a_prefix(ip: str, prefix: str) -> None:
    context = ContextReader(None, PEPPER).read(ip, CHROME)
    assert context.ip_prefix == prefix
    assert ip.strip() not in repr(context)


@pytest.mark.parametrize("ip", [None, "", "not-an-ip", "999.1.1.1", "2.72.10", "1.2.3.4/24"])
def test_invalid_ip_gives_no_prefix_and_no_hmac(ip: str | None) -> None:
    assert ContextReader(None, PEPPER).read(ip, CHROME) == RequestContext(
        None, "desktop", False, None, None
    )


def test_ip_hmac_is_keyed_and_never_a_plain_hash() -> None:
    ip = "2.72.10.20"
    first = ContextReader(None, PEPPER).read(ip, CHROME).ip_hmac
    other = ContextReader(None, PEPPER + "-rotated").read(ip, CHROME).ip_hmac
    assert first and other and first != other
    packed = ipaddress.ip_address(ip).packed
    assert first == hmac.new(PEPPER.encode(), packed, hashlib.sha256).hexdigest()
    plain = {
        algorithm(data).hexdigest()
        for algorithm in (hashlib.sha256, hashlib.md5, hashlib.sha1, hashlib.sha512)
        for data in (ip.encode(), packed)
    }
    assert first not in plain


def test_ipv4_mapped_and_plain_ipv4_correlate() -> None:
    reader = ContextReader(None, PEPPER)
    assert reader.read("::ffff:2.72.10.20", None).ip_hmac == reader.read("2.72.10.20", None).ip_hmac
    assert reader.read("2.72.10.21", None).ip_hmac != reader.read("2.72.10.20", None).ip_hmac


def test_an_empty_pepper_is_refused() -> None:
    with pytest.raises(ValueError):
        ContextReader(None, "")
