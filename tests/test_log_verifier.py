"""An independent verifier accepts Kelisim's checkpoints and proofs, and rejects forgeries.

The verifier is Go's own golang.org/x/mod/sumdb/note (signed notes, Ed25519) and sumdb/tlog
(RFC 6962 inclusion and consistency proofs) as Debian ships them (golang-golang-x-mod-dev),
built offline from those sources (GOPATH mode, GOPROXY=off). tests/logverifier/main.go only
reads files and calls the library. The receipts and checkpoints come from a real
`kelisim serve --production` (gunicorn) on loopback.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import subprocess
from pathlib import Path

import pytest

from kelisim.store import merkle
from kelisim.store.note import Checkpoint, Signer, sign_checkpoint
from tests.support.crash import Server, consent_body, production_env

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

GO_SOURCES = "/usr/share/gocode"


@pytest.fixture(scope="module")
def logverifier(tmp_path_factory) -> Path:
    """tests/logverifier built with Debian's Go from Debian's x/mod, no network."""
    go = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "go-verifier")],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout.strip()
    out = tmp_path_factory.mktemp("go") / "logverifier"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GO_SOURCES,
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(out.parent / "cache"),
    }
    subprocess.run(
        [go, "build", "-o", str(out), "."],
        cwd=PROJECT_ROOT / "tests" / "logverifier",
        env=env,
        check=True,
        timeout=600,
    )
    return out


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate("test.kelisim.kz/consent-log")


@pytest.fixture(scope="module")
def server(tmp_path_factory, signer: Signer):
    workdir = tmp_path_factory.mktemp("verifier-server")
    env = production_env(
        f"sqlite:///{workdir / 'kelisim.sqlite3'}",
        workdir / "var",
        KELISIM_LOG_SIGNING_KEY=str(signer),
        KELISIM_CHECKPOINT_SECONDS="0",
        KELISIM_CONSENT_RATE_PER_NETWORK="0",
    )
    running = Server(env, workdir / "server.log").start()
    yield running
    running.stop()


def request(server: Server, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def record(server: Server, event_id: str) -> str:
    status, text = request(server, "POST", "/api/v1/consent", consent_body(event_id))
    assert status == 201, text
    return json.loads(text)["consent_id"]


def receipt(server: Server, consent_id: str) -> dict:
    status, text = request(server, "GET", f"/api/v1/consent/{consent_id}")
    assert status == 200, text
    return json.loads(text)["proof"]


def go_verify(verifier: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(verifier), *args], capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, name: str, content: str | dict) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_go_accepts_real_receipts_and_checkpoints_and_rejects_forgeries(
    server: Server, logverifier: Path, signer: Signer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    key = str(signer.verifier())
    status, served_key = request(server, "GET", "/api/v1/log/key")
    assert status == 200 and served_key.splitlines()[0] == key

    first_id = record(server, "go-verifier-1")
    for n in range(2, 6):
        record(server, f"go-verifier-{n}")
    old = receipt(server, first_id)
    assert old["tree_size"] == 5 and old["events"][0]["leaf_index"] == 0
    old_checkpoint = old["checkpoint"]

    # A visitor who withdraws later: their receipt now has two events, proven to a bigger tree.
    status, _ = request(
        server,
        "POST",
        "/api/v1/consent",
        {**consent_body("go-verifier-withdraw"), "consent_id": first_id, "action": "withdraw"},
    )
    assert status == 201
    for n in range(6, 12):
        record(server, f"go-verifier-{n}")
    new = receipt(server, first_id)
    assert [e["leaf_index"] for e in new["events"]] == [0, 5]
    status, new_checkpoint = request(server, "GET", "/api/v1/log/checkpoint")
    assert status == 200 and new_checkpoint.startswith("test.kelisim.kz/consent-log\n")
    new_size = int(new_checkpoint.split("\n")[1])
    assert new_size >= 11

    # 1. Real receipts verify, old and new.
    for document in (old, new):
        result = go_verify(logverifier, "receipt", key, write(tmp_path, "r.json", document))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"ok: {len(document['events'])} events")

    # 2. The log served a consistency proof between the two checkpoints: Go checks it.
    status, text = request(server, "GET", f"/api/v1/log/consistency?from=5&to={new_size}")
    assert status == 200, text
    consistency = write(tmp_path, "c.json", text)
    old_file = write(tmp_path, "old.note", old_checkpoint)
    new_file = write(tmp_path, "new.note", new_checkpoint)
    result = go_verify(logverifier, "consistency", key, old_file, new_file, consistency)
    assert result.returncode == 0, result.stderr

    # 3. A tampered leaf: "reject_all" where the visitor accepted.
    tampered = json.loads(json.dumps(old))
    tampered["events"][0]["leaf"] = tampered["events"][0]["leaf"].replace(
        '"action":"accept_all"', '"action":"reject_all"'
    )
    assert tampered["events"][0]["leaf"] != old["events"][0]["leaf"]
    result = go_verify(logverifier, "receipt", key, write(tmp_path, "t.json", tampered))
    assert result.returncode == 1 and "leaf 0" in result.stderr

    # 4. A forked tree: the same key signs a tree whose first leaf differs (what a log that
    # rewrote history would have to publish). Its checkpoint is validly signed, but the log's
    # consistency proof cannot link it to the old one, and the old receipt does not fit it.
    leaves = [bytes(json.dumps({"forged": n}), "utf-8") for n in range(new_size)]
    forged = merkle.CompactTree()
    for leaf in leaves:
        forged.append(merkle.leaf_hash(leaf))
    fork_note = sign_checkpoint(Checkpoint(signer.name, new_size, forged.root()), signer)
    fork_file = write(tmp_path, "fork.note", fork_note)
    result = go_verify(logverifier, "consistency", key, old_file, fork_file, consistency)
    assert result.returncode == 1 and "consistency" in result.stderr
    forked_receipt = {**new, "checkpoint": fork_note}
    result = go_verify(logverifier, "receipt", key, write(tmp_path, "f.json", forked_receipt))
    assert result.returncode == 1

    # 5. A bad signature: one bit flipped, and a valid signature by a key that is not the log's.
    body, _, signature_line = old_checkpoint.rpartition("\u2014 ")
    name, encoded = signature_line.strip().split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    flipped = f"{body}\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    impostor = Signer(signer.name, hashlib.sha256(b"not the log's key").digest())
    other = sign_checkpoint(
        Checkpoint(signer.name, 5, base64.b64decode(old["root_hash"])), impostor
    )
    for note in (flipped, other):
        result = go_verify(
            logverifier, "receipt", key, write(tmp_path, "s.json", {**old, "checkpoint": note})
        )
        assert result.returncode == 1 and "checkpoint" in result.stderr, result.stderr

    # Kelisim's own offline check agrees with Go on every case.
    from kelisim.cli.main import main

    assert main(["log", "verify-receipt", write(tmp_path, "ok.json", old), "--key", key]) == 0
    for name, document in (
        ("t.json", tampered),
        ("f.json", forked_receipt),
        ("s.json", {**old, "checkpoint": flipped}),
        ("o.json", {**old, "checkpoint": other}),
    ):
        assert main(["log", "verify-receipt", write(tmp_path, name, document), "--key", key]) == 1
