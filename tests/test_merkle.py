"""The tree arithmetic against RFC 6962's definitions written out naively, and signed notes.

The independent check of the formats is tests/test_log_verifier.py (Go's own library); this file
pins the arithmetic for every tree shape up to 70 leaves, where off-by-one errors live.
"""

from __future__ import annotations

import hashlib

import pytest

from kelisim.store import merkle
from kelisim.store.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_checkpoint,
    sign_checkpoint,
)

LEAVES = [f"leaf {n}".encode() for n in range(70)]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, recursively, with no stored hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


@pytest.fixture(scope="module")
def stored() -> dict[int, bytes]:
    hashes: dict[int, bytes] = {}
    for n, leaf in enumerate(LEAVES):
        hashes.update(merkle.new_stored_hashes(n, merkle.leaf_hash(leaf), hashes))
        assert len(hashes) == merkle.stored_hash_count(n + 1)
    return hashes


def test_stored_hash_layout_is_tlogs() -> None:
    # golang.org/x/mod/sumdb/tlog: leaves 0,1 at 0,1; their parent at 2; leaf 2 at 3; …
    assert [merkle.stored_hash_index(0, n) for n in range(5)] == [0, 1, 3, 4, 7]
    assert merkle.stored_hash_index(1, 0) == 2
    assert merkle.stored_hash_index(1, 1) == 5
    assert merkle.stored_hash_index(2, 0) == 6


def test_roots_and_proofs_match_the_definitions_for_every_size(stored) -> None:
    for size in range(1, len(LEAVES) + 1):
        root = merkle.root_from(size, stored)
        assert root == mth(LEAVES[:size]), size
        for index in range(size):
            path = merkle.proof_from(merkle.inclusion_ranges(index, size), stored)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), path, root)
            if size > 1:
                wrong = (index + 1) % size
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(
                        wrong, size, merkle.leaf_hash(LEAVES[index]), path, root
                    )
        for old in range(1, size + 1):
            path = merkle.proof_from(merkle.consistency_ranges(old, size), stored)
            merkle.verify_consistency(old, size, mth(LEAVES[:old]), root, path)
            if old < size:
                forked = mth([b"forged", *LEAVES[1:old]])
                with pytest.raises(merkle.ProofError):
                    merkle.verify_consistency(old, size, forked, root, path)


def test_compact_tree_writes_the_same_hashes(stored) -> None:
    tree = merkle.CompactTree()
    written: dict[int, bytes] = {}
    for leaf in LEAVES:
        written.update(tree.append(merkle.leaf_hash(leaf)))
    assert written == stored
    assert tree.root() == mth(LEAVES)


def test_a_signed_checkpoint_opens_only_with_its_key_and_unchanged() -> None:
    signer = Signer.generate("test.kelisim.kz/log")
    assert Signer.parse(str(signer)) == signer
    verifier = Verifier.parse(str(signer.verifier()))
    note = sign_checkpoint(Checkpoint(signer.name, 3, mth(LEAVES[:3])), signer)
    assert note.startswith("test.kelisim.kz/log\n3\n") and "\n\n\u2014 test.kelisim.kz/log " in note
    assert open_checkpoint(note, [verifier])[0].size == 3
    with pytest.raises(NoteError):
        open_checkpoint(note.replace("\n3\n", "\n4\n", 1), [verifier])
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_checkpoint(note, [Signer.generate("test.kelisim.kz/log").verifier()])
    with pytest.raises(NoteError):
        Verifier.parse(str(verifier)[:-4] + "AAAA")
