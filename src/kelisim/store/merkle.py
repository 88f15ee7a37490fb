"""RFC 6962 / RFC 9162 Merkle tree arithmetic over a log of leaves, with no storage of its own.

Leaf hash `SHA-256(0x00 || leaf)`, node hash `SHA-256(0x01 || left || right)`: the hashing of
Certificate Transparency and of Go's checksum database, so their verifiers check Kelisim's proofs.

The store keeps, for every leaf appended, the hashes of the complete subtrees that leaf finished,
addressed by `stored_hash_index(level, n)` — the layout of Go's `sumdb/tlog` (about two hashes per
leaf, written once, never updated). Any tree hash, inclusion proof or consistency proof then needs
only O(log n) of them: the functions below say which (`*_indexes`) and combine what was read
(`*_from`), so the caller fetches them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Hash = bytes
# A subtree of the tree: leaves [lo, hi).
Range = tuple[int, int]


class ProofError(ValueError):
    """A proof that does not prove what it claims, or a request for one that cannot exist."""


def leaf_hash(leaf: bytes) -> Hash:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    return hashlib.sha256(b"\x01" + left + right).digest()


def stored_hash_index(level: int, n: int) -> int:
    """Where the hash of the n-th complete subtree of 2**level leaves lives (tlog's layout)."""
    for _ in range(level):
        n = 2 * n + 1
    index = 0
    while n > 0:
        index += n
        n >>= 1
    return index + level


def stored_hash_count(size: int) -> int:
    """How many stored hashes a tree of `size` leaves has written."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    i = size - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


def new_stored_hashes(n: int, leaf: Hash, edge: Mapping[int, Hash]) -> list[tuple[int, Hash]]:
    """The (index, hash) pairs that appending leaf number `n` (with hash `leaf`) adds.

    `edge` holds at least the tree's right edge (`root_indexes(n)`): the left siblings this leaf
    completes are among them.
    """
    completed = ((n + 1) & -(n + 1)).bit_length() - 1  # trailing one bits of n
    siblings = [edge[stored_hash_index(level, (n >> level) - 1)] for level in range(completed)]
    result = [(stored_hash_index(0, n), leaf)]
    current = leaf
    for level in range(completed):
        current = node_hash(siblings[level], current)
        result.append((stored_hash_index(level + 1, n >> (level + 1)), current))
    return result


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (RFC 6962's k)."""
    k = 1
    while k << 1 < size:
        k <<= 1
    return k


def _complete_subtrees(lo: int, hi: int) -> list[int]:
    """The stored hash indexes whose subtrees tile [lo, hi), left to right."""
    indexes = []
    while lo < hi:
        k = _split(hi - lo + 1)
        level = k.bit_length() - 1
        indexes.append(stored_hash_index(level, lo >> level))
        lo += k
    return indexes


def _range_hash(lo: int, hi: int, hashes: Mapping[int, Hash]) -> Hash:
    parts = [hashes[index] for index in _complete_subtrees(lo, hi)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def _inclusion_ranges(index: int, lo: int, hi: int) -> list[Range]:
    """RFC 6962 PATH(m, D[lo:hi]) as the subtrees whose hashes it lists, leaf level first."""
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if index < lo + k:
        return [*_inclusion_ranges(index, lo, lo + k), (lo + k, hi)]
    return [*_inclusion_ranges(index, lo + k, hi), (lo, lo + k)]


def _consistency_ranges(old: int, lo: int, hi: int, whole: bool) -> list[Range]:
    """RFC 6962 SUBPROOF(m, D[lo:hi], b) as subtrees; `whole` is b (old tree is a whole subtree)."""
    if old == hi:
        return [] if whole else [(lo, hi)]
    k = _split(hi - lo)
    if old <= lo + k:
        return [*_consistency_ranges(old, lo, lo + k, whole), (lo + k, hi)]
    return [*_consistency_ranges(old, lo + k, hi, False), (lo, lo + k)]


def _indexes(ranges: Iterable[Range]) -> list[int]:
    return sorted({index for lo, hi in ranges for index in _complete_subtrees(lo, hi)})


def root_indexes(size: int) -> list[int]:
    return _complete_subtrees(0, size)


def root_from(size: int, hashes: Mapping[int, Hash]) -> Hash:
    return EMPTY_ROOT if size == 0 else _range_hash(0, size, hashes)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    return _inclusion_ranges(index, 0, size)


def consistency_ranges(old: int, new: int) -> list[Range]:
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    return _consistency_ranges(old, 0, new, True)


def proof_indexes(ranges: Iterable[Range]) -> list[int]:
    return _indexes(ranges)


def proof_from(ranges: Iterable[Range], hashes: Mapping[int, Hash]) -> list[Hash]:
    return [_range_hash(lo, hi, hashes) for lo, hi in ranges]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: Hash, proof: Sequence[Hash]) -> Hash:
    """The root that `proof` leads to from leaf `index`; ProofError if its shape cannot fit."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return result


def verify_inclusion(index: int, size: int, leaf: Hash, proof: Sequence[Hash], root: Hash) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(
    old: int, new: int, old_root: Hash, new_root: Hash, proof: Sequence[Hash]
) -> None:
    """Raise ProofError unless the tree (new, new_root) extends the tree (old, old_root)."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old == new:
        if proof or old_root != new_root:
            raise ProofError(f"two different trees of size {old}")
        return
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    if not path:
        raise ProofError("consistency proof is empty")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or first != old_root or second != new_root:
        raise ProofError(f"the tree of size {new} does not extend the tree of size {old}")


class CompactTree:
    """A tree built leaf by leaf in O(log n) memory: how `db verify` re-derives every root."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[Hash] = []  # complete subtrees, largest first

    @classmethod
    def restored(cls, size: int, peaks: Sequence[Hash]) -> CompactTree:
        """The tree of `size` leaves from its saved peaks (kelisim.store.audit_tree keeps them)."""
        if len(peaks) != bin(size).count("1"):
            raise ProofError(f"a tree of {size} leaves has {bin(size).count('1')} peaks")
        tree = cls()
        tree.size, tree._peaks = size, list(peaks)
        return tree

    @property
    def peaks(self) -> list[Hash]:
        return list(self._peaks)

    def append(self, leaf: Hash) -> list[tuple[int, Hash]]:
        """Add a leaf hash; returns the stored hashes it completes, as new_stored_hashes would."""
        n = self.size
        result = [(stored_hash_index(0, n), leaf)]
        current, level = leaf, 0
        while (n >> level) & 1:
            current = node_hash(self._peaks.pop(), current)
            level += 1
            result.append((stored_hash_index(level, n >> level), current))
        self._peaks.append(current)
        self.size += 1
        return result

    def root(self) -> Hash:
        if not self._peaks:
            return EMPTY_ROOT
        result = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            result = node_hash(peak, result)
        return result
