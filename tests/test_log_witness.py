"""History rewritten by an insider is caught by a copy of the checkpoints kept outside the database.

The insider here has everything the database's administrators have: SQL access, Kelisim's code,
and even the checkpoint signing key from the server's environment. They change an old consent,
recompute its fingerprint, its leaf hash and every subtree hash, delete the checkpoints and sign a
fresh one. `kelisim db verify` then has nothing left to hold the log to; the privacy officer's
exported checkpoints and the visitor's old proof file still do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kelisim.cli.main import main
from kelisim.store import ConsentStore
from kelisim.store.note import Signer
from tests.conftest import make_settings
from tests.test_store import rewrite_history

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


def post(client, consent_body, **changes: object) -> str:
    response = client.post("/api/v1/consent", json=consent_body(**changes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["consent_id"]


def test_a_log_signed_on_demand_has_its_first_checkpoint_before_the_app_answers(app) -> None:
    # Signed in a thread, the start-up checkpoint could land after the first consents and pin their
    # receipts to that tree instead of the one the receipt asked for.
    services = app.extensions["kelisim"]
    first = services.store.log.latest_checkpoint(services.checkpoints.verifier_key)
    assert first is not None and first.tree_size == 0


def test_rewritten_history_is_caught_by_the_witness_copy_and_by_an_old_receipt(
    client, consent_body, kelisim_env: str, tmp_path: Path, capsys
) -> None:
    victim = post(client, consent_body, action="accept_all")
    for _ in range(5):
        post(client, consent_body, action="reject_all")
    download = client.get(f"/consent/{victim}/proof.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    receipt = tmp_path / "kelisim-consent-proof.json"
    receipt.write_bytes(download.data)
    assert json.loads(download.data)["tree_size"] == 6

    witness = tmp_path / "witness.json"
    assert main(["log", "export-checkpoints", "--out", str(witness)]) == 0
    for _ in range(3):
        post(client, consent_body)
    assert client.get("/api/v1/log/checkpoint").status_code == 200

    # Before any rewrite, everything agrees.
    assert main(["db", "verify"]) == 0
    assert main(["log", "check", "--against", str(witness)]) == 0
    assert main(["log", "check", "--against", str(receipt)]) == 0
    assert main(["log", "verify-receipt", str(receipt), "--key", str(SIGNER.verifier())]) == 0
    capsys.readouterr()

    # The insider turns the victim's "accept all" into a refusal and makes the tree agree.
    raw = create_engine(kelisim_env)
    try:
        rewrite_history(raw, seq=1, action="reject_all", status="refused", grants="{}")
        # Without re-signing, the stored checkpoints still catch it, naming where.
        assert main(["db", "verify"]) == 1
        out = capsys.readouterr().out
        assert "history was rewritten in leaves 0..5" in out
        assert "first bad leaf: 0" in out
        # With the key, they replace the checkpoints too: the database is consistent again.
        with raw.begin() as conn:
            conn.execute(text("DELETE FROM log_checkpoints"))
    finally:
        raw.dispose()
    store = ConsentStore(kelisim_env)
    try:
        assert store.log.sign(SIGNER) is not None
    finally:
        store.close()
    assert main(["db", "verify"]) == 0
    capsys.readouterr()

    # The privacy officer's copy of the checkpoints catches it.
    assert main(["log", "check", "--against", str(witness)]) == 1
    out = capsys.readouterr().out
    assert "checkpoint of tree size 6: the log's tree of 9 leaves does not extend it" in out

    # So does the visitor's old proof file: it is still validly signed by the log, and the log
    # no longer contains what it signed.
    assert main(["log", "verify-receipt", str(receipt), "--key", str(SIGNER.verifier())]) == 0
    capsys.readouterr()
    assert main(["log", "check", "--against", str(receipt)]) == 1
    out = capsys.readouterr().out
    assert "leaf 0: the log no longer holds this receipt's event there" in out
