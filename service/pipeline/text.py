"""Text checks shared by the instruction-bootstrapping recipes (Self-Instruct, Alpaca).

ROUGE-L here matches `rouge_score`'s default (no stemming): lowercase, every run of
characters outside [a-z0-9] is a separator, F-measure of the longest common
subsequence of tokens. The LCS is computed bit-parallel (Hyyro 2004) over Python ints,
so checking a candidate against a pool of thousands costs milliseconds, not the
seconds a dynamic-programming table per pair would.
"""

from __future__ import annotations

import heapq
import re
import string
from typing import Iterable

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    return [t for t in _NON_ALNUM.split(text.lower()) if t]


def _masks(a: list[str]) -> dict[str, int]:
    """Bit i of masks[t] is set when a[i] == t."""
    masks: dict[str, int] = {}
    for i, tok in enumerate(a):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    return masks


def _lcs(masks: dict[str, int], na: int, b: list[str]) -> int:
    full = (1 << na) - 1
    v = full
    for tok in b:
        m = masks.get(tok)
        if m:
            u = v & m
            v = ((v + u) | (v - u)) & full
    return na - v.bit_count()


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    return _lcs(_masks(a), len(a), b) if a and b else 0


def rouge_l(a: list[str], b: list[str]) -> float:
    lcs = lcs_length(a, b)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(b), lcs / len(a)
    return 2 * p * r / (p + r)


class RougePool:
    """Instructions accepted so far; a candidate is novel when its best ROUGE-L is low."""

    def __init__(self, texts: Iterable[str] = ()):
        self.texts: list[str] = []
        self._masks: list[tuple[dict[str, int], int]] = []
        for t in texts:
            self.add(t)

    def add(self, text: str) -> None:
        toks = rouge_tokens(text)
        self.texts.append(text)
        self._masks.append((_masks(toks), len(toks)))

    def __len__(self) -> int:
        return len(self.texts)

    def scores(self, text: str) -> list[float]:
        b = rouge_tokens(text)
        out: list[float] = []
        nb = len(b)
        for masks, na in self._masks:
            lcs = _lcs(masks, na, b) if na and nb else 0
            out.append(0.0 if lcs == 0 else 2 * lcs / (na + nb))
        return out

    def nearest(self, text: str, k: int = 10) -> tuple[float, dict[str, float], float]:
        """(max score, top-k {text: score}, mean score) against the pool."""
        scores = self.scores(text)
        if not scores:
            return 0.0, {}, 0.0
        top = heapq.nlargest(k, range(len(scores)), key=scores.__getitem__)
        return (
            scores[top[0]],
            {self.texts[i]: round(scores[i], 4) for i in top},
            sum(scores) / len(scores),
        )


SELF_INSTRUCT_BLACKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
    "map", "maps", "draw", "plot", "go to",
)
ALPACA_BLACKLIST = SELF_INSTRUCT_BLACKLIST + (
    "video", "audio", "music", "flowchart", "diagram",
)


def instruction_reject_reason(
    text: str, blacklist: tuple[str, ...], *, min_words: int = 4, max_words: int = 150
) -> str | None:
    """The first filter of Self-Instruct/Alpaca an instruction fails, or None.

    Reasons: length (<= 3 or > 150 words), blacklist (whole word, case-insensitive),
    prefix ("Write a program"), punctuation (starts with one), non_ascii (starts with one).
    """
    words = len(text.split())
    if words < min_words or words > max_words:
        return "length"
    lowered = text.lower()
    for word in blacklist:
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return "blacklist"
    if lowered.startswith("write a program"):
        return "prefix"
    if text[0] in string.punctuation:
        return "punctuation"
    if not text[0].isascii():
        return "non_ascii"
    return None
