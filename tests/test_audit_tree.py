"""The admin audit log is tamper-evident: a Merkle tree with signed checkpoints, like the
consent log.

Staff actions go through the real services (a publish, a user added); the tampering is done the way
an insider with SQL access would, careless (edit a row) and careful (edit a row and recompute every
leaf hash and the tree head, then delete the signed checkpoints). `kelisim db verify` catches the
first two; the privacy officer's exported copy of the checkpoints catches the third.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from kelisim.cli.main import main
from kelisim.store import audit_tree, merkle
from kelisim.store.admin_tables import audit_checkpoints, audit_head, audit_log
from kelisim.store.note import NoteError, Signer, open_checkpoint
from tests.conftest import make_settings

SIGNER = Signer.generate("test.kelisim.kz/consent-log")


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    return make_settings(
        database_url, tmp_path, log_signing_key=str(SIGNER), checkpoint_seconds=0.0
    )


@pytest.fixture
def kelisim_env(monkeypatch, tmp_path: Path, database_url: str) -> str:
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KELISIM_LOG_SIGNING_KEY", str(SIGNER))
    return database_url


def staff_actions(app, count: int = 4) -> None:
    revisions = app.extensions["kelisim"].revisions
    for number in range(count):
        revisions.set_texts("boss", "en", {"title": f"Title {number}"})


def sign(app) -> audit_tree.AuditCheckpoint | None:
    return audit_tree.sign(app.extensions["kelisim"].store.write_engine, SIGNER)


def recompute_everything(engine) -> None:
    """What an insider with SQL access and Kelisim's code (but not the key) can do."""
    tree = merkle.CompactTree()
    with engine.begin() as conn:
        for row in conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all():
            leaf = audit_tree.leaf_hash_of(row)
            tree.append(leaf)
            conn.execute(
                update(audit_log).where(audit_log.c.id == row["id"]).values(leaf_hash=leaf.hex())
            )
        conn.execute(
            update(audit_head).values(
                tree_size=tree.size, peaks=json.dumps([p.hex() for p in tree.peaks])
            )
        )


def test_every_entry_is_a_leaf_and_checkpoints_are_signed_under_their_own_origin(app) -> None:
    staff_actions(app)
    signed = sign(app)
    assert signed is not None and signed.tree_size >= 4
    assert sign(app) is None  # nothing new to sign
    # Signed by the log's key under the audit tree's name: a consent-log verifier refuses it.
    opened, _ = open_checkpoint(signed.note, [audit_tree.audit_verifier(SIGNER.verifier())])
    assert opened.origin == "test.kelisim.kz/consent-log/audit"
    with pytest.raises(NoteError):
        open_checkpoint(signed.note, [SIGNER.verifier()])
    report = audit_tree.verify(app.extensions["kelisim"].store.engine, [str(SIGNER.verifier())])
    assert report.ok, report.problems
    assert report.entries == signed.tree_size and report.checkpoints_checked >= 1


def test_an_edited_entry_is_named_and_a_recomputed_tree_no_longer_matches_its_checkpoint(
    app, kelisim_env: str, capsys
) -> None:
    staff_actions(app)
    sign(app)
    assert main(["db", "verify"]) == 0
    assert "audit entries verified" in capsys.readouterr().out

    raw = create_engine(kelisim_env)
    try:
        with raw.begin() as conn:
            conn.execute(update(audit_log).where(audit_log.c.id == 2).values(actor="mallory"))
        assert main(["db", "verify"]) == 1
        out = capsys.readouterr().out
        assert "audit entry 2 (leaf 1): its content no longer matches its leaf hash" in out
        assert "first bad audit entry: 2" in out

        recompute_everything(raw)
        assert main(["db", "verify"]) == 1
        out = capsys.readouterr().out
        assert "its root differs from the signed checkpoint (history was rewritten)" in out
        assert "leaf hash" not in out  # the careful insider left no row inconsistent
    finally:
        raw.dispose()


def test_the_exported_checkpoints_catch_what_the_database_no_longer_can(
    app, kelisim_env: str, tmp_path: Path, capsys
) -> None:
    staff_actions(app, 3)
    sign(app)
    witness = tmp_path / "witness.json"
    assert main(["log", "export-checkpoints", "--out", str(witness)]) == 0
    assert json.loads(witness.read_text())["audit_checkpoints"]
    staff_actions(app, 2)
    sign(app)
    assert main(["log", "check", "--against", str(witness)]) == 0
    capsys.readouterr()

    raw = create_engine(kelisim_env)
    try:
        with raw.begin() as conn:
            conn.execute(update(audit_log).where(audit_log.c.id == 1).values(actor="someone-else"))
        recompute_everything(raw)
        with raw.begin() as conn:
            conn.execute(text("DELETE FROM audit_checkpoints"))
    finally:
        raw.dispose()
    assert main(["db", "verify"]) == 0  # nothing left in the database to hold the rows to
    capsys.readouterr()
    assert main(["log", "check", "--against", str(witness)]) == 1
    out = capsys.readouterr().out
    assert "its root differs from the witnessed checkpoint (history was rewritten)" in out


def test_a_deleted_entry_is_caught(app, kelisim_env: str, capsys) -> None:
    staff_actions(app)
    sign(app)
    raw = create_engine(kelisim_env)
    try:
        with raw.begin() as conn:
            conn.execute(audit_log.delete().where(audit_log.c.id == 3))
    finally:
        raw.dispose()
    assert main(["db", "verify"]) == 1
    out = capsys.readouterr().out
    assert "rows were added or removed outside the log" in out


def test_the_checkpointer_signs_the_audit_tree_with_the_consent_log(app) -> None:
    staff_actions(app, 1)
    app.extensions["kelisim"].checkpoints._sign_quietly()
    with app.extensions["kelisim"].store.engine.connect() as conn:
        sizes = conn.execute(select(audit_checkpoints.c.tree_size)).scalars().all()
    assert sizes and max(sizes) >= 1


def test_the_migration_makes_every_earlier_entry_a_leaf(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from kelisim.store import MIGRATIONS, ConsentStore

    store = ConsentStore(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with store.write_engine.connect() as conn, conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "0010")
        with store.write_engine.begin() as conn:
            for number in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor, action, target, before, after) "
                        "VALUES (:at, 'boss', 'catalogue.publish', :target, NULL, :after)"
                    ),
                    {
                        "at": f"2026-11-0{number + 1} 10:00:00",
                        "target": f"revision:{number + 2}",
                        "after": json.dumps({"revision": number + 2}),
                    },
                )
        with store.write_engine.connect() as conn, conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        report = audit_tree.verify(store.engine, [])
        assert report.ok and report.entries == 3, report.problems
        assert audit_tree.sign(store.write_engine, SIGNER).tree_size == 3
        report = audit_tree.verify(store.engine, [str(SIGNER.verifier())])
        assert report.ok and report.checkpoints_checked == 1, report.problems
    finally:
        store.close()
