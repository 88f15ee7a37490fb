"""The admin audit log as an append-only Merkle tree with signed checkpoints.

Staff can put scripts on the lender's site and change who may do so; the audit log is the record of
who did. A row anyone with database access can edit proves little, so each entry is also a leaf of
an RFC 6962 tree (the hashing of kelisim.store.merkle) whose roots the server signs as C2SP
checkpoints, exactly like the consent log, under its own origin (`<log origin>/audit`) so an audit
checkpoint can never be passed off as a consent one. An edited row no longer matches its leaf hash;
an insider who recomputes every hash changes the root, which no longer matches the signed
checkpoints; one who also deletes those is caught by a copy kept outside the database
(`kelisim log export-checkpoints`, then `kelisim log check --against`).

The tree is kept as its size and right-edge peaks in `audit_head`, so an append costs O(log n)
whatever the length of the log; verification recomputes the tree from the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kelisim.store import merkle
from kelisim.store.admin_tables import audit_checkpoints, audit_head, audit_log
from kelisim.store.note import Checkpoint, NoteError, Signer, Verifier, open_checkpoint
from kelisim.store.note import sign_checkpoint as sign_note
from kelisim.store.schema import log_keys

LEAF_FORMAT = "kelisim-audit/1"


def audit_signer(signer: Signer) -> Signer:
    """The consent log's key under the audit tree's own name (the origin line differs, so no
    signature of one tree verifies for the other)."""
    return Signer(f"{signer.name}/audit", signer.seed)


def audit_verifier(verifier: Verifier) -> Verifier:
    return verifier.renamed(f"{verifier.name}/audit")


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_of(entry: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one entry: every column, in a form both engines read back alike."""
    body = {
        "format": LEAF_FORMAT,
        "id": int(entry["id"]),
        "at": _instant(entry["at"]),
        "actor": entry["actor"],
        "action": entry["action"],
        "target": entry["target"],
        "before": entry["before"],
        "after": entry["after"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_hash_of(entry: Mapping[str, Any]) -> bytes:
    return merkle.leaf_hash(leaf_of(entry))


def _tree(size: int, peaks: Iterable[str]) -> merkle.CompactTree:
    return merkle.CompactTree.restored(size, [bytes.fromhex(peak) for peak in peaks])


def extend(conn: Connection, entry: Mapping[str, Any]) -> int:
    """Add the entry just inserted (in `conn`'s transaction) as the next leaf; its leaf index.

    The head row is locked first, so appends from every worker and host form one line."""
    head = conn.execute(
        select(audit_head.c.tree_size, audit_head.c.peaks)
        .where(audit_head.c.id == 1)
        .with_for_update()
    ).one()
    tree = _tree(head.tree_size, json.loads(head.peaks))
    leaf = leaf_hash_of(entry)
    tree.append(leaf)
    conn.execute(
        update(audit_log).where(audit_log.c.id == entry["id"]).values(leaf_hash=leaf.hex())
    )
    conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(tree_size=tree.size, peaks=json.dumps([p.hex() for p in tree.peaks]))
    )
    return tree.size - 1


@dataclass(frozen=True)
class AuditCheckpoint:
    tree_size: int
    root: bytes
    verifier_key: str
    note: str


def _head(conn: Connection) -> tuple[int, bytes]:
    head = conn.execute(
        select(audit_head.c.tree_size, audit_head.c.peaks).where(audit_head.c.id == 1)
    ).one()
    return head.tree_size, _tree(head.tree_size, json.loads(head.peaks)).root()


def sign(engine: Engine, signer: Signer) -> AuditCheckpoint | None:
    """Sign the audit tree's current head unless this key signed a tree of that size already."""
    named = audit_signer(signer)
    verifier_key = str(named.verifier())
    with engine.begin() as conn:
        size, root = _head(conn)
        latest = conn.execute(
            select(audit_checkpoints.c.tree_size)
            .where(audit_checkpoints.c.verifier_key == verifier_key)
            .order_by(audit_checkpoints.c.tree_size.desc())
            .limit(1)
        ).scalar()
        if size == 0 or (latest is not None and latest >= size):
            return None
        note = sign_note(Checkpoint(named.name, size, root), named)
        # Every worker may sign the same head at once; Ed25519 is deterministic, one row is kept.
        dialect_insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        # The key is the consent log's: `kelisim db verify` trusts the keys recorded there.
        conn.execute(
            dialect_insert(log_keys)
            .values(verifier_key=str(signer.verifier()), first_used_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["verifier_key"])
        )
        inserted = conn.execute(
            dialect_insert(audit_checkpoints)
            .values(
                tree_size=size,
                root_hash=root.hex(),
                verifier_key=verifier_key,
                note=note,
                signed_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["tree_size", "verifier_key"])
        ).rowcount
    return AuditCheckpoint(size, root, verifier_key, note) if inserted else None


def checkpoints(engine: Engine) -> list[AuditCheckpoint]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)).all()
    return [
        AuditCheckpoint(row.tree_size, bytes.fromhex(row.root_hash), row.verifier_key, row.note)
        for row in rows
    ]


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    engine: Engine,
    verifier_keys: Iterable[str],
    witnessed: Iterable[tuple[int, bytes]] = (),
) -> AuditReport:
    """Recompute the tree from the rows and hold it against every stored checkpoint (its signature
    by one of `verifier_keys`, the consent log's keys, and its root) and every witnessed
    (size, root) from a copy kept elsewhere."""
    report = AuditReport()
    verifiers = [audit_verifier(Verifier.parse(key)) for key in verifier_keys]
    stored = checkpoints(engine)
    expected: dict[int, list[tuple[bytes, str]]] = {}
    for checkpoint in stored:
        try:
            opened, _ = open_checkpoint(checkpoint.note, verifiers)
        except NoteError as error:
            report.problems.append(f"audit checkpoint of size {checkpoint.tree_size}: {error}")
            continue
        if opened.size != checkpoint.tree_size or opened.root != checkpoint.root:
            report.problems.append(
                f"audit checkpoint of size {checkpoint.tree_size}: its row differs from its "
                "signed note"
            )
        expected.setdefault(opened.size, []).append((opened.root, "signed checkpoint"))
        report.checkpoints_checked += 1
    for size, root in witnessed:
        expected.setdefault(size, []).append((root, "witnessed checkpoint"))
    tree = merkle.CompactTree()
    with engine.connect() as conn:
        head_size, head_root = _head(conn)
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings()
        for row in rows:
            leaf = leaf_hash_of(row)
            if row["leaf_hash"] != leaf.hex():
                report.problems.append(
                    f"audit entry {row['id']} (leaf {tree.size}): its content no longer matches "
                    "its leaf hash"
                )
                if report.first_bad_entry is None:
                    report.first_bad_entry = row["id"]
            tree.append(leaf)
            for root, what in expected.get(tree.size, ()):
                if root != tree.root():
                    report.problems.append(
                        f"audit tree of {tree.size} entries: its root differs from the {what} "
                        "(history was rewritten)"
                    )
    report.entries = tree.size
    if head_size != tree.size or head_root != tree.root():
        report.problems.append(
            f"audit tree head says {head_size} entries, the rows make {tree.size} "
            "(rows were added or removed outside the log)"
        )
    for size in expected:
        if size > tree.size:
            report.problems.append(
                f"a checkpoint of {size} audit entries, but the log holds only {tree.size}"
            )
    return report
