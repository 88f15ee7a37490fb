"""`kelisim log …`: keys, offline receipt checks, and witnessing the Merkle log from outside it.

* `keygen ORIGIN` makes a checkpoint signing key for KELISIM_LOG_SIGNING_KEY.
* `verify-receipt FILE [--key PUB]` checks a proof document offline: no database, no server.
* `export-checkpoints [--out FILE]` writes every signed checkpoint and key, for the privacy officer
  or an external witness to keep where the database's administrators cannot reach.
* `check --against FILE` proves the log as it is now extends every checkpoint in FILE (an export
  or a visitor's proof document): a rewrite of history is caught even when the rewriter recomputed
  every hash and re-signed, because the old checkpoint is in a copy they do not control.

Exit codes as in kelisim.cli.main: 0 verified, 1 checked and found wrong, 2 could not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kelisim.cli.invocation import Invocation, open_store
from kelisim.commands import ExitCode
from kelisim.services.proofs import ProofDocumentError, verify_document
from kelisim.store import audit_tree, merkle
from kelisim.store.log import SignedCheckpoint
from kelisim.store.note import NoteError, Signer, Verifier, open_checkpoint

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR
EXPORT_FORMAT = "kelisim-checkpoints/1"


@click.group("log", help="the signed Merkle log: keys, receipts, witnessing")
def log() -> None:
    pass


@log.command("keygen", help="print a new checkpoint signing key")
@click.argument("origin")
def _keygen_command(origin: str) -> int:
    """ORIGIN is the log's name, e.g. consent.creditplus.kz/log."""
    return _keygen(origin)


@log.command("verify-receipt", help="check a proof document offline")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--key", help="the operator's published verifier key (text or a file holding it)")
def _verify_receipt_command(file: Path, key: str | None) -> int:
    """FILE is the kelisim-consent-proof.json to check."""
    return _verify_receipt(file, key)


@log.command("export-checkpoints", help="write every signed checkpoint")
@click.option("--out", help="write to this file instead of standard output")
@click.pass_obj
def _export_command(invocation: Invocation, out: str | None) -> int:
    store = open_store(invocation.settings)
    try:
        return _export(store, out)
    finally:
        store.close()


@log.command("check", help="prove the log extends every checkpoint in a witness copy")
@click.option(
    "--against",
    required=True,
    type=click.Path(path_type=Path),
    help="an export-checkpoints file or a proof document",
)
@click.pass_obj
def _check_command(invocation: Invocation, against: Path) -> int:
    store = open_store(invocation.settings)
    try:
        return _check(store, against)
    finally:
        store.close()


def _keygen(origin: str) -> int:
    try:
        signer = Signer.generate(origin)
    except NoteError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(str(signer))
    print(f"verifier key (publish it): {signer.verifier()}", file=sys.stderr)
    return EXIT_OK


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ProofDocumentError(f"{path}: cannot read it as JSON ({error})") from None


def _key_text(value: str) -> str:
    path = Path(value)
    if "+" not in value and path.exists():
        return path.read_text(encoding="utf-8").strip().splitlines()[0]
    return value


def _verify_receipt(path: Path, key: str | None) -> int:
    try:
        verified = verify_document(_read_json(path), [_key_text(key)] if key else None)
    except (ProofDocumentError, OSError, IndexError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return EXIT_FAILED
    for index, record in verified.records:
        print(
            f"ok: leaf {index} ({record.get('action')}, {record.get('status')}, "
            f"{record.get('recorded_at')}) is in the tree of {verified.tree_size} leaves"
        )
    whose = "the given key" if key else "the key inside the file (pass --key to trust it)"
    print(f"ok: checkpoint of {verified.origin} signed by {whose}: {verified.verifier_key}")
    return EXIT_OK


def _export(store: Any, out: str | None) -> int:
    checkpoints = store.log.checkpoints()
    document = {
        "format": EXPORT_FORMAT,
        "verifier_keys": store.log.verifier_keys(),
        "checkpoints": [{"tree_size": c.tree_size, "note": c.note} for c in checkpoints],
        # The admin audit tree's (kelisim.store.audit_tree), signed by the same keys.
        "audit_checkpoints": [
            {"tree_size": c.tree_size, "note": c.note} for c in audit_tree.checkpoints(store.engine)
        ],
    }
    text = json.dumps(document, indent=1) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        print(f"ok: {len(checkpoints)} checkpoint(s) written to {out}", file=sys.stderr)
    return EXIT_OK


def _witnessed(document: Any) -> tuple[list[SignedCheckpoint], dict[int, str]]:
    """The checkpoints a witness file vouches for (each signature checked against the keys the
    witness copied), and for a proof document the leaves it holds by index."""
    if isinstance(document, dict) and document.get("format") == EXPORT_FORMAT:
        keys = document.get("verifier_keys")
        notes = [c.get("note") for c in document.get("checkpoints") or [] if isinstance(c, dict)]
        leaves: dict[int, str] = {}
    else:
        verified = verify_document(document)  # raises ProofDocumentError when not one either
        keys = [verified.verifier_key]
        notes = [document["checkpoint"]]
        leaves = {event["leaf_index"]: event["leaf"] for event in document["events"]}
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ProofDocumentError("verifier_keys: not a list of keys")
    try:
        verifiers = [Verifier.parse(key) for key in keys]
        checkpoints = []
        for note in notes:
            opened, verifier = open_checkpoint(str(note), verifiers)
            checkpoints.append(
                SignedCheckpoint(opened.size, opened.root, str(verifier), str(note), None)  # type: ignore[arg-type]
            )
    except NoteError as error:
        raise ProofDocumentError(f"a checkpoint in the file: {error}") from None
    return checkpoints, leaves


def _witnessed_audit(document: Any) -> tuple[list[str], list[tuple[int, bytes]]] | None:
    """The audit checkpoints of a witness file, each signature checked; None for a file without
    them (a receipt, or an export from before the audit tree)."""
    if not isinstance(document, dict) or "audit_checkpoints" not in document:
        return None
    keys = document.get("verifier_keys")
    entries = document.get("audit_checkpoints")
    if not isinstance(entries, list) or not isinstance(keys, list):
        raise ProofDocumentError("audit_checkpoints: not a list of checkpoints")
    try:
        verifiers = [audit_tree.audit_verifier(Verifier.parse(str(key))) for key in keys]
        sizes = []
        for entry in entries:
            note = entry.get("note") if isinstance(entry, dict) else None
            opened, _ = open_checkpoint(str(note), verifiers)
            sizes.append((opened.size, opened.root))
    except NoteError as error:
        raise ProofDocumentError(f"an audit checkpoint in the file: {error}") from None
    return [str(key) for key in keys], sizes


def _check(store: Any, path: Path) -> int:
    try:
        checkpoints, leaves = _witnessed(_read_json(path))
    except ProofDocumentError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    problems: list[str] = []
    size = store.log.size()
    root = store.log.root(size)
    for checkpoint in checkpoints:
        if checkpoint.tree_size == 0:
            continue
        if checkpoint.tree_size > size:
            problems.append(
                f"checkpoint of tree size {checkpoint.tree_size}: the log has only {size} leaves"
            )
            continue
        proof = store.log.consistency_proof(checkpoint.tree_size, size)
        try:
            merkle.verify_consistency(checkpoint.tree_size, size, checkpoint.root, root, proof)
        except merkle.ProofError:
            problems.append(
                f"checkpoint of tree size {checkpoint.tree_size}: the log's tree of {size} leaves "
                "does not extend it (history was rewritten)"
            )
    for index, leaf in sorted(leaves.items()):
        event = store.event_at(index + 1)
        if event is None or event.leaf().decode("utf-8") != leaf:
            problems.append(f"leaf {index}: the log no longer holds this receipt's event there")
    # The stored tree must also be the tree of the rows as they read now.
    report = store.verify(checkpoints=checkpoints)
    problems += [p for p in report.problems if p not in problems]
    try:
        witnessed_audit = _witnessed_audit(_read_json(path))
    except ProofDocumentError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    if witnessed_audit is not None:
        keys, sizes = witnessed_audit
        audit = audit_tree.verify(store.engine, keys, witnessed=sizes)
        problems += audit.problems
    if problems:
        for problem in problems:
            print(f"problem: {problem}")
        print(
            f"FAILED: the log does not extend the {len(checkpoints)} checkpoint(s) in {path}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"ok: the log ({size} leaves) extends all {len(checkpoints)} checkpoint(s) in {path}")
    return EXIT_OK
