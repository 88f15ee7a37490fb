"""What the scanner knows without the catalogue: fingerprinting hosts, well-known tracker cookies,
and the names vendors go by in Russian and Kazakh privacy policies.

These lists back rules that judge the catalogue itself (V07 wrong purpose, V12 high-risk technique,
V14 policy naming), so they cannot come from the catalogue. Sources: DDG Tracker Radar (which
marks privacy-cs.mail.ru as heavy fingerprinting; JuicyScore is a device-fingerprint scorer), the
Open Cookie Database categories, and CookieBlock's classes (necessary / functional / analytics /
advertising).
"""

from __future__ import annotations

import fnmatch

# Hosts whose scripts fingerprint the device (canvas, WebGL, audio, fonts). Subdomains match too.
FINGERPRINTING_HOSTS: tuple[str, ...] = (
    "privacy-cs.mail.ru",
    "score.juicyscore.com",
    "score.juicyscore.net",
    "score.jcsc.online",
    "fpjs.io",
    "fpcdn.io",
    "openfpcdn.io",
    "fpnpmcdn.net",
    "fingerprintjs.com",
    "fptls.com",
    "threatmetrix.com",
    "online-metrix.net",
    "iovation.com",
)

# Shared static CDNs: cookieless hosts serving many unrelated libraries (fonts, reCAPTCHA, SDK
# builds), so no vendor can be named by host. Requests to them are observed but not undeclared.
SHARED_CDN_HOSTS: tuple[str, ...] = (
    "www.gstatic.com",
    "fonts.gstatic.com",
    "fonts.googleapis.com",
    "ajax.googleapis.com",
    "cdnjs.cloudflare.com",
    "cdn.jsdelivr.net",
    "unpkg.com",
)

# Well-known tracker cookies and their purpose category (glob patterns).
TRACKER_COOKIES: tuple[tuple[str, str], ...] = (
    ("_ga", "analytics"),
    ("_ga_*", "analytics"),
    ("_gid", "analytics"),
    ("_gat*", "analytics"),
    ("_gcl_*", "marketing"),
    ("_gac_*", "marketing"),
    ("_fbp", "marketing"),
    ("_ym_*", "analytics"),
    ("yandexuid", "marketing"),
    ("tmr_*", "marketing"),
    ("_clck", "analytics"),
    ("_clsk", "analytics"),
    ("MUID", "marketing"),
    ("AMP_*", "analytics"),
    ("_pk_id*", "analytics"),
    ("_pk_ses*", "analytics"),
    ("afUserId", "marketing"),
    ("AF_SYNC", "marketing"),
    ("flocktory-uuid", "marketing"),
    ("remixstid", "marketing"),
)

# Names a policy may use for each vendor, beside the catalogue's name and company.
POLICY_ALIASES: dict[str, tuple[str, ...]] = {
    "google_tag_manager": ("Google Tag Manager", "GTM", "Диспетчер тегов Google"),
    "google_analytics": ("Google Analytics", "Гугл Аналитикс", "GA4"),
    "firebase_analytics": ("Firebase", "Google Analytics for Firebase"),
    "yandex_metrika": ("Яндекс.Метрика", "Яндекс Метрика", "Yandex.Metrica", "Yandex Metrika"),
    "appsflyer": ("AppsFlyer", "Апсфлаер"),
    "userx": ("UserX", "Юзер Икс"),
    "vk": ("VK", "ВКонтакте", "ВК", "VK.com", "VK pixel", "пиксель VK"),
    "mail_ru": ("Mail.ru", "Top.Mail.Ru", "Top@Mail.Ru", "Рейтинг Mail.ru"),
    "amplitude": ("Amplitude",),
    "mytarget": ("myTarget", "MyTarget", "Май Таргет"),
    "microsoft_clarity": ("Microsoft Clarity", "Clarity"),
    "juicyscore": ("JuicyScore", "Juicy Score"),
    "matomo": ("Matomo", "Piwik"),
    "flocktory": ("Flocktory", "Флоктори"),
}


def host_matches(host: str, pattern_host: str) -> bool:
    """Exact host or a subdomain of it (mc.yandex.ru matches yandex.ru, not evilyandex.ru)."""
    host = host.lower().rstrip(".")
    pattern_host = pattern_host.lower().lstrip(".").rstrip(".")
    return host == pattern_host or host.endswith("." + pattern_host)


def is_fingerprinting_host(host: str) -> bool:
    return any(host_matches(host, h) for h in FINGERPRINTING_HOSTS)


def is_shared_cdn(host: str) -> bool:
    return any(host_matches(host, h) for h in SHARED_CDN_HOSTS)


def tracker_cookie_category(name: str) -> str | None:
    return next((cat for pat, cat in TRACKER_COOKIES if fnmatch.fnmatchcase(name, pat)), None)


# Second-level public suffixes common for the sites Kelisim serves (a full PSL is not needed to tell
# "the site itself" from a vendor; unknown suffixes fall back to the last two labels).
_TWO_LABEL_SUFFIXES = frozenset(
    {
        "com.kz", "org.kz", "net.kz", "edu.kz", "gov.kz", "mil.kz",
        "com.ru", "org.ru", "net.ru", "co.uk", "org.uk", "com.ua", "co.il", "com.tr",
    }
)  # fmt: skip


def site_of(host: str) -> str:
    """The registrable domain ("eTLD+1") of a host; IP addresses and single labels stand alone."""
    host = host.lower().rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host or "." not in host:
        return host
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# Hosts that serve more than one vendor, told apart by path: the gtag.js loader and the /g/collect
# beacon are Google Analytics or Firebase (whose web SDK loads the same gtag.js and sends to the
# same collect endpoints) even on GTM's host,
# gtm.js is the Tag Manager container. A request whose host and path prefix match is given to
# these vendors only, not to every owner of the host.
PATH_VENDORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("www.googletagmanager.com", "/gtag/js", ("google_analytics", "firebase_analytics")),
    ("www.googletagmanager.com", "/gtm.js", ("google_tag_manager",)),
    ("www.googletagmanager.com", "/ns.html", ("google_tag_manager",)),
    ("www.google-analytics.com", "/", ("google_analytics", "firebase_analytics")),
    ("region1.google-analytics.com", "/", ("google_analytics", "firebase_analytics")),
    ("www.google.com", "/g/collect", ("google_analytics", "firebase_analytics")),
    ("top-fwz1.mail.ru", "/js/code.js", ("mail_ru", "mytarget")),
)

# Documented key prefixes under which a vendor writes cookies and storage, beyond the ones the
# catalogue lists by name: an undeclared `_ym_foo` is still Yandex Metrica's (and undeclared).
KEY_PREFIXES: dict[str, tuple[str, ...]] = {
    "yandex_metrika": ("_ym_", "_ym"),
    "google_analytics": ("_ga_", "_ga", "_gid", "_gat"),
    "microsoft_clarity": ("_clck", "_clsk", "_cltk"),
    "amplitude": ("AMP_",),
    "mytarget": ("tmr_",),
    "matomo": ("_pk_",),
    "appsflyer": ("afUserId", "AF_"),
}


def path_vendors(host: str, path: str) -> tuple[str, ...] | None:
    """The vendors a shared host's path belongs to, or None when no path rule speaks."""
    host = host.lower().rstrip(".")
    for rule_host, prefix, vendors in PATH_VENDORS:
        if host == rule_host and path.startswith(prefix):
            return vendors
    return None


def prefix_vendors(name: str, known: set[str]) -> list[str]:
    """Vendors (among `known`) whose documented prefix starts `name`; the longest prefix wins."""
    best = 0
    found: list[str] = []
    for vendor, prefixes in KEY_PREFIXES.items():
        if vendor not in known:
            continue
        for prefix in prefixes:
            if name.startswith(prefix) and len(prefix) >= best:
                if len(prefix) > best:
                    best, found = len(prefix), []
                found.append(vendor)
    return list(dict.fromkeys(found))
