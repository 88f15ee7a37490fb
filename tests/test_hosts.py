"""Host matching as the gate and the scanner see it: which vendors a URL belongs to, on the shipped
catalogue, with the host spellings and shared hosts that a list of exact hosts gets wrong."""

from __future__ import annotations

import pytest

from kelisim.domain.catalogue import load
from kelisim.domain.hosts import HostMatcher, gate_rules, gated_hosts, normalise_host
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
    assert set(rules["vk"]) == {"id", "domains"}  # its one host, vk.com, is one of its domains
    assert rules["matomo"] == {"id": "matomo", "paths": ["/matomo.js", "/matomo.php"]}


def _with_hosts(vendor, hosts):
    from dataclasses import replace

    return replace(vendor, script_hosts=tuple(hosts), beacon_hosts=())


def _probes(vendors) -> list[str]:
    """URLs at, under and beside every host, domain and url the vendors declare."""
    urls = []
    for vendor in vendors:
        for host in (*vendor.hosts, *vendor.domains):
            name = host.lstrip("*.")
            urls += [f"https://{name}/", f"https://a.{name}/x.js", f"https://b.c.{name}/p"]
        for entry in vendor.urls:
            urls += [f"https://{entry}", f"https://{entry}x", f"https://{entry.split('/')[0]}/"]
    return urls


def test_the_embedded_hosts_gate_every_url_as_the_full_lists_do() -> None:
    vendors = load(CATALOGUE).vendors
    kept = gated_hosts(vendors)
    full = HostMatcher(vendors)
    lean = HostMatcher([_with_hosts(v, kept[v.id]) for v in vendors])
    for url in _probes(vendors):
        assert lean.vendors_for_url(url) == full.vendors_for_url(url), url
    # Hosts under the vendor's own domains go (Amplitude's eight under amplitude.com) ...
    assert kept["amplitude"] == () and kept["microsoft_clarity"] == ("c.bing.com",)
    # ... unless another vendor shares them: Firebase also names www.google-analytics.com.
    assert "www.google-analytics.com" in kept["google_analytics"]
    assert sum(map(len, kept.values())) < sum(len(v.hosts) for v in vendors)
    assert [e.get("hosts", []) for e in gate_rules(vendors)] == [
        list(kept[v.id]) for v in vendors if v.hosts or v.domains or v.urls or v.paths
    ]


def test_a_host_stays_when_dropping_it_would_hand_its_urls_to_another_vendor() -> None:
    vendors = load(CATALOGUE).vendors
    a, b, c = (replace_of(v) for v in vendors[:3])
    # a: domain a.kz with host x.a.kz; b names x.a.kz too (a tie a would lose); c names y.a.kz
    # under a domain as long as a's (c would win alone); z.a.kz has no rival and goes.
    a = a(script_hosts=("x.a.kz", "y.a.kz", "z.a.kz"), domains=("a.kz",))
    b = b(script_hosts=("x.a.kz",), domains=())
    c = c(script_hosts=(), domains=("y.a.kz",))
    kept = gated_hosts([a, b, c])
    assert kept[a.id] == ("x.a.kz", "y.a.kz")
    full = HostMatcher([a, b, c])
    lean = HostMatcher([_with_hosts(v, kept[v.id]) for v in (a, b, c)])
    for url in ("https://x.a.kz/", "https://y.a.kz/", "https://z.a.kz/", "https://q.a.kz/"):
        assert lean.vendors_for_url(url) == full.vendors_for_url(url), url
    # Negative control: had x.a.kz gone, its URLs would be b's and a's no longer.
    dropped = HostMatcher([_with_hosts(a, ("y.a.kz",)), b, c])
    assert dropped.vendors_for_url("https://x.a.kz/") != full.vendors_for_url("https://x.a.kz/")


def replace_of(vendor):
    from dataclasses import replace

    return lambda **changes: replace(vendor, beacon_hosts=(), urls=(), paths=(), **changes)
