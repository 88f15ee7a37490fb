"""The Merkle log's tables: stored subtree hashes, tree heads, proofs and signed checkpoints.

Appends write hashes (ConsentStore._commit_batch); everything here only reads them, except
checkpoint signing, which adds a row to `log_checkpoints` (and its key to `log_keys` the first
time). A proof is one query of O(log n) stored hashes, whatever the size of the log.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kelisim.store import merkle
from kelisim.store.note import Checkpoint, Signer, sign_checkpoint
from kelisim.store.schema import log_checkpoints, log_hashes, log_head, log_keys


@dataclass(frozen=True)
class SignedCheckpoint:
    tree_size: int
    root: bytes
    verifier_key: str
    note: str
    signed_at: datetime


@functools.lru_cache(maxsize=64)
def _sqlite_hashes(count: int) -> str:
    return f"SELECT id, hash FROM log_hashes WHERE id IN ({', '.join('?' * count)})"


def read_hashes(conn: Connection, indexes: Iterable[int]) -> dict[int, bytes]:
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    if conn.dialect.name == "sqlite":
        # Plain driver SQL: the appends read the tree's edge under the write lock every worker
        # waits for, and SQLAlchemy's compiling and result rows cost more CPU than SQLite spends
        # on the query. On PostgreSQL the round trip, not the CPU, is the cost.
        rows = conn.exec_driver_sql(_sqlite_hashes(len(wanted)), tuple(wanted))
    else:
        rows = conn.execute(
            select(log_hashes.c.id, log_hashes.c.hash).where(log_hashes.c.id.in_(wanted))
        )
    return all_found(wanted, {int(index): bytes(value) for index, value in rows})


def all_found(wanted: Iterable[int], found: dict[int, bytes]) -> dict[int, bytes]:
    """`found`, once it holds every stored hash `wanted`: a missing one means a damaged tree."""
    missing = [index for index in wanted if index not in found]
    if missing:
        raise LookupError(f"stored tree hash {missing[0]} is missing")
    return found


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(log_head.c.tree_size).where(log_head.c.id == 1)).scalar_one())


def root_at(conn: Connection, size: int) -> bytes:
    return merkle.root_from(size, read_hashes(conn, merkle.root_indexes(size)))


def _proof(conn: Connection, ranges: list[merkle.Range]) -> list[bytes]:
    return merkle.proof_from(ranges, read_hashes(conn, merkle.proof_indexes(ranges)))


def _checkpoint(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(
        tree_size=row.tree_size,
        root=bytes.fromhex(row.root_hash),
        verifier_key=row.verifier_key,
        note=row.note,
        signed_at=row.signed_at,
    )


class MerkleLog:
    """Read access to the tree, and the signing of checkpoints, over the store's engines."""

    def __init__(self, engine: Engine, write_engine: Engine) -> None:
        self._engine = engine
        self._write_engine = write_engine
        self._dialect_insert = (
            sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        )

    def size(self) -> int:
        with self._engine.connect() as conn:
            return tree_size(conn)

    def root(self, size: int) -> bytes:
        with self._engine.connect() as conn:
            return root_at(conn, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf `index` in the tree of `size` leaves (ProofError if none)."""
        ranges = merkle.inclusion_ranges(index, size)
        with self._engine.connect() as conn:
            self._check_size(conn, size)
            return _proof(conn, ranges)

    def inclusion_proofs(self, indexes: Iterable[int], size: int) -> dict[int, list[bytes]]:
        """Several audit paths to one tree, read in one query (a receipt's events)."""
        wanted = {index: merkle.inclusion_ranges(index, size) for index in indexes}
        with self._engine.connect() as conn:
            self._check_size(conn, size)
            hashes = read_hashes(
                conn, [i for ranges in wanted.values() for i in merkle.proof_indexes(ranges)]
            )
        return {index: merkle.proof_from(ranges, hashes) for index, ranges in wanted.items()}

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        ranges = merkle.consistency_ranges(old, new)
        with self._engine.connect() as conn:
            self._check_size(conn, new)
            return _proof(conn, ranges)

    @staticmethod
    def _check_size(conn: Connection, size: int) -> None:
        current = tree_size(conn)
        if size > current:
            raise merkle.ProofError(f"the log has {current} leaves, not {size}")

    # --- checkpoints -----------------------------------------------------------------------------

    def latest_checkpoint(self, verifier_key: str | None = None) -> SignedCheckpoint | None:
        query = select(log_checkpoints).order_by(
            log_checkpoints.c.tree_size.desc(), log_checkpoints.c.id.desc()
        )
        if verifier_key is not None:
            query = query.where(log_checkpoints.c.verifier_key == verifier_key)
        with self._engine.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint ever signed, smallest tree first (then in signing order)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(log_checkpoints).order_by(log_checkpoints.c.tree_size, log_checkpoints.c.id)
            ).all()
        return [_checkpoint(row) for row in rows]

    def verifier_keys(self) -> list[str]:
        """Every public key that ever signed a checkpoint here, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(log_keys.c.verifier_key).order_by(
                    log_keys.c.first_used_at, log_keys.c.verifier_key
                )
            )
            return [row.verifier_key for row in rows]

    def sign(self, signer: Signer, force: bool = False) -> SignedCheckpoint | None:
        """Sign the current tree unless this key already signed a tree of this size.

        Several workers (and hosts) may do this at once: each signs the same (size, root), Ed25519
        signatures are deterministic, and the unique key (tree_size, verifier_key) keeps one row.
        Returns the checkpoint signed now, or None when there was nothing new to sign.
        """
        verifier_key = str(signer.verifier())
        with self._engine.connect() as conn:
            size = tree_size(conn)
            root = root_at(conn, size)
        latest = self.latest_checkpoint(verifier_key)
        if latest is not None and latest.tree_size >= size and not force:
            return None
        note = sign_checkpoint(Checkpoint(signer.name, size, root), signer)
        now = datetime.now(UTC)
        with self._write_engine.begin() as conn:
            conn.execute(
                self._dialect_insert(log_keys)
                .values(verifier_key=verifier_key, first_used_at=now)
                .on_conflict_do_nothing(index_elements=["verifier_key"])
            )
            inserted = conn.execute(
                self._dialect_insert(log_checkpoints)
                .values(
                    tree_size=size,
                    root_hash=root.hex(),
                    verifier_key=verifier_key,
                    note=note,
                    signed_at=now,
                )
                .on_conflict_do_nothing(index_elements=["tree_size", "verifier_key"])
            ).rowcount
        if not inserted:
            return None
        return SignedCheckpoint(size, root, verifier_key, note, now)
