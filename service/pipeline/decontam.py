"""Benchmark decontamination: reject candidates that overlap benchmark items.

Text is normalised as in GPT-3's appendix C / lm-eval's Janitor: lowercased,
punctuation stripped, split into words.
- `ngram` mode (default n = 13): a candidate sharing any word n-gram with an item of a
  named benchmark is removed; the reject names the benchmark and the matched n-gram.
- `coverage` mode (default n = 8, Tulu 3's open-instruct search): for each benchmark
  item sharing an n-gram with the candidate, the fraction of the item's tokens covered
  by shared n-grams; the candidate is removed when the best item reaches `coverage`
  (default 0.5).

Benchmark sets are registered by the operator (SYNTHGEN_BENCHMARKS=name=path.jsonl,
JSONL with a "prompt" field or plain text lines) or given inline in the job. Indexes
are built once per worker process per (set, n) and shared by the jobs it runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.pipeline.stages import Candidate, Stage, StageSpec, Verdict


class DecontaminationSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Remove candidates that overlap benchmark items (n-gram overlap)."""

    benchmarks: Annotated[list[Name], Meta(description="Registered benchmark sets (GET /v1/benchmarks).")] = []
    inline: Annotated[
        dict[Name, Annotated[list[Annotated[str, Meta(min_length=1)]], Meta(min_length=1)]],
        Meta(description="Extra benchmark sets given in the job: name -> items."),
    ] = {}
    mode: Literal["ngram", "coverage"] = "ngram"
    ngram: Annotated[int, Meta(ge=3, le=50, description="n; default 13 in ngram mode, 8 in coverage mode.")] | None = None
    coverage: Annotated[
        float, Meta(ge=0.0, le=1.0, description="coverage mode: fraction of a benchmark item's tokens covered.")
    ] = 0.5
    field: Literal["prompt", "response", "both"] = "prompt"

    def check(self, env: Any) -> None:
        for i, name in enumerate(self.benchmarks):
            if name not in env.settings.benchmark_files:
                raise invalid(f"decontamination.benchmarks[{i}]", f"no benchmark set named {name!r} is registered; "
                              "see GET /v1/benchmarks", name)
        if not self.benchmarks and not self.inline:
            raise invalid("decontamination.benchmarks", "name at least one benchmark set or give one inline")

    def build(self, ctx: Any) -> Stage:
        return DecontaminationStage(self, ctx.runtime)


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> Iterable[tuple[int, tuple[str, ...]]]:
    for i in range(len(tokens) - n + 1):
        yield i, tuple(tokens[i: i + n])


class NgramIndex:
    """n-gram -> (item index, position) postings for one benchmark set."""

    def __init__(self, name: str, items: list[str], n: int):
        self.name = name
        self.n = n
        self.items = [words(t) for t in items]
        self.postings: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for idx, toks in enumerate(self.items):
            for pos, g in ngrams(toks, n):
                self.postings.setdefault(g, []).append((idx, pos))

    def first_match(self, tokens: list[str]) -> tuple[str, ...] | None:
        for _, g in ngrams(tokens, self.n):
            if g in self.postings:
                return g
        return None

    def best_coverage(self, tokens: list[str]) -> tuple[float, int]:
        """(fraction of the best item's tokens covered by shared n-grams, its index)."""
        covered: dict[int, set[int]] = {}
        for _, g in ngrams(tokens, self.n):
            for idx, pos in self.postings.get(g, ()):
                covered.setdefault(idx, set()).update(range(pos, pos + self.n))
        best, best_idx = 0.0, -1
        for idx, positions in covered.items():
            frac = len(positions) / max(1, len(self.items[idx]))
            if frac > best:
                best, best_idx = frac, idx
        return best, best_idx


class _Line(msgspec.Struct):
    prompt: str


def read_benchmark(path: str) -> list[str]:
    raw = Path(path).read_bytes().splitlines()
    if path.endswith((".jsonl", ".ndjson")):
        dec = msgspec.json.Decoder(_Line)
        return [dec.decode(line).prompt for line in raw if line.strip()]
    return [line.decode() for line in raw if line.strip()]


class DecontaminationStage:
    name = "decontamination"

    def __init__(self, spec: DecontaminationSpec, runtime: Any):
        self.spec = spec
        self.n = spec.ngram or (13 if spec.mode == "ngram" else 8)
        self.indexes = [runtime.benchmark_index(b, self.n) for b in spec.benchmarks]
        self.indexes += [NgramIndex(name, items, self.n) for name, items in spec.inline.items()]

    async def check(self, c: Candidate) -> Verdict | None:
        for text in c.texts(self.spec.field):
            tokens = words(text)
            for index in self.indexes:
                if self.spec.mode == "ngram":
                    g = index.first_match(tokens)
                    if g is not None:
                        return Verdict(self.name, "contaminated", f"{index.name}: {' '.join(g)}")
                else:
                    frac, idx = index.best_coverage(tokens)
                    if frac >= self.spec.coverage:
                        return Verdict(self.name, "contaminated",
                                       f"{index.name}: item {idx} {frac:.0%} covered by {self.n}-grams")
        return None
