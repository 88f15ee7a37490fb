"""The log's public endpoints, the proof in every consent history, and key rotation."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kelisim.services.proofs import ProofDocumentError, verify_document
from kelisim.store import merkle
from kelisim.store.note import Signer, Verifier, open_checkpoint
from kelisim.web.app import create_app
from tests.conftest import make_settings

OLD_KEY = Signer.generate("test.kelisim.kz/consent-log")
NEW_KEY = Signer.generate("test.kelisim.kz/consent-log")


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    return make_settings(
        database_url, tmp_path, log_signing_key=str(OLD_KEY), checkpoint_seconds=0.0
    )


def record(client, consent_body, **changes: object) -> str:
    response = client.post("/api/v1/consent", json=consent_body(**changes))
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["consent_id"]


def test_history_carries_a_proof_that_verifies_with_the_published_key(client, consent_body):
    consent_id = record(client, consent_body)
    record(client, consent_body)
    history = client.get(f"/api/v1/consent/{consent_id}").get_json()
    assert history["events"][0]["leaf_index"] == 0
    proof = history["proof"]
    published = client.get("/api/v1/log/key").get_data(as_text=True).splitlines()
    assert published == [str(OLD_KEY.verifier())]
    verified = verify_document(proof, published)
    assert verified.tree_size >= 1 and verified.records[0][1]["event_id"]
    # The history's events and the leaves say the same thing.
    assert verified.records[0][1]["action"] == history["events"][0]["action"]
    with pytest.raises(ProofDocumentError):
        verify_document(proof, [str(NEW_KEY.verifier())])


def test_the_receipt_page_offers_the_proof_file(client, consent_body):
    consent_id = record(client, consent_body)
    page = client.get(f"/consent/{consent_id}?lang=en").get_data(as_text=True)
    assert f'href="/consent/{consent_id}/proof.json"' in page
    assert "Download proof (JSON)" in page
    download = client.get(f"/consent/{consent_id}/proof.json")
    assert download.status_code == 200
    assert verify_document(download.get_json(), [str(OLD_KEY.verifier())]).tree_size == 1
    assert client.get("/consent/unknown-consent-id/proof.json").status_code == 404


def test_checkpoint_and_consistency_endpoints(client, consent_body):
    for _ in range(3):
        record(client, consent_body)
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    first, _ = open_checkpoint(response.get_data(as_text=True), [OLD_KEY.verifier()])
    assert first.size == 3
    for _ in range(4):
        record(client, consent_body)
    second, _ = open_checkpoint(
        client.get("/api/v1/log/checkpoint").get_data(as_text=True), [OLD_KEY.verifier()]
    )
    assert second.size == 7
    body = client.get("/api/v1/log/consistency?from=3&to=7").get_json()
    proof = [base64.b64decode(node) for node in body["proof"]]
    merkle.verify_consistency(3, 7, first.root, second.root, proof)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=1",
        "from=0&to=1",
        "from=2&to=1",
        "from=1&to=99",
        "from=x&to=1",
        "from=1&to=1e3",
        "from=-1&to=1",
        "from=1&to=1&extra=2",
    ],
)
def test_impossible_consistency_requests_are_a_clear_400(client, consent_body, query):
    record(client, consent_body)
    response = client.get(f"/api/v1/log/consistency?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["errors"]


def test_a_rotated_key_keeps_old_checkpoints_verifiable(app, client, consent_body, settings):
    consent_id = record(client, consent_body)
    old_proof = client.get(f"/api/v1/consent/{consent_id}").get_json()["proof"]
    app.extensions["kelisim"].close()

    rotated = create_app(settings.with_changes(log_signing_key=str(NEW_KEY)))
    try:
        new_client = rotated.test_client()
        record(new_client, consent_body)
        keys = new_client.get("/api/v1/log/key").get_data(as_text=True).splitlines()
        assert keys == [str(NEW_KEY.verifier()), str(OLD_KEY.verifier())]
        assert all(Verifier.parse(key) for key in keys)
        new_proof = new_client.get(f"/api/v1/consent/{consent_id}").get_json()["proof"]
        assert new_proof["verifier_key"] == str(NEW_KEY.verifier())
        assert verify_document(old_proof, keys).tree_size == 1
        assert verify_document(new_proof, keys).tree_size >= 1
        report = rotated.extensions["kelisim"].store.verify()
        assert report.ok, report.problems
        assert report.checkpoints_checked >= 2
    finally:
        rotated.extensions["kelisim"].close()
