"""The live catalogue in the database: published revisions, one working draft, and approvals.

Marketers change vendors and texts in the admin UI instead of editing vendors.yaml on a server, so
the database holds what is live. Decisions worth knowing:

- A revision is the whole catalogue document (the structure of vendors.yaml, as canonical JSON), not
  a list of edits: exporting, comparing and serving any revision needs nothing but its row.
- Every edit is validated by `kelisim.domain.catalogue.loads` on the whole document, exactly as a
hand-edited
  file is: the admin UI cannot publish what the file loader would refuse, and both report the
  same problems.
- One draft, shared by all staff. Each edit is a small change applied to the current draft inside
  a locked transaction, so two people editing different vendors never overwrite each other, and
  each edit lands in the audit log in the same transaction.
- Publishing takes exactly the draft that the publisher reviewed (its content hash travels with the
  request): an edit made by someone else after the diff was shown refuses the publish.
- A draft that adds a script host (code that will run on the lender's pages) needs a second
  admin: publishing it creates a pending approval that its author cannot approve. While it is
  pending the draft is frozen, so what is approved is what was asked for.
- Disabling a vendor takes it out of the document (the loader has no "enabled" flag and the banner
  must not list it) and parks it beside the draft, so it can be enabled again with all its facts.
- At start, the repository's vendors.yaml seeds an empty database, and a file whose `revision` is
  higher than the database's is published (an operator who deploys a new file still gets it live);
  otherwise the database wins and a differing file is only reported.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, func, insert, select, text, update

from kelisim.domain.approval_scope import widened_reach
from kelisim.domain.catalogue import (
    OPTIONAL_TOP_KEYS,
    TOP_KEYS,
    VENDOR_KEYS,
    Catalogue,
    CatalogueError,
    Problem,
    loads,
)
from kelisim.domain.materiality import reasons_to_ask_again
from kelisim.services.audit import AuditLog
from kelisim.store.revision_tables import catalogue_approvals, catalogue_draft, catalogue_revisions

__all__ = [
    "DRAFT_SOURCE",
    "Approval",
    "Change",
    "Draft",
    "LiveCatalogue",
    "PublishResult",
    "Published",
    "RevisionError",
    "Revisions",
    "added_script_hosts",
    "build_catalogue",
    "diff",
    "read_yaml",
    "to_yaml",
]

log = logging.getLogger(__name__)

DRAFT_SOURCE = "draft"
FILE_ACTOR = "vendors.yaml"
_LOCK_KEY = 0x4B454C5245564953  # "KELREVIS": serialises bootstraps across PostgreSQL workers

# `consent_revision` reads best next to `revision`.
TOP_ORDER = (*TOP_KEYS[:2], *OPTIONAL_TOP_KEYS[:1], *TOP_KEYS[2:], *OPTIONAL_TOP_KEYS[1:])
VENDOR_ORDER = VENDOR_KEYS
_ITEM_ORDERS = {
    "purposes": ("id", "required", "name", "description"),
    "cookies": ("name", "match", "party", "domain", "lifetime"),
    "storage": ("kind", "key", "match"),
    "vendors": VENDOR_ORDER,
}

Document = dict[str, Any]


class RevisionError(ValueError):
    """A publish, approval or edit that the current state does not allow; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- documents ------------------------------------------------------------------------------------


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


# repr(document) → its YAML, oldest first. A document holds only what YAML and JSON load (dicts,
# lists, strings, numbers, dates), whose repr is faithful, so an equal repr means the same text.
# Dumping costs ~0.1 s and every start, publish and draft check dumps the same few documents again.
_DUMPED: dict[str, str] = {}
_DUMPED_KEEP = 16
_dumped_lock = threading.Lock()


def to_yaml(document: Document) -> str:
    """vendors.yaml text for a document; loads(to_yaml(d)) gives the same catalogue as d."""
    key = repr(document)
    with _dumped_lock:
        found = _DUMPED.get(key)
    if found is not None:
        return found
    dumped = yaml.safe_dump(
        _ordered(document), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )
    with _dumped_lock:
        _DUMPED[key] = dumped
        while len(_DUMPED) > _DUMPED_KEEP:
            del _DUMPED[next(iter(_DUMPED))]
    return dumped


def build_catalogue(document: Document, source: str = DRAFT_SOURCE) -> Catalogue:
    """The catalogue a document describes, through the file loader and all of its rules."""
    return loads(to_yaml(document), source)


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


def _vendor_index(document: Document, vendor_id: str) -> int | None:
    for index, vendor in enumerate(document.get("vendors") or []):
        if isinstance(vendor, dict) and vendor.get("id") == vendor_id:
            return index
    return None


def vendor_of(document: Document, vendor_id: str) -> dict[str, Any] | None:
    index = _vendor_index(document, vendor_id)
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


# --- the human-readable diff ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of the diff: in `section` ("catalogue", "texts", "purpose", "vendor"), `item` (a
    language, purpose or vendor id), `field` went from `before` to `after` (None: absent)."""

    section: str
    item: str
    field: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "item": self.item,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """Field path -> shown value; lists of names become one entry per name (so a diff names each
    host added or removed), cookies and storage are keyed by what identifies them."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "cookies" and isinstance(item, list):
                for cookie in item:
                    where = f" @ {cookie['domain']}" if cookie.get("domain") else ""
                    shown = (
                        cookie.get("match", "exact"),
                        cookie.get("party"),
                        cookie.get("lifetime"),
                    )
                    out[f"{path}: {cookie.get('name')}{where}"] = ", ".join(map(_show, shown))
            elif key == "storage" and isinstance(item, list):
                for entry in item:
                    label = f"{path}: {entry.get('kind')} {entry.get('key')}"
                    out[label] = _show(entry.get("match", "exact"))
            elif isinstance(item, list) and all(not isinstance(x, dict | list) for x in item):
                if not item:
                    out[path] = "—"
                for name in item:
                    out[f"{path}: {_show(name)}"] = "✓"
            else:
                out.update(_flat(item, path))
        return out
    out[prefix] = _show(value)
    return out


def _diff_flat(section: str, item: str, before: Any, after: Any) -> list[Change]:
    old, new = _flat(before), _flat(after)
    changes = []
    for key in list(dict.fromkeys([*old, *new])):
        if old.get(key) != new.get(key):
            changes.append(Change(section, item, key, old.get(key), new.get(key)))
    return changes


def _by_id(items: Any) -> dict[str, Any]:
    return {item["id"]: item for item in items or [] if isinstance(item, dict) and "id" in item}


def diff(live: Document, draft: Document) -> list[Change]:
    """What publishing `draft` over `live` changes, per vendor, purpose, text and setting; the
    revision number itself is not a change (publishing assigns it)."""
    changes: list[Change] = []
    skip = {"schema", "revision", "texts", "purposes", "vendors"}
    before = {k: v for k, v in live.items() if k not in skip}
    after = {k: v for k, v in draft.items() if k not in skip}
    changes += _diff_flat("catalogue", "", before, after)
    old_texts, new_texts = live.get("texts") or {}, draft.get("texts") or {}
    for language in dict.fromkeys([*old_texts, *new_texts]):
        changes += _diff_flat("texts", language, old_texts.get(language), new_texts.get(language))
    for section, key in (("purpose", "purposes"), ("vendor", "vendors")):
        old, new = _by_id(live.get(key)), _by_id(draft.get(key))
        for item_id in dict.fromkeys([*old, *new]):
            if item_id not in new:
                changes.append(Change(section, item_id, "", "enabled", None))
                continue
            a = {k: v for k, v in (old.get(item_id) or {}).items() if k != "id"}
            b = {k: v for k, v in new[item_id].items() if k != "id"}
            if item_id not in old:
                changes.append(Change(section, item_id, "", None, "added"))
            changes += _diff_flat(section, item_id, a or None, b)
    return [change for change in changes if change.field or change.section != "catalogue"]


# --- stored state ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    number: int
    content_hash: str
    document: Document
    parked: list[dict[str, Any]]
    published_by: str
    published_at: datetime
    approved_by: str | None


@dataclass(frozen=True)
class Draft:
    document: Document
    parked: list[dict[str, Any]]
    base_revision: int
    updated_by: str | None
    updated_at: datetime

    def parked_vendor(self, vendor_id: str) -> dict[str, Any] | None:
        return next((v for v in self.parked if v.get("id") == vendor_id), None)


@dataclass(frozen=True)
class Approval:
    id: int
    base_revision: int
    content_hash: str
    document: Document
    parked: list[dict[str, Any]]
    added_hosts: dict[str, list[str]]
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class PublishResult:
    """Either the new live revision, or the approval that publishing is waiting for."""

    published: Published | None = None
    approval: Approval | None = None


def _published(row: Any) -> Published:
    return Published(
        number=row.number,
        content_hash=row.content_hash,
        document=json.loads(row.document),
        parked=json.loads(row.parked),
        published_by=row.published_by,
        published_at=row.published_at,
        approved_by=row.approved_by,
    )


def _approval(row: Any) -> Approval:
    return Approval(
        id=row.id,
        base_revision=row.base_revision,
        content_hash=row.content_hash,
        document=json.loads(row.document),
        parked=json.loads(row.parked),
        added_hosts=json.loads(row.added_hosts),
        status=row.status,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


Mutation = Callable[[Document, list[dict[str, Any]]], tuple[Any, Any]]
"""Changes (document, parked) in place; returns (before, after) for the audit entry."""


class Revisions:
    """The catalogue's revisions, draft and approvals in the app's database (no Flask)."""

    def __init__(
        self,
        engine: Engine,
        write_engine: Engine,
        *,
        audit: AuditLog,
        on_publish: Callable[[Catalogue], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.audit = audit
        self.on_publish = on_publish
        self.clock = clock or (lambda: datetime.now(UTC))
        self._postgres = engine.dialect.name == "postgresql"

    # -- reading ---------------------------------------------------------------------------------

    def head(self) -> int | None:
        """The newest published revision number: one indexed read, cheap enough to poll."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(catalogue_revisions.c.number))).scalar()

    def published(self, number: int) -> Published | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(catalogue_revisions).where(catalogue_revisions.c.number == number)
            ).first()
        return None if row is None else _published(row)

    def live(self) -> Published:
        with self.engine.connect() as conn:
            return self._live(conn)

    def _live(self, conn: Connection) -> Published:
        row = conn.execute(
            select(catalogue_revisions).order_by(catalogue_revisions.c.number.desc()).limit(1)
        ).first()
        if row is None:
            raise RevisionError("empty", "no catalogue revision is published yet")
        return _published(row)

    def history(self, limit: int = 100) -> list[Published]:
        """Newest first, without loading the documents twice over: each row is one revision."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(catalogue_revisions)
                .order_by(catalogue_revisions.c.number.desc())
                .limit(limit)
            ).all()
        return [_published(row) for row in rows]

    def draft(self) -> Draft:
        with self.engine.connect() as conn:
            row = conn.execute(select(catalogue_draft).where(catalogue_draft.c.id == 1)).first()
            if row is None:
                live = self._live(conn)
                return Draft(live.document, live.parked, live.number, None, live.published_at)
        return Draft(
            document=json.loads(row.document),
            parked=json.loads(row.parked),
            base_revision=row.base_revision,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    def changes(self) -> list[Change]:
        """The draft against the live revision."""
        return diff(self.live().document, self.draft().document)

    def pending(self) -> Approval | None:
        with self.engine.connect() as conn:
            return self._pending(conn)

    def _pending(self, conn: Connection) -> Approval | None:
        row = conn.execute(
            select(catalogue_approvals).where(catalogue_approvals.c.status == "pending").limit(1)
        ).first()
        return None if row is None else _approval(row)

    def approval(self, approval_id: int) -> Approval | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(catalogue_approvals).where(catalogue_approvals.c.id == approval_id)
            ).first()
        return None if row is None else _approval(row)

    def approvals(self, limit: int = 50) -> list[Approval]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(catalogue_approvals).order_by(catalogue_approvals.c.id.desc()).limit(limit)
            ).all()
        return [_approval(row) for row in rows]

    # -- seeding from vendors.yaml ---------------------------------------------------------------

    def bootstrap(self, path: str | os.PathLike[str]) -> Catalogue:
        """Seed an empty database from the file, or publish the file when its revision is newer;
        returns the live catalogue. The file is read only here: afterwards the database is live."""
        source = os.fspath(path)
        try:
            text_ = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text_ = None
        published: Catalogue | None = None
        with self.write_engine.begin() as conn:
            if self._postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            head = conn.execute(select(func.max(catalogue_revisions.c.number))).scalar()
            if head is None or text_ is not None:
                if text_ is None:
                    from kelisim.domain.catalogue import load

                    load(source)  # raises the loader's own "file not found" problem
                assert text_ is not None
                document, catalogue = read_yaml(text_, source)
                if head is None or catalogue.revision > head:
                    self._insert_revision(conn, document, [], catalogue, FILE_ACTOR, None)
                    self._sync_draft(conn, document, [], catalogue.revision, FILE_ACTOR, head)
                    self.audit.append(
                        FILE_ACTOR,
                        "catalogue.publish",
                        f"revision:{catalogue.revision}",
                        {"revision": head} if head is not None else None,
                        {"revision": catalogue.revision, "hash": catalogue.content_hash},
                        conn=conn,
                    )
                    published = catalogue
                else:
                    live = self._live(conn)
                    live_catalogue = build_catalogue(live.document, f"revision {live.number}")
                    if (
                        catalogue.revision == head
                        and catalogue.content_hash != live_catalogue.content_hash
                    ):
                        log.warning(
                            "%s differs from the live revision %d but has the same number; the "
                            "database wins (bump `revision`, or `kelisim import catalogue` it)",
                            source,
                            head,
                        )
            if conn.execute(select(catalogue_draft.c.id)).first() is None:
                live = self._live(conn)
                self._sync_draft(conn, live.document, live.parked, live.number, None, None)
        if published is not None:
            self._published_hook(published)
            return published
        live = self.live()
        return build_catalogue(live.document, f"revision {live.number}")

    # -- editing the draft -----------------------------------------------------------------------

    def edit(self, actor: str, action: str, target: str, mutate: Mutation) -> Catalogue:
        """Apply one change to the draft, validate the whole draft, and audit it — or nothing."""
        with self.write_engine.begin() as conn:
            row = self._lock_draft(conn)
            if self._pending(conn) is not None:
                raise RevisionError(
                    "pending", "the draft is waiting for approval; reject or approve it first"
                )
            document, parked = json.loads(row.document), json.loads(row.parked)
            before, after = mutate(document, parked)
            catalogue = build_catalogue(document)
            conn.execute(
                update(catalogue_draft)
                .where(catalogue_draft.c.id == 1)
                .values(
                    document=canonical_json(document),
                    parked=canonical_json(parked),
                    updated_by=actor,
                    updated_at=self.clock(),
                )
            )
            self.audit.append(actor, action, target, before, after, conn=conn)
        return catalogue

    def save_vendor(
        self, actor: str, vendor: dict[str, Any], original_id: str | None = None
    ) -> Catalogue:
        """Add a vendor (original_id None) or replace one; the id may change on edit."""
        vendor_id = vendor.get("id")

        def mutate(document: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            vendors = document.setdefault("vendors", [])
            taken = vendor_id != original_id and (
                _vendor_index(document, vendor_id) is not None
                or any(v.get("id") == vendor_id for v in parked)
            )
            if taken:
                raise CatalogueError(
                    [Problem(DRAFT_SOURCE, 0, f"vendor '{vendor_id}': id", "this id is taken")]
                )
            if original_id is None:
                vendors.append(vendor)
                return None, vendor
            index = _vendor_index(document, original_id)
            if index is None:
                raise RevisionError("unknown_vendor", f"no enabled vendor '{original_id}'")
            old = vendors[index]
            vendors[index] = vendor
            keys = [k for k in dict.fromkeys([*old, *vendor]) if old.get(k) != vendor.get(k)]
            return {k: old.get(k) for k in keys}, {k: vendor.get(k) for k in keys}

        action = "catalogue.vendor.add" if original_id is None else "catalogue.vendor.edit"
        return self.edit(actor, action, f"vendor:{original_id or vendor_id}", mutate)

    def set_vendor_enabled(self, actor: str, vendor_id: str, enabled: bool) -> Catalogue:
        def mutate(document: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            if enabled:
                found = next((v for v in parked if v.get("id") == vendor_id), None)
                if found is None:
                    raise RevisionError("unknown_vendor", f"no disabled vendor '{vendor_id}'")
                parked.remove(found)
                document.setdefault("vendors", []).append(found)
            else:
                index = _vendor_index(document, vendor_id)
                if index is None:
                    raise RevisionError("unknown_vendor", f"no enabled vendor '{vendor_id}'")
                parked.append(document["vendors"].pop(index))
            return {"enabled": not enabled}, {"enabled": enabled}

        action = "catalogue.vendor.enable" if enabled else "catalogue.vendor.disable"
        return self.edit(actor, action, f"vendor:{vendor_id}", mutate)

    def set_texts(self, actor: str, language: str, values: Mapping[str, str]) -> Catalogue:
        """Replace the banner texts of one language (only the keys given)."""

        def mutate(document: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            texts = document.setdefault("texts", {}).setdefault(language, {})
            changed = [key for key, value in values.items() if texts.get(key) != value]
            before = {key: texts.get(key) for key in changed}
            texts.update({key: values[key] for key in changed})
            return before, {key: values[key] for key in changed}

        return self.edit(actor, "catalogue.texts.edit", f"texts:{language}", mutate)

    def set_purpose(
        self,
        actor: str,
        purpose_id: str,
        name: Mapping[str, str],
        description: Mapping[str, str],
    ) -> Catalogue:
        def mutate(document: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            purpose = _by_id(document.get("purposes")).get(purpose_id)
            if purpose is None:
                raise RevisionError("unknown_purpose", f"no purpose '{purpose_id}'")
            before = {"name": dict(purpose["name"]), "description": dict(purpose["description"])}
            purpose["name"] = dict(name)
            purpose["description"] = dict(description)
            after = {"name": dict(name), "description": dict(description)}
            keys = [key for key in before if before[key] != after[key]]
            return {k: before[k] for k in keys}, {k: after[k] for k in keys}

        return self.edit(actor, "catalogue.purpose.edit", f"purpose:{purpose_id}", mutate)

    def set_appearance(self, actor: str, appearance: Mapping[str, Any] | None) -> Catalogue:
        """Replace the banner's appearance block (None: back to the built-in look). Validated
        with the whole draft: a colour pair below 4.5:1 is a CatalogueError naming the pair."""

        def mutate(document: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            before = document.get("appearance")
            if appearance is None:
                document.pop("appearance", None)
            else:
                document["appearance"] = json.loads(json.dumps(appearance))
            return before, document.get("appearance")

        return self.edit(actor, "catalogue.appearance.edit", "appearance", mutate)

    def import_yaml(self, actor: str, text_: str, source: str) -> Catalogue:
        """Replace the draft with an uploaded vendors.yaml (validated with its file:line problems).
        Vendors that are parked stay parked unless the file lists them."""
        document, catalogue = read_yaml(text_, source)

        def mutate(draft: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            before = {"hash": build_catalogue(draft).content_hash, "vendors": _ids(draft)}
            listed = set(_ids(document))
            parked[:] = [v for v in parked if v.get("id") not in listed]
            draft.clear()
            draft.update(copy.deepcopy(document))
            return before, {
                "hash": catalogue.content_hash,
                "vendors": _ids(document),
                "file": source,
            }

        self.edit(actor, "catalogue.import", "draft", mutate)
        return catalogue

    def discard(self, actor: str) -> None:
        """Throw the draft's changes away: it becomes the live revision again."""

        def mutate(draft: Document, parked: list[dict[str, Any]]) -> tuple[Any, Any]:
            live = self.live()
            changes = [change.to_dict() for change in diff(live.document, draft)]
            draft.clear()
            draft.update(live.document)
            parked[:] = live.parked
            return {"changes": changes}, None

        self.edit(actor, "catalogue.draft.discard", "draft", mutate)

    # -- publishing and approvals ----------------------------------------------------------------

    def draft_asks_again(self) -> list[str]:
        """Why publishing the draft would ask every visitor again (empty: it would not)."""
        live = self.live()
        document = copy.deepcopy(self.draft().document)
        document["revision"] = live.number + 1
        return _material_reasons(live, document)[0]

    def draft_hash(self) -> str:
        """What the publisher reviewed: the draft catalogue's hash, carried by the publish form."""
        return build_catalogue(self.draft().document).content_hash

    def publish(self, actor: str, reviewed_hash: str, *, ask_again: bool = False) -> PublishResult:
        """Publish the draft as the next revision, or ask for a second admin when it adds a
        script host. `reviewed_hash` must still be the draft's (nobody edited it since).

        Choices made before still stand unless the change is material
        (kelisim.domain.materiality) or the publisher asks everyone again (`ask_again`)."""
        with self.write_engine.begin() as conn:
            row = self._lock_draft(conn)
            if self._pending(conn) is not None:
                raise RevisionError("pending", "the draft is already waiting for approval")
            live = self._live(conn)
            document, parked = json.loads(row.document), json.loads(row.parked)
            if build_catalogue(document).content_hash != reviewed_hash:
                raise RevisionError("changed", "the draft changed after you reviewed it")
            changes = diff(live.document, document)
            if not changes:
                raise RevisionError("nothing", "the draft is the live revision: nothing to publish")
            document["revision"] = live.number + 1
            reasons = self._set_consent_revision(live, document, ask_again)
            catalogue = build_catalogue(document, f"revision {live.number + 1}")
            # Every widening (hosts of any kind, paths, CORS origins), not only script hosts.
            added = widened_reach(live.document, document)
            if added:
                approval_id = conn.execute(
                    insert(catalogue_approvals).values(
                        base_revision=live.number,
                        content_hash=catalogue.content_hash,
                        document=canonical_json(document),
                        parked=canonical_json(parked),
                        added_hosts=canonical_json(added),
                        status="pending",
                        requested_by=actor,
                        requested_at=self.clock(),
                    )
                ).inserted_primary_key[0]
                self.audit.append(
                    actor,
                    "catalogue.approval.request",
                    f"approval:{approval_id}",
                    {"revision": live.number},
                    {
                        "revision": catalogue.revision,
                        "added_script_hosts": added,
                        "consent_revision": catalogue.consent_revision,
                        "asks_again": reasons,
                    },
                    conn=conn,
                )
                approval = _approval(
                    conn.execute(
                        select(catalogue_approvals).where(catalogue_approvals.c.id == approval_id)
                    ).one()
                )
                return PublishResult(approval=approval)
            published = self._publish(
                conn, live, document, parked, catalogue, actor, None, changes, reasons
            )
        self._published_hook(catalogue)
        return PublishResult(published=published)

    @staticmethod
    def _set_consent_revision(live: Published, document: Document, ask_again: bool) -> list[str]:
        """Write the document's `consent_revision`; the reasons it asks again (empty: it keeps
        the live revision's choices standing)."""
        document.pop("consent_revision", None)
        reasons, before = _material_reasons(live, document)
        if ask_again and not reasons:
            reasons = ["the publisher asked every visitor again"]
        if not reasons:
            document["consent_revision"] = before.consent_revision
        return reasons

    def approve(self, approval_id: int, actor: str) -> Published:
        """A second admin publishes a pending request; its author cannot."""
        with self.write_engine.begin() as conn:
            self._lock_draft(conn)
            approval = self._approval_for_decision(conn, approval_id)
            if approval.requested_by == actor:
                raise RevisionError("own_request", "a second admin must approve this change")
            live = self._live(conn)
            if live.number != approval.base_revision:
                self._decide(conn, approval_id, "superseded", actor)
                raise RevisionError("superseded", "the live catalogue changed since the request")
            catalogue = build_catalogue(approval.document, f"revision {live.number + 1}")
            self._decide(conn, approval_id, "approved", actor)
            self.audit.append(
                actor,
                "catalogue.approval.approve",
                f"approval:{approval_id}",
                {"status": "pending"},
                {"status": "approved", "added_script_hosts": approval.added_hosts},
                conn=conn,
            )
            changes = diff(live.document, approval.document)
            published = self._publish(
                conn,
                live,
                approval.document,
                approval.parked,
                catalogue,
                approval.requested_by,
                actor,
                changes,
            )
        self._published_hook(catalogue)
        return published

    def reject(self, approval_id: int, actor: str, *, may_decide_others: bool) -> Approval:
        """An admin rejects a request, or its author withdraws it; the draft stays for fixing."""
        with self.write_engine.begin() as conn:
            self._lock_draft(conn)
            approval = self._approval_for_decision(conn, approval_id)
            if not may_decide_others and approval.requested_by != actor:
                raise RevisionError("forbidden", "only an admin or the author may reject this")
            self._decide(conn, approval_id, "rejected", actor)
            self.audit.append(
                actor,
                "catalogue.approval.reject",
                f"approval:{approval_id}",
                {"status": "pending"},
                {"status": "rejected", "added_script_hosts": approval.added_hosts},
                conn=conn,
            )
        result = self.approval(approval_id)
        assert result is not None
        return result

    # -- internals -------------------------------------------------------------------------------

    def _published_hook(self, catalogue: Catalogue) -> None:
        if self.on_publish is not None:
            self.on_publish(catalogue)

    def _lock_draft(self, conn: Connection) -> Any:
        """The draft row, locked: all catalogue writes go through it, so they form a line (SQLite
        takes its write lock at BEGIN IMMEDIATE; PostgreSQL locks the row)."""
        query = select(catalogue_draft).where(catalogue_draft.c.id == 1)
        row = conn.execute(query.with_for_update() if self._postgres else query).first()
        if row is None:
            raise RevisionError("empty", "the catalogue is not seeded yet")
        return row

    def _approval_for_decision(self, conn: Connection, approval_id: int) -> Approval:
        row = conn.execute(
            select(catalogue_approvals).where(catalogue_approvals.c.id == approval_id)
        ).first()
        if row is None:
            raise RevisionError("unknown_approval", "no such approval request")
        if row.status != "pending":
            raise RevisionError("decided", f"this request is already {row.status}")
        return _approval(row)

    def _decide(self, conn: Connection, approval_id: int, status: str, actor: str) -> None:
        conn.execute(
            update(catalogue_approvals)
            .where(catalogue_approvals.c.id == approval_id)
            .values(status=status, decided_by=actor, decided_at=self.clock())
        )

    def _insert_revision(
        self,
        conn: Connection,
        document: Document,
        parked: list[dict[str, Any]],
        catalogue: Catalogue,
        actor: str,
        approved_by: str | None,
    ) -> Published:
        at = self.clock()
        conn.execute(
            insert(catalogue_revisions).values(
                number=catalogue.revision,
                content_hash=catalogue.content_hash,
                document=canonical_json(document),
                parked=canonical_json(parked),
                published_by=actor,
                published_at=at,
                approved_by=approved_by,
            )
        )
        return Published(
            catalogue.revision, catalogue.content_hash, document, parked, actor, at, approved_by
        )

    def _sync_draft(
        self,
        conn: Connection,
        document: Document,
        parked: list[dict[str, Any]],
        number: int,
        actor: str | None,
        previous: int | None,
    ) -> None:
        """Point the draft at a new live revision; a draft with unpublished edits keeps them."""
        row = conn.execute(select(catalogue_draft).where(catalogue_draft.c.id == 1)).first()
        values = {
            "document": canonical_json(document),
            "parked": canonical_json(parked),
            "base_revision": number,
            "updated_by": actor,
            "updated_at": self.clock(),
        }
        if row is None:
            conn.execute(insert(catalogue_draft).values(id=1, **values))
            return
        old_live = None
        if previous is not None:
            old_row = conn.execute(
                select(catalogue_revisions.c.document).where(
                    catalogue_revisions.c.number == previous
                )
            ).scalar()
            old_live = json.loads(old_row) if old_row is not None else None
        if old_live is not None and diff(old_live, json.loads(row.document)):
            conn.execute(
                update(catalogue_draft)
                .where(catalogue_draft.c.id == 1)
                .values(base_revision=number)
            )
            return
        conn.execute(update(catalogue_draft).where(catalogue_draft.c.id == 1).values(**values))

    def _publish(
        self,
        conn: Connection,
        live: Published,
        document: Document,
        parked: list[dict[str, Any]],
        catalogue: Catalogue,
        actor: str,
        approved_by: str | None,
        changes: list[Change],
        reasons: list[str] | None = None,
    ) -> Published:
        published = self._insert_revision(conn, document, parked, catalogue, actor, approved_by)
        conn.execute(
            update(catalogue_draft)
            .where(catalogue_draft.c.id == 1)
            .values(
                document=canonical_json(document),
                parked=canonical_json(parked),
                base_revision=catalogue.revision,
                updated_at=published.published_at,
            )
        )
        self.audit.append(
            approved_by or actor,
            "catalogue.publish",
            f"revision:{catalogue.revision}",
            {"revision": live.number, "hash": live.content_hash},
            {
                "revision": catalogue.revision,
                "hash": catalogue.content_hash,
                "author": actor,
                "changes": [change.to_dict() for change in changes],
                "consent_revision": catalogue.consent_revision,
                "asks_again": reasons
                if reasons is not None
                else _material_reasons(live, document)[0],
            },
            conn=conn,
        )
        return published


def _material_reasons(live: Published, document: Document) -> tuple[list[str], Catalogue]:
    """Why `document` would ask every visitor again after `live` (kelisim.domain.materiality),
    and live's catalogue: the one judgement behind the publish page and the publish itself."""
    before = build_catalogue(live.document, f"revision {live.number}")
    after = {key: value for key, value in document.items() if key != "consent_revision"}
    return reasons_to_ask_again(before, build_catalogue(after)), before


def _ids(document: Document) -> list[str]:
    return [v.get("id") for v in document.get("vendors") or [] if isinstance(v, dict)]


# Earlier revisions a worker keeps parsed: the few whose banners browsers may still show.
EARLIER_REVISIONS_KEPT = 8


class LiveCatalogue:
    """The Catalogue a worker serves, following the database's newest published revision.

    Every API worker keeps its Catalogue in memory (the banner config is the hottest path) and
    looks at the database's head revision at most once per `refresh_seconds`, so a publish
    reaches every worker within that time without a restart; `None` pins the catalogue the
    process started with. A database that cannot be read keeps the current catalogue: serving the
    banner config does not need the database.
    """

    def __init__(
        self,
        revisions: Revisions,
        catalogue: Catalogue,
        *,
        refresh_seconds: float | None = 2.0,
        on_change: Callable[[Catalogue], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.revisions = revisions
        self._catalogue = catalogue
        self.refresh_seconds = refresh_seconds
        self.on_change = on_change
        self._monotonic = monotonic
        self._checked = monotonic()
        self._lock = threading.Lock()
        self._earlier: dict[int, Catalogue] = {}
        self._earlier_lock = threading.Lock()

    def current(self) -> Catalogue:
        if self.refresh_seconds is None:
            return self._catalogue
        if self._monotonic() - self._checked < self.refresh_seconds:
            return self._catalogue
        if not self._lock.acquire(blocking=False):
            return self._catalogue  # another thread is looking already
        try:
            self._checked = self._monotonic()
            self._load_head()
        finally:
            self._lock.release()
        return self._catalogue

    def refresh(self) -> Catalogue:
        """Look now (after this process published, or when a test wants no wait)."""
        with self._lock:
            self._checked = self._monotonic()
            self._load_head()
        return self._catalogue

    def at(self, number: int) -> Catalogue | None:
        """The catalogue of published revision `number` (None: there is none), so a choice made
        on a banner a publish has since replaced is recorded against what the visitor saw."""
        current = self.current()
        if number == current.revision:
            return current
        if number > current.revision:
            current = self.refresh()
            return current if number == current.revision else None
        earlier = self._earlier.get(number)
        if earlier is None:
            published = self.revisions.published(number)
            if published is None:
                return None
            earlier = build_catalogue(published.document, f"revision {number}")
            with self._earlier_lock:
                if len(self._earlier) >= EARLIER_REVISIONS_KEPT:
                    self._earlier.pop(min(self._earlier))
                self._earlier[number] = earlier
        return earlier

    def _load_head(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            head = self.revisions.head()
            if head is None or head == self._catalogue.revision:
                return
            published = self.revisions.published(head)
            if published is None:
                return
            catalogue = build_catalogue(published.document, f"revision {head}")
        except (SQLAlchemyError, CatalogueError) as error:
            log.warning(
                "catalogue refresh failed, keeping revision %s: %s",
                self._catalogue.revision,
                type(error).__name__,
            )
            return
        if self.on_change is not None:
            try:
                self.on_change(catalogue)
            except SQLAlchemyError as error:
                log.warning("catalogue snapshot not saved: %s", type(error).__name__)
        self._catalogue = catalogue
        log.info("catalogue revision %d is live", head)
