"""What a valid vendors.yaml holds: its keys, the values each accepts, the texts every language
needs. The reader checks against these and the admin builds its forms from them, so a rule is
written once."""

from __future__ import annotations

import re
from types import MappingProxyType

SCHEMA = 1
CONSENT_APIS = ("google_consent_mode", "clarity_consentv2", "matomo", "amplitude")
# Google Consent Mode v2 types a vendor's grant may set to "granted" (vendor.consent_mode).
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
COOKIE_MATCHES = ("exact", "prefix")
COOKIE_PARTIES = ("first", "third")
STORAGE_KINDS = ("local", "session", "indexeddb")
SITE_KINDS = ("web", "app")
MAX_CONSENT_LIFETIME_DAYS = 730

# The banner, the settings layer and the receipt page read these keys; a language missing one would
# show a blank button, so the loader asks for all of them.
# The texts the banner's first layer (and the floating button) shows before Settings is opened.
BANNER_TEXT_KEYS = (
    "title",
    "description",
    "accept_all",
    "reject_all",
    "settings",
    "close",
    "language",
    "policy_link",
    "change_settings",
    "save_error",
)
REQUIRED_TEXT_KEYS = frozenset(
    {
        "title",
        "description",
        "accept_all",
        "reject_all",
        "settings",
        "save",
        "back",
        "close",
        "language",
        "purposes_heading",
        "vendors_heading",
        "vendor_toggle_label",
        "company",
        "country",
        "data_leaves_kz",
        "data_stays_kz",
        "stores",
        "cookies",
        "storage",
        "lifetime",
        "session",
        "days",
        "policy_link",
        "withdraw",
        "change_settings",
        "receipt_title",
        "receipt_intro",
        "receipt_withdraw",
        "receipt_withdrawn",
        "status_given",
        "status_refused",
        "status_withdrawn",
        "status_deferred",
        "always_on",
        "unknown_facts",
    }
)
# Placeholders the runtime fills in; a translation without one would print a label without a name.
REQUIRED_PLACEHOLDERS = MappingProxyType(
    {
        "vendor_toggle_label": frozenset({"{vendor}"}),
        "purpose_toggle_label": frozenset({"{purpose}"}),
    }
)

_ID = re.compile(r"[a-z][a-z0-9_]*")
_SITE_ID = re.compile(r"[a-z][a-z0-9_-]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_LABEL = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_COOKIE_DOMAIN = re.compile(rf"\.?{_LABEL}(?:\.{_LABEL})*")
_ORIGIN = re.compile(rf"(https?)://({_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::(\d{{1,5}}|\*))?")
_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?")
_HTTPS_URL = re.compile(r"https://[^\s/?#]+(?:[/?#]\S*)?")
_PATH = re.compile(r"/[^\s?#]*")
# A path prefix on a shared host, as "host/path": www.google.com/g/collect.
_HOST_PATH = re.compile(r"([^/\s]+)(/[^\s?#]*)")
_LIFETIME = re.compile(r"([1-9][0-9]*)([smhd])")
_LIFETIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_COOKIE_NAME = re.compile(r"[^\s;,=]+")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_BIN = re.compile(r"\d{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# The top-level keys of vendors.yaml, in the order the file and its exports use.
TOP_KEYS = (
    "schema",
    "revision",
    "consent_lifetime_days",
    "default_language",
    "languages",
    "operator",
    "sites",
    "texts",
    "purposes",
    "vendors",
)
# Top-level blocks a catalogue may leave out (then the defaults apply).
OPTIONAL_TOP_KEYS = ("consent_revision", "appearance", "regions")
# The keys of a vendor in vendors.yaml, in the order the file and its exports use.
VENDOR_KEYS = (
    "id",
    "name",
    "company",
    "country",
    "data_leaves_kz",
    "purposes",
    "privacy_policy_url",
    "consent_api",
    "consent_mode",
    "script_hosts",
    "beacon_hosts",
    "domains",
    "urls",
    "paths",
    "cookies",
    "storage",
    "unknown",
    "description",
)
_VENDOR_OPTIONAL = ("unknown", "paths", "domains", "urls", "consent_mode")
_VENDOR_REQUIRED = tuple(key for key in VENDOR_KEYS if key not in _VENDOR_OPTIONAL)
_UNKNOWN_KEYS = frozenset((*_VENDOR_REQUIRED, *_VENDOR_OPTIONAL, "hosts")) - {"id", "unknown"}
