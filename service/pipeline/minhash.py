"""One near-duplicate index by MinHash LSH (datasketch), for the dedup stage and for
PersonaHub's persona dedup.

A text becomes a set of shingles (the caller's: word n-grams for the dedup stage,
word unigrams for personas), its MinHash (fixed seed, so runs agree), and a query of
the LSH index at `threshold`. LSH is a candidate filter: with `confirm`, a candidate
counts only when the exact Jaccard of the shingle sets reaches the threshold, and
the earliest indexed of those is the twin (deterministic whatever the bucket order);
without it, the first candidate LSH returns is the twin (the dedup stage's choice:
it keeps no shingle sets, so its memory is the signatures only).

datasketch (and numpy under it) is imported when an index is made, not with this
module: job specs are decoded in the API, which imports the stage and recipe modules
that use this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from datasketch import MinHash


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class MinHashIndex:
    """Texts indexed by key; `add` returns None for a new text (now indexed), or
    (key, jaccard or None) of the indexed text it duplicates."""

    def __init__(self, threshold: float, num_perm: int, shingles: Callable[[str], set[str]], *, seed: int = 1,
                 weights: tuple[float, float] = (0.5, 0.5), confirm: bool = False):
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingles = shingles
        self.seed = seed
        self.confirm = confirm
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        self.sets: dict[str, set[str]] = {}  # only with confirm
        self.order: dict[str, int] = {}

    def _signature(self, tokens: set[str]) -> MinHash:
        m = self._minhash(num_perm=self.num_perm, seed=self.seed)
        m.update_batch([t.encode() for t in sorted(tokens)])
        return m

    def find(self, text: str) -> tuple[str, float | None] | None:
        tokens = self.shingles(text)
        hits = self.lsh.query(self._signature(tokens))
        if not self.confirm:
            return (hits[0], None) if hits else None
        scored = [(self.order[k], k, jaccard(tokens, self.sets[k])) for k in hits]
        scored = [h for h in scored if h[2] >= self.threshold]
        if not scored:
            return None
        _, key, sim = min(scored)
        return key, sim

    def index(self, key: str, text: str) -> None:
        if key in self.order:
            return
        tokens = self.shingles(text)
        self.lsh.insert(key, self._signature(tokens))
        if self.confirm:
            self.sets[key] = tokens
        self.order[key] = len(self.order)

    def add(self, key: str, text: str) -> tuple[str, float | None] | None:
        dup = self.find(text)
        if dup is None:
            self.index(key, text)
        return dup
