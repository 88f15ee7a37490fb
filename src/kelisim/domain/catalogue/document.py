"""The catalogue as a document: vendors.yaml as plain data, as the admin keeps drafts and the
database keeps revisions.

A revision is the whole document, not a list of edits, so exporting, comparing and serving any
revision needs nothing but the document. These functions turn text into documents and documents
into catalogues and text, with the keys in the order people read vendors.yaml in.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from kelisim.domain.catalogue.model import Catalogue
from kelisim.domain.catalogue.problems import CatalogueError, Problem
from kelisim.domain.catalogue.reader import from_document, loads
from kelisim.domain.catalogue.rules import OPTIONAL_TOP_KEYS, TOP_KEYS, VENDOR_KEYS

Document = dict[str, Any]
DRAFT_SOURCE = "draft"

# `consent_revision` reads best next to `revision`.
TOP_ORDER = (*TOP_KEYS[:2], *OPTIONAL_TOP_KEYS[:1], *TOP_KEYS[2:], *OPTIONAL_TOP_KEYS[1:])
VENDOR_ORDER = VENDOR_KEYS
_ITEM_ORDERS = {
    "purposes": ("id", "required", "name", "description"),
    "cookies": ("name", "match", "party", "domain", "lifetime"),
    "storage": ("kind", "key", "match"),
    "vendors": VENDOR_ORDER,
}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _ordered(value: Any, order: tuple[str, ...] = TOP_ORDER) -> Any:
    """Keys in the order people read vendors.yaml in (canonical JSON sorts them)."""
    if not isinstance(value, dict):
        return value
    keys = [key for key in order if key in value] + [key for key in value if key not in order]
    result = {}
    for key in keys:
        item = value[key]
        if isinstance(item, list) and key in _ITEM_ORDERS:
            item = [_ordered(child, _ITEM_ORDERS[key]) for child in item]
        result[key] = item
    return result


def to_yaml(document: Document) -> str:
    """vendors.yaml text for a document; loads(to_yaml(d)) gives the same catalogue as d."""
    return yaml.safe_dump(
        _ordered(document), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )


def build_catalogue(document: Document, source: str = DRAFT_SOURCE) -> Catalogue:
    """The catalogue a document describes, checked by all of the file loader's rules."""
    return from_document(document, source)


def read_yaml(text: str, source: str) -> tuple[Document, Catalogue]:
    """(document, catalogue) of vendors.yaml text; CatalogueError with file:line problems."""
    catalogue = loads(text, source)
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    again = build_catalogue(document, source)
    if again.content_hash != catalogue.content_hash:
        # A YAML feature the document cannot carry (an alias, a tag): refuse rather than lose it.
        raise CatalogueError(
            [Problem(source, 0, "", "cannot be stored as it is — write it out without YAML tricks")]
        )
    return document, catalogue


def vendor_index(document: Document, vendor_id: str) -> int | None:
    for index, vendor in enumerate(document.get("vendors") or []):
        if isinstance(vendor, dict) and vendor.get("id") == vendor_id:
            return index
    return None


def vendor_of(document: Document, vendor_id: str) -> dict[str, Any] | None:
    index = vendor_index(document, vendor_id)
    return None if index is None else document["vendors"][index]


def added_script_hosts(live: Document, draft: Document) -> dict[str, list[str]]:
    """Script hosts the draft adds to any vendor: new code on the lender's pages."""
    known = {
        vendor.get("id"): set(vendor.get("script_hosts") or [])
        for vendor in live.get("vendors") or []
    }
    added: dict[str, list[str]] = {}
    for vendor in draft.get("vendors") or []:
        new = [
            h for h in vendor.get("script_hosts") or [] if h not in known.get(vendor["id"], set())
        ]
        if new:
            added[vendor["id"]] = new
    return added


def by_id(items: Any) -> dict[str, Any]:
    """A list of purposes or vendors by id (items without one are left out)."""
    return {item["id"]: item for item in items or [] if isinstance(item, dict) and "id" in item}
