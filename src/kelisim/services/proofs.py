"""Proof documents: what a visitor keeps to show their consent is in the log, and how to check one.

A proof document (`kelisim-consent-proof/1`) holds a signed checkpoint and, for each event, its
leaf (the exact bytes the log hashed) and its RFC 6962 inclusion proof to that checkpoint's root.
Anyone can check it offline with the log's public key: `kelisim log verify-receipt`, or any
signed-note + tlog verifier (tests/logverifier uses Go's golang.org/x/mod/sumdb). What it proves,
and what it does not, is in docs/log.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kelisim.store import StoredEvent, merkle
from kelisim.store.checkpointer import Checkpointer
from kelisim.store.log import MerkleLog
from kelisim.store.note import NoteError, Verifier, open_checkpoint

FORMAT = "kelisim-consent-proof/1"
# The event fields a proof document repeats next to each leaf, for a human reader; the verifier
# checks each against the leaf's record, so they cannot say something the leaf does not.
SHOWN_FIELDS = ("event_id", "action", "status", "grants", "purposes", "revision", "recorded_at")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def proof_document(
    merkle_log: MerkleLog,
    checkpoints: Checkpointer,
    events: Sequence[StoredEvent],
    consent_id: str | None = None,
) -> dict[str, Any] | None:
    """The proof of `events` against the newest checkpoint covering them (signing one if none
    does yet); None when no checkpoint can be had (the database refused the signature)."""
    if not events:
        return None
    checkpoint = checkpoints.covering(max(event.seq for event in events))
    if checkpoint is None:
        return None
    paths = merkle_log.inclusion_proofs([e.leaf_index for e in events], checkpoint.tree_size)
    document: dict[str, Any] = {
        "format": FORMAT,
        "origin": checkpoints.signer.name,
        "verifier_key": checkpoint.verifier_key,
        "tree_size": checkpoint.tree_size,
        "root_hash": _b64(checkpoint.root),
        "checkpoint": checkpoint.note,
        "events": [
            {
                "leaf_index": event.leaf_index,
                "leaf": event.leaf().decode("utf-8"),
                "inclusion_proof": [_b64(node) for node in paths[event.leaf_index]],
            }
            for event in events
        ],
    }
    if consent_id is not None:
        document = {"consent_id": consent_id, **document}
    return document


@dataclass(frozen=True)
class VerifiedProof:
    origin: str
    tree_size: int
    verifier_key: str
    # Each event's leaf index and its record (the non-personal fields the log committed to).
    records: list[tuple[int, dict[str, Any]]]


class ProofDocumentError(ValueError):
    """A proof document that is malformed, or that does not prove what it says."""


def _field(document: dict[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProofDocumentError(f"{name}: missing or not a {kind.__name__}")
    return value


def verify_document(document: Any, trusted_keys: Sequence[str] | None = None) -> VerifiedProof:
    """Check signature, every leaf's inclusion, and that the shown fields are the leaf's own.

    Without `trusted_keys` the document's own `verifier_key` is used: that proves the document is
    internally consistent, not that the operator signed it; pass the operator's published key to
    prove that.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ProofDocumentError(f"not a {FORMAT} document")
    keys = list(trusted_keys) if trusted_keys else [_field(document, "verifier_key", str)]
    try:
        verifiers = [Verifier.parse(key) for key in keys]
        checkpoint, verifier = open_checkpoint(_field(document, "checkpoint", str), verifiers)
    except NoteError as error:
        raise ProofDocumentError(f"checkpoint: {error}") from None
    events = _field(document, "events", list)
    if not events:
        raise ProofDocumentError("events: empty")
    records = []
    for number, event in enumerate(events):
        if not isinstance(event, dict):
            raise ProofDocumentError(f"events[{number}]: not an object")
        index = _field(event, "leaf_index", int)
        leaf = _field(event, "leaf", str).encode("utf-8")
        try:
            path = [base64.b64decode(node, validate=True) for node in event["inclusion_proof"]]
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise ProofDocumentError(f"leaf {index}: inclusion_proof is not base64") from None
        try:
            merkle.verify_inclusion(
                index, checkpoint.size, merkle.leaf_hash(leaf), path, checkpoint.root
            )
        except merkle.ProofError as error:
            raise ProofDocumentError(f"leaf {index}: {error}") from None
        record = _record(leaf, index)
        for name in SHOWN_FIELDS:
            if name in event and event[name] != record.get(name):
                raise ProofDocumentError(f"leaf {index}: {name} differs from what the log holds")
        records.append((index, record))
    return VerifiedProof(checkpoint.origin, checkpoint.size, str(verifier), records)


def _record(leaf: bytes, index: int) -> dict[str, Any]:
    try:
        parsed = json.loads(leaf)
    except ValueError:
        raise ProofDocumentError(f"leaf {index}: not a Kelisim leaf") from None
    record = parsed.get("record") if isinstance(parsed, dict) else None
    if not isinstance(record, dict):
        raise ProofDocumentError(f"leaf {index}: not a Kelisim leaf")
    return record
