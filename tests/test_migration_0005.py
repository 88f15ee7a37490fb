"""Migration 0005: a log recorded as a hash chain (schema 0004) becomes the Merkle tree, and every
old event — a redacted one included — is provable afterwards; a broken chain is refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from kelisim.services.proofs import proof_document, verify_document
from kelisim.store import MIGRATIONS, ConsentStore, leaves, merkle
from kelisim.store.checkpointer import Checkpointer
from kelisim.store.note import Signer
from tests.test_store import RECORDED, make_event

SIGNER = Signer.generate("test.kelisim.kz/consent-log")


def store_at_0004(database_url: str) -> ConsentStore:
    store = ConsentStore(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.write_engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    return store


def record_chain(store: ConsentStore, count: int) -> list[str]:
    """Events written the way schema 0004's store wrote them; returns their chain digests."""
    previous, digests = "0" * 64, []
    with store.write_engine.begin() as conn:
        for seq in range(1, count + 1):
            event = make_event(seq, recorded_at=RECORDED + timedelta(minutes=seq))
            fields = leaves.event_fields(event)
            personal = leaves.personal_digest(fields)
            digest = hashlib.sha256(leaves.leaf(fields, personal)).hexdigest()
            link = hashlib.sha256((previous + digest).encode()).hexdigest()
            row = {
                **fields,
                "grants": leaves.canonical_json(fields["grants"]),
                "purposes": leaves.canonical_json(fields["purposes"]),
                "recorded_at": event.recorded_at.replace(tzinfo=None)
                if store.engine.dialect.name == "sqlite"
                else event.recorded_at,
                "expires_at": event.expires_at.replace(tzinfo=None)
                if store.engine.dialect.name == "sqlite"
                else event.expires_at,
                "seq": seq,
                "request_fingerprint": leaves.request_fingerprint(fields),
                "redacted": False,
                "personal_digest": personal,
                "digest": digest,
                "prev_hash": previous,
                "hash": link,
            }
            names = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            conn.execute(text(f"INSERT INTO consent_events ({names}) VALUES ({values})"), row)
            previous = link
            digests.append(digest)
        conn.execute(
            text("UPDATE chain_head SET last_seq = :seq, last_hash = :hash"),
            {"seq": count, "hash": previous},
        )
        # A destroy request carried out before the upgrade.
        conn.execute(
            text(
                "UPDATE consent_events SET redacted = :yes, consent_id = '', page = NULL, "
                "region = NULL, ip_prefix = NULL, ip_hmac = NULL WHERE seq = 3"
            ),
            {"yes": True},
        )
    return digests


def test_old_chain_events_are_provable_after_the_upgrade(database_url: str) -> None:
    store = store_at_0004(database_url)
    try:
        digests = record_chain(store, 9)
        store.upgrade()
        report = store.verify()
        assert report.ok, report.problems
        assert report.checked == 9
        events = [store.event_at(seq) for seq in range(1, 10)]
        assert all(event is not None for event in events)
        # Each leaf is exactly what the chain digested: the old evidence carries over unchanged.
        assert [hashlib.sha256(e.leaf()).hexdigest() for e in events] == digests
        assert [e.hash for e in events] == [merkle.leaf_hash(e.leaf()).hex() for e in events]
        assert events[2].consent_id == "" and len(events[2].personal_digest) == 64

        checkpoints = Checkpointer(store.log, SIGNER, interval=0)
        document = proof_document(store.log, checkpoints, events)
        assert document is not None and document["tree_size"] == 9
        verified = verify_document(document, [str(SIGNER.verifier())])
        assert [index for index, _ in verified.records] == list(range(9))

        # The log goes on from there.
        stored, created = store.append(make_event(10))
        assert created and stored.leaf_index == 9
        merkle.verify_consistency(9, 10, store.log.root(9), store.log.root(10),
                                  store.log.consistency_proof(9, 10))  # fmt: skip
        assert store.verify().ok
    finally:
        store.close()


def test_a_broken_chain_is_not_signed_into_the_tree(database_url: str) -> None:
    store = store_at_0004(database_url)
    try:
        record_chain(store, 4)
        with store.write_engine.begin() as conn:
            conn.execute(text("UPDATE consent_events SET status = 'refused' WHERE seq = 2"))
        with pytest.raises(Exception, match="seq 2: the hash chain does not verify"):
            store.upgrade()
        with store.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0004"
    finally:
        store.close()
