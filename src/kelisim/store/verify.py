"""`kelisim db verify`: rebuild the whole Merkle tree from the rows, hold it to every checkpoint.

Three layers, each naming the first place it breaks by leaf index (leaf = seq - 1):
* each row against its own leaf hash: an edited field, a forged `personal_digest` or
  `request_fingerprint`, a redacted row that still holds personal data, a missing row;
* the stored subtree hashes against the stored leaf hashes: an edited `log_hashes` row;
* every signed checkpoint against the tree re-derived from the rows' content, and its signature
  against its key. This is what catches an insider who edited a row and recomputed the leaf hash and
  every subtree hash above it: they cannot change what was signed before. (With the signing key they
  could re-sign; only a copy of the checkpoints kept outside the database — `kelisim log
  export-checkpoints`, `kelisim log check --against` — catches that, see docs/log.md.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.engine import Connection

from kelisim.store import leaves, merkle
from kelisim.store.log import SignedCheckpoint
from kelisim.store.note import NoteError, Verifier, open_checkpoint
from kelisim.store.schema import UtcDateTime, consent_events, log_hashes

MAX_PROBLEMS = 1000
PAGE = 2000


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)
    # The lowest leaf index found changed, missing or unprovable; None when all verify.
    first_bad_leaf: int | None = None
    checkpoints_checked: int = 0


@dataclass
class _Walk:
    problems: list[str] = field(default_factory=list)
    dropped: int = 0
    first_bad_leaf: int | None = None

    def report(self, message: str, leaf: int | None = None) -> None:
        if leaf is not None and (self.first_bad_leaf is None or leaf < self.first_bad_leaf):
            self.first_bad_leaf = leaf
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.dropped += 1


def _timestamp_text(value: object) -> str:
    """A stored time in leaf form; on SQLite verify reads raw text, which may be tampered."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time any more: the leaf cannot match, and verify says so
    if isinstance(value, datetime):
        return leaves.timestamp_text(value if value.tzinfo else value.replace(tzinfo=UTC))
    return repr(value)


def _fields(values: Any) -> dict[str, Any]:
    """A stored row in the form its leaf was computed from, with the JSON text parsed back."""
    fields: dict[str, Any] = {name: values[name] for name in leaves.TEXT_LIMITS}
    fields.update(
        is_bot=bool(values["is_bot"]),
        gpc=bool(values["gpc"]),
        revision=values["revision"],
        recorded_at=_timestamp_text(values["recorded_at"]),
        expires_at=_timestamp_text(values["expires_at"]),
    )
    for name in ("grants", "purposes"):
        try:
            fields[name] = json.loads(values[name])
        except ValueError:
            fields[name] = values[name]  # unparseable: leave as is, the leaf will not match
    return fields


def _check_row(walk: _Walk, values: Any) -> bytes:
    """Report a row whose content no longer matches its leaf hash; returns the recomputed hash."""
    index = values["seq"] - 1
    label = f"leaf {index}"
    fields = _fields(values)
    if values["redacted"]:
        leftovers = [name for name in leaves.PERSONAL_FIELDS if fields[name]]
        if leftovers:
            walk.report(f"{label}: redacted row still holds {', '.join(leftovers)}", index)
        personal = values["personal_digest"]
    else:
        personal = leaves.personal_digest(fields)
    recomputed = merkle.leaf_hash(leaves.leaf(fields, personal))
    if recomputed.hex() != values["hash"]:
        walk.report(f"{label}: content changed (leaf hash mismatch)", index)
    elif not values["redacted"]:
        # The fields are intact, so only these stored derivatives can have been edited. A forged
        # personal_digest matters because a later redaction would trust it.
        if personal != values["personal_digest"]:
            walk.report(f"{label}: personal_digest does not match the row's personal fields", index)
        if leaves.request_fingerprint(fields) != values["request_fingerprint"]:
            walk.report(f"{label}: request_fingerprint does not match the row", index)
    return recomputed


def _pages(conn: Connection, query: Any, key: Any) -> Iterator[Any]:
    last = -1
    while True:
        rows = conn.execute(query.where(key > last).order_by(key).limit(PAGE)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1]._mapping[key.name]


class _StoredHashes:
    """The stored hashes in index order, read a page at a time, compared as the walk makes them."""

    def __init__(self, conn: Connection) -> None:
        self._rows = _pages(conn, select(log_hashes.c.id, log_hashes.c.hash), log_hashes.c.id)
        self._next: tuple[int, bytes] | None = None
        self.reported = False

    def take(self, index: int) -> bytes | None:
        while self._next is None or self._next[0] < index:
            row = next(self._rows, None)
            if row is None:
                return None
            self._next = (row.id, bytes(row.hash))
        if self._next[0] != index:
            return None
        value, self._next = self._next[1], None
        return value

    def extra(self) -> int:
        count = 1 if self._next is not None else 0
        return count + sum(1 for _ in self._rows)


def walk(
    conn: Connection, sqlite: bool, head_size: int, checkpoints: list[SignedCheckpoint]
) -> VerifyReport:
    checks = _Walk()
    columns = [
        # Raw text on SQLite, where a tampered file can hold anything in a DATETIME column.
        type_coerce(column, Text).label(column.name)
        if sqlite and isinstance(column.type, UtcDateTime)
        else column
        for column in consent_events.c
    ]
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    _check_signatures(checks, pending)
    content_tree = merkle.CompactTree()  # from the rows' content, as they read now
    stored_tree = merkle.CompactTree()  # from the stored leaf hashes
    stored = _StoredHashes(conn)
    last_good_checkpoint = 0
    checkpoints_checked = 0
    while pending and pending[0].tree_size == 0:  # the empty tree: nothing to rebuild
        checkpoints_checked += 1
        if pending.pop(0).root != merkle.EMPTY_ROOT:
            checks.report("checkpoint of tree size 0: its root is not the empty tree's")
    rows = _pages(conn, select(*columns), consent_events.c.seq)
    checked = 0
    for row in rows:
        values = row._mapping
        checked += 1
        index = values["seq"] - 1
        if index > content_tree.size:
            first, last = content_tree.size, index - 1
            missing = f"leaf {first}" if first == last else f"leaves {first}..{last}"
            checks.report(f"{missing}: missing (rows removed before leaf {index})", first)
            break  # the tree cannot be rebuilt past a hole
        recomputed = _check_row(checks, values)
        content_tree.append(recomputed)
        try:
            stored_leaf = bytes.fromhex(values["hash"])
        except ValueError:
            stored_leaf = b""
        for hash_index, expected in stored_tree.append(stored_leaf):
            if stored.take(hash_index) != expected and not stored.reported:
                stored.reported = True
                checks.report(
                    f"leaf {index}: stored tree hash {hash_index} does not match the leaf hashes",
                    index,
                )
        while pending and pending[0].tree_size <= content_tree.size:
            checkpoint = pending.pop(0)
            checkpoints_checked += 1
            if content_tree.root() == checkpoint.root:
                last_good_checkpoint = checkpoint.tree_size
            elif checks.first_bad_leaf is None:
                # Every row matches its leaf hash, yet the tree is not the one signed: the leaf
                # hashes themselves were recomputed after an edit (or rows replaced wholesale).
                checks.report(
                    f"checkpoint of tree size {checkpoint.tree_size}: the rows now hash to another "
                    f"root; history was rewritten in leaves {last_good_checkpoint}.."
                    f"{checkpoint.tree_size - 1}",
                    last_good_checkpoint,
                )
    _check_head(checks, content_tree.size, head_size, stored, pending)
    if checks.dropped:
        checks.problems.append(f"… and {checks.dropped} more problems")
    return VerifyReport(
        ok=not checks.problems,
        checked=checked,
        problems=checks.problems,
        first_bad_leaf=checks.first_bad_leaf,
        checkpoints_checked=checkpoints_checked,
    )


def _check_signatures(checks: _Walk, checkpoints: list[SignedCheckpoint]) -> None:
    for checkpoint in checkpoints:
        try:
            opened, _ = open_checkpoint(checkpoint.note, [Verifier.parse(checkpoint.verifier_key)])
        except NoteError as error:
            checks.report(f"checkpoint of tree size {checkpoint.tree_size}: {error}")
            continue
        if opened.size != checkpoint.tree_size or opened.root != checkpoint.root:
            checks.report(
                f"checkpoint of tree size {checkpoint.tree_size}: its stored size or root differs "
                "from the signed note"
            )


def _check_head(
    checks: _Walk,
    size: int,
    head_size: int,
    stored: _StoredHashes,
    unmatched: list[SignedCheckpoint],
) -> None:
    if head_size != size:
        detail = f" (rows after leaf {size - 1} removed)" if head_size > size else ""
        checks.report(
            f"log_head: records {head_size} leaves but the rows make {size}{detail}", size
        )
    extra = stored.extra()
    if extra:
        checks.report(f"log_hashes: {extra} stored hash(es) beyond the tree of {size} leaves")
    for checkpoint in unmatched:
        checks.report(
            f"checkpoint of tree size {checkpoint.tree_size}: the log now has only {size} leaves "
            "(leaves removed)",
            size,
        )
