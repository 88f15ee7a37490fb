"""The catalogue: vendors.yaml loaded, checked and frozen.

A package of modules with one job each: `rules` (what a valid file holds), `problems` (what is
wrong and where), `model` (the frozen catalogue), `reader` (from YAML or plain data to the model),
`document` (vendors.yaml as plain data, as drafts and revisions are kept) and `diff` (what a
publish changes).

Everything a visitor is told (operator, purposes, vendors, banner texts) and everything the runtime
and the scanner gate or attribute comes from one file that people edit by hand. So the loader checks
the whole file and reports every problem at once, each as ``file:line: field: message`` with a hint
on how to fix it, instead of stopping at the first. The result is immutable: the app loads it once
at start, and every request, the consent log and the scanner see the same facts.

Decisions worth knowing:

- A required purpose (``necessary``) is always on, while every vendor is consent-gated (reject-all
  refuses every vendor), so no vendor may list a required purpose. The site's own necessary cookies
  are described by the purpose, not by a vendor.
- What research could not establish is said in a vendor's ``unknown`` mapping, never guessed. The
  loader insists on it where a gap would otherwise read like a fact: a cookie with ``lifetime:
  unknown`` needs ``unknown.cookies``, ``country: null`` needs ``unknown.country``, and a vendor
  with no hosts and no paths needs a note on its hosts.
- ``content_hash`` covers ``to_dict()``: every text, purpose, vendor fact and note, and the
  operator, so the hash kept with a consent record pins exactly what the visitor could read. Site
  origins and cookie domains are deployment wiring a visitor never sees, and are left out.
- ``public_config`` leaves out the ``unknown`` notes (English research notes, not visitor text) and
  gives ``has_unknowns`` instead, so the banner can show ``texts.unknown_facts``.
"""

from __future__ import annotations

from kelisim.domain.catalogue.model import (
    Catalogue,
    CookieSpec,
    LocalText,
    Operator,
    Purpose,
    Site,
    StorageSpec,
    Vendor,
)
from kelisim.domain.catalogue.problems import (
    CatalogueError,
    Problem,
)
from kelisim.domain.catalogue.reader import (
    from_document,
    load,
    loads,
)
from kelisim.domain.catalogue.rules import (
    BANNER_TEXT_KEYS,
    CONSENT_APIS,
    CONSENT_MODE_TYPES,
    COOKIE_MATCHES,
    COOKIE_PARTIES,
    MAX_CONSENT_LIFETIME_DAYS,
    OPTIONAL_TOP_KEYS,
    REQUIRED_PLACEHOLDERS,
    REQUIRED_TEXT_KEYS,
    SCHEMA,
    SITE_KINDS,
    STORAGE_KINDS,
    TOP_KEYS,
    VENDOR_KEYS,
)

__all__ = [
    "BANNER_TEXT_KEYS",
    "CONSENT_APIS",
    "CONSENT_MODE_TYPES",
    "COOKIE_MATCHES",
    "COOKIE_PARTIES",
    "MAX_CONSENT_LIFETIME_DAYS",
    "OPTIONAL_TOP_KEYS",
    "REQUIRED_PLACEHOLDERS",
    "REQUIRED_TEXT_KEYS",
    "SCHEMA",
    "SITE_KINDS",
    "STORAGE_KINDS",
    "TOP_KEYS",
    "VENDOR_KEYS",
    "Catalogue",
    "CatalogueError",
    "CookieSpec",
    "LocalText",
    "Operator",
    "Problem",
    "Purpose",
    "Site",
    "StorageSpec",
    "Vendor",
    "from_document",
    "load",
    "loads",
]
