"""Host matching as the gate and the scanner see it: which vendors a URL belongs to, on the shipped
catalogue, with the host spellings and shared hosts that a list of exact hosts gets wrong."""

from __future__ import annotations

import pytest

from kelisim.domain.catalogue import load
from kelisim.domain.hosts import HostMatcher, gate_rules, normalise_host
from kelisim.settings import DEFAULT_CATALOGUE

CATALOGUE = DEFAULT_CATALOGUE


@pytest.fixture(scope="module")
def matcher() -> HostMatcher:
    return HostMatcher(load(CATALOGUE).vendors)


@pytest.mark.parametrize(
    ("host", "normal"),
    [
        ("mc.yandex.ru.", "mc.yandex.ru"),
        ("MC.Yandex.RU", "mc.yandex.ru"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("", ""),
        (None, ""),
    ],
)
def test_hosts_are_compared_as_the_browser_connects(host, normal) -> None:
    assert normalise_host(host) == normal


# Shared with tests/browser/test_autoblock.py, which asks src/kelisim/web/static/gate.js the same
# questions.
VARIANTS = [
    ("https://vk.ru/rtrg?p=1", ("vk",)),
    ("https://cdn.jsdelivr.net/npm/yandex-metrica-watch/tag.js", ("yandex_metrika",)),
    ("https://x.clarity.ms/collect", ("microsoft_clarity",)),
    ("https://www.google.com/g/collect?v=2&tid=G-1", ("google_analytics",)),
    ("https://mc.yandex.ru./watch/1", ("yandex_metrika",)),
    ("https://MC.YANDEX.RU/watch/1", ("yandex_metrika",)),
    ("https://www.googletagmanager.com/gtm.js?id=GTM-1", ("google_tag_manager",)),
    (
        "https://www.googletagmanager.com/gtag/js?id=G-1",
        ("google_analytics", "firebase_analytics"),
    ),
    ("https://top-fwz1.mail.ru/js/code.js", ("mail_ru", "mytarget")),
    ("https://creditplus.kz/matomo.js", ("matomo",)),
    (
        "https://region1.google-analytics.com/g/collect",
        ("google_analytics", "firebase_analytics"),
    ),
]
NEIGHBOURS = [
    "https://www.google.com/recaptcha/api.js",  # Google's shared host, not GA's path
    "https://cdn.jsdelivr.net/npm/bootstrap/dist/js/bootstrap.js",  # the mirror, not Metrica
    "https://notclarity.ms/x",  # a suffix that is not a subdomain
    "https://creditplus.kz/matomo.json",  # a path rule on any host matches the path exactly
    "data:text/plain,mc.yandex.ru",
    "not a url",
]


@pytest.mark.parametrize(("url", "owners"), VARIANTS)
def test_each_host_variant_belongs_to_its_vendor(matcher, url, owners) -> None:
    assert matcher.vendors_for_url(url) == owners


@pytest.mark.parametrize("url", NEIGHBOURS)
def test_neighbours_of_vendor_hosts_belong_to_no_vendor(matcher, url) -> None:
    assert matcher.vendors_for_url(url) == ()


def test_a_url_is_held_until_one_of_its_owners_is_granted(matcher) -> None:
    gtag = "https://www.googletagmanager.com/gtag/js?id=G-1"
    assert matcher.held(gtag, {"google_tag_manager": True})  # the loader's grant is not GA4's
    assert not matcher.held(gtag, ["firebase_analytics"])
    assert matcher.held("https://vk.ru/rtrg", [])
    assert not matcher.held("https://example.kz/app.js", [])


def test_bare_hosts_of_cookies_match_by_host_rules_only(matcher) -> None:
    assert matcher.vendors_for_host(".clarity.ms") == ("microsoft_clarity",)
    assert matcher.vendors_for_host("www.google.com") == ()


def test_the_bootstrap_gets_every_vendor_with_a_rule_and_nothing_else() -> None:
    rules = {entry["id"]: entry for entry in gate_rules(load(CATALOGUE).vendors)}
    assert "userx" not in rules
    assert set(rules["vk"]) == {"id", "hosts", "domains"}
    assert rules["matomo"] == {"id": "matomo", "paths": ["/matomo.js", "/matomo.php"]}
