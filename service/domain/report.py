"""The job report: distributions and diversity computed from a job's records.

Mode collapse shows up here as numbers: distinct-1/2 (unique word n-grams over all
n-grams) of prompts and responses, and the distribution of each record's similarity to
its nearest earlier neighbour (from the embedding dedup stage, when the job ran it).
Drift shows up as the rates of truncated, refused and unparseable answers, the share
of duplicate responses, and the model identity the provider reported with each answer
(`model`, `system_fingerprint`, per generator).

One streaming pass (`Accumulator`): records and rejects are fed one at a time, in
constant memory whatever the job's size:
- lengths and scores are counted per value (word counts are integers, scores and
  similarities rounded to VALUE_DIGITS), so quantiles and histograms are exact and the
  memory is the number of distinct values, not of records;
- distinct n-grams and duplicate responses are counted with a k-minimum-values sketch
  (`Distinct`): exact while fewer than defaults.REPORT_SKETCH_K distinct values were
  seen, an estimate (relative error about 1/sqrt(k)) past it;
- model identities are counted per generator, at most MAX_IDENTITIES each.
The report is computed once when the job has ended and stored next to its segments
(service/store/datasets.py, `report.json`); a running job's is computed live.
"""

from __future__ import annotations

import heapq
import math
import random
import zlib
from collections import Counter
from typing import Any, Iterable

import msgspec

from service import defaults
from service.domain.costs import Cost
from service.domain.job import JobState, Verification
from service.domain.review import SpotCheckSummary
from service.pipeline.records import prompt_and_response


class Bucket(msgspec.Struct):
    le: float
    count: int


class Distribution(msgspec.Struct):
    count: int
    min: float
    p10: float
    p50: float
    p90: float
    max: float
    mean: float
    histogram: list[Bucket]


class Diversity(msgspec.Struct):
    distinct_1: float
    distinct_2: float


class GeneratorYield(msgspec.Struct):
    kept: int
    rejected: int
    yield_: float = msgspec.field(name="yield")


class ServedModel(msgspec.Struct):
    """One model identity a provider reported, and how many kept records it answered."""

    model: str
    system_fingerprint: str | None
    records: int


class ReportData(msgspec.Struct):
    """What the report computes from the data (the stored part, `report.json`)."""

    records: int
    rejects: int
    prompt_words: Distribution | None
    response_words: Distribution | None
    judge_scores: Distribution | None
    nearest_similarity: Distribution | None
    prompt_diversity: Diversity | None
    response_diversity: Diversity | None
    truncation_rate: float | None = None
    refusal_rate: float | None = None
    parse_failure_rate: float | None = None
    duplicate_rate: float | None = None
    served_models: dict[str, list[ServedModel]] = {}
    rouge_l_to_seeds: Distribution | None = None


class JobReport(msgspec.Struct):
    job_id: str
    records: int
    prompt_words: Distribution | None
    response_words: Distribution | None
    judge_scores: Distribution | None
    nearest_similarity: Distribution | None
    prompt_diversity: Diversity | None
    response_diversity: Diversity | None
    generators: dict[str, GeneratorYield]
    rejected_by_reason: dict[str, int]
    # the human spot-check so far: acceptance overall and per generator, with intervals
    spotcheck: SpotCheckSummary | None = None
    # a job with a verify stage: items verified, pass@k (pass_at_k["1"]: the pass rate of a first try)
    verification: Verification | None = None
    # what the job spent at the configured prices (the same as its status shows)
    cost: Cost | None = None
    # stored rejects (unique items; rejected_by_reason counts every attempt)
    rejects: int = 0
    # shares of records + stored rejects: answers cut at max_tokens (kept with finish_reason
    # "length", or rejected "truncated"), rejected as refusals, rejected as unparseable
    truncation_rate: float | None = None
    refusal_rate: float | None = None
    parse_failure_rate: float | None = None
    # share of kept records whose response repeats an earlier one (normalised whitespace and case)
    duplicate_rate: float | None = None
    # per generator ("provider/model" as configured): the identities its answers reported
    served_models: dict[str, list[ServedModel]] = {}
    # a recipe with seed tasks (self_instruct, alpaca, evol_instruct): each sampled
    # record's best ROUGE-L against the seeds' instructions (a uniform sample of at most
    # REPORT_ROUGE_SAMPLE records; 1.0 is a copy of a seed)
    rouge_l_to_seeds: Distribution | None = None
    # "stored": computed once after the job ended and served from the dataset store; "live"
    computed: str = "live"
    object: str = "job.report"


# Scores and similarities are counted per value rounded to this many digits.
VALUE_DIGITS = 4
# Distinct model identities counted per generator (more are folded into "other").
MAX_IDENTITIES = 20
# Reject reasons counted as parse failures (a model answer the recipe could not read).
PARSE_REASONS = frozenset({"parse", "unparseable", "judge_unparseable", "invalid_json", "schema"})


def _quantile_counts(items: list[tuple[float, int]], total: int, q: float) -> float:
    rank = min(total, max(1, math.ceil(q * total)))
    seen = 0
    for value, n in items:
        seen += n
        if seen >= rank:
            return value
    return items[-1][0]


def distribution_counts(counts: Counter[float], edges: list[float] | None = None) -> Distribution | None:
    """`distribution` of values given as value -> count (the same numbers)."""
    items = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in items)
    if not total:
        return None
    lo, top = items[0][0], items[-1][0]
    if edges is None:
        step = 10 ** max(0, math.floor(math.log10(top)) if top > 0 else 0)
        edges = [step * k for k in (1, 2, 5, 10, 20, 50, 100) if step * k <= top * 2] or [top]
    buckets, i = [], 0
    for edge in edges:
        n = 0
        while i < len(items) and items[i][0] <= edge:
            n += items[i][1]
            i += 1
        buckets.append(Bucket(le=edge, count=n))
    rest = sum(n for _, n in items[i:])
    if rest:
        buckets.append(Bucket(le=math.inf, count=rest))
    mean = sum(v * n for v, n in items) / total
    return Distribution(
        count=total, min=lo, p10=_quantile_counts(items, total, 0.1), p50=_quantile_counts(items, total, 0.5),
        p90=_quantile_counts(items, total, 0.9), max=top, mean=round(mean, 4), histogram=buckets,
    )


def distribution(values: Iterable[float], edges: list[float] | None = None) -> Distribution | None:
    return distribution_counts(Counter(values), edges)


_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # odd: (a * _MIX) ^ b tells the bigram (a, b) from (b, a)
# Word hashes a text field keeps (a vocabulary larger than this is rehashed in part).
WORD_CACHE = 200_000


def stable_hash(text: str) -> int:
    """A 64-bit hash of `text`, the same in every process (Python's str hash is salted
    per process, so a sketch's estimate would differ between the worker and the API):
    two CRC-32s with different seeds."""
    b = text.encode()
    return zlib.crc32(b) | (zlib.crc32(b, 0x9E3779B9) << 32)


class Distinct:
    """How many distinct values were added: a k-minimum-values sketch over 64-bit
    hashes. Exact while fewer than k distinct values came (the sketch holds them all);
    past that, (k - 1) / (the k-th smallest hash as a fraction of 2^64). Memory: k hashes."""

    def __init__(self, k: int = defaults.REPORT_SKETCH_K):
        self.k = k
        self._heap: list[int] = []  # negated: the largest kept hash on top
        self._kept: set[int] = set()
        self._cut = _MASK + 1  # hashes >= this are not among the k smallest

    def add_hash(self, h: int) -> None:
        h &= _MASK
        if h >= self._cut or h in self._kept:
            return
        self._kept.add(h)
        heapq.heappush(self._heap, -h)
        if len(self._kept) > self.k:
            self._kept.discard(-heapq.heappop(self._heap))
            self._cut = -self._heap[0]

    def add(self, value: str) -> None:
        self.add_hash(stable_hash(value))

    def add_hashes(self, hashes: Iterable[int]) -> None:
        """add_hash of each (64-bit already): most are past the cut once k are held."""
        kept, heap, k = self._kept, self._heap, self.k
        cut = self._cut
        for h in hashes:
            if h >= cut or h in kept:
                continue
            kept.add(h)
            heapq.heappush(heap, -h)
            if len(kept) > k:
                kept.discard(-heapq.heappop(heap))
                cut = self._cut = -heap[0]

    def count(self) -> float:
        if len(self._kept) < self.k:
            return float(len(self._kept))
        return (self.k - 1) / ((-self._heap[0] + 1) / (_MASK + 1))


class _Text:
    """Distinct-1/2 of one field's texts, streamed. A word's hash is computed once per
    WORD_CACHE distinct words; a bigram's is mixed from its two words' hashes."""

    def __init__(self) -> None:
        self.uni, self.bi = Distinct(), Distinct()
        self.n1 = self.n2 = 0
        self._hashes: dict[str, int] = {}

    def _hash(self, word: str) -> int:
        h = self._hashes.get(word)
        if h is None:
            if len(self._hashes) >= WORD_CACHE:
                self._hashes.clear()
            h = self._hashes[word] = stable_hash(word)
        return h

    def add(self, text: str) -> None:
        w = text.lower().split()
        hs = [self._hash(x) for x in w]
        self.uni.add_hashes(hs)
        self.bi.add_hashes([((a * _MIX) ^ b) & _MASK for a, b in zip(hs, hs[1:])])
        self.n1 += len(w)
        self.n2 += max(0, len(w) - 1)

    def result(self) -> Diversity | None:
        if not self.n1:
            return None
        return Diversity(distinct_1=round(min(self.uni.count(), self.n1) / self.n1, 4),
                         distinct_2=round(min(self.bi.count(), self.n2) / self.n2, 4) if self.n2 else 0.0)


def distinct(texts: list[str]) -> Diversity | None:
    t = _Text()
    for x in texts:
        t.add(x)
    return t.result()


class Accumulator:
    """The report's figures, fed one record and one reject at a time (constant memory).
    `seeds`: the job's seed instructions, when its recipe has seeds (ROUGE-L to seeds)."""

    def __init__(self, seeds: list[str] | None = None) -> None:
        self.seeds = seeds[:defaults.REPORT_ROUGE_SEEDS] if seeds else None
        self.sample: list[str] = []  # reservoir of prompts (Algorithm R), seeded: the same sample every time
        self._rng = random.Random(0)
        self.records = self.rejects = 0
        self.prompt_words: Counter[float] = Counter()
        self.response_words: Counter[float] = Counter()
        self.scores: Counter[float] = Counter()
        self.nearest: Counter[float] = Counter()
        self.prompts, self.responses = _Text(), _Text()
        self.unique_responses = Distinct()
        self.truncated = self.refused = self.unparsed = 0
        self.served: dict[str, Counter[tuple[str, str | None]]] = {}

    def record(self, rec: dict[str, Any]) -> None:
        self.records += 1
        p, r = prompt_and_response(rec)
        if p:
            self.prompt_words[len(p.split())] += 1
            self.prompts.add(p)
            if self.seeds:
                if len(self.sample) < defaults.REPORT_ROUGE_SAMPLE:
                    self.sample.append(p)
                else:
                    j = self._rng.randrange(self.records)
                    if j < defaults.REPORT_ROUGE_SAMPLE:
                        self.sample[j] = p
        if r:
            self.response_words[len(r.split())] += 1
            self.responses.add(r)
        self.unique_responses.add(" ".join(r.lower().split()))
        meta = rec.get("meta") or {}
        judge = meta.get("judge")
        if isinstance(judge, dict) and judge.get("score") is not None:
            self.scores[round(float(judge["score"]), VALUE_DIGITS)] += 1
        dedup = meta.get("dedup")
        if isinstance(dedup, dict) and dedup.get("nearest") is not None:
            self.nearest[round(float(dedup["nearest"]), VALUE_DIGITS)] += 1
        if meta.get("finish_reason") == "length":
            self.truncated += 1
        served = meta.get("served")
        if isinstance(served, dict) and served.get("model"):
            gen = f"{meta.get('provider', '?')}/{meta.get('model', '?')}"
            seen = self.served.setdefault(gen, Counter())
            ident = (str(served["model"]), served.get("system_fingerprint"))
            if ident not in seen and len(seen) >= MAX_IDENTITIES:
                ident = ("other", None)
            seen[ident] += 1

    def reject(self, rej: dict[str, Any]) -> None:
        self.rejects += 1
        reason = str(rej.get("reason") or "")
        if reason == "truncated":
            self.truncated += 1
        elif reason == "refusal":
            self.refused += 1
        elif reason in PARSE_REASONS:
            self.unparsed += 1

    def result(self) -> ReportData:
        seen = self.records + self.rejects

        def rate(n: int) -> float | None:
            return round(n / seen, 4) if seen else None

        scores = self.scores
        return ReportData(
            records=self.records, rejects=self.rejects,
            prompt_words=distribution_counts(self.prompt_words),
            response_words=distribution_counts(self.response_words),
            judge_scores=distribution_counts(scores, edges=[0, 1, 2, 3, 4, 5] if all(s <= 5 for s in scores) else None),
            nearest_similarity=distribution_counts(self.nearest, edges=[k / 10 for k in range(1, 11)]),
            prompt_diversity=self.prompts.result(), response_diversity=self.responses.result(),
            truncation_rate=rate(self.truncated), refusal_rate=rate(self.refused),
            parse_failure_rate=rate(self.unparsed),
            duplicate_rate=(round(1 - min(self.unique_responses.count(), self.records) / self.records, 4)
                            if self.records else None),
            rouge_l_to_seeds=self._rouge(),
            served_models={gen: [ServedModel(model=m, system_fingerprint=fp, records=n)
                                 for (m, fp), n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or ""))]
                           for gen, c in sorted(self.served.items())},
        )


    def _rouge(self) -> Distribution | None:
        if not self.seeds or not self.sample:
            return None
        from service.pipeline.text import RougePool

        pool = RougePool(self.seeds)
        return distribution_counts(Counter(round(max(pool.scores(p), default=0.0), VALUE_DIGITS)
                                           for p in self.sample), edges=[k / 10 for k in range(1, 11)])


def assemble(job: JobState, data: ReportData, computed: str = "live") -> JobReport:
    """The report served: the data's figures and the job's live ones (yield, reject
    attempts, spot-check, verification, cost: they change after the job ends)."""
    gens = {
        label: GeneratorYield(kept=g.kept, rejected=g.rejected,
                              yield_=round(g.kept / (g.kept + g.rejected), 4) if g.kept + g.rejected else 0.0)
        for label, g in job.generators.items()
    }
    return JobReport(
        job_id=job.id, records=data.records,
        prompt_words=data.prompt_words, response_words=data.response_words, judge_scores=data.judge_scores,
        nearest_similarity=data.nearest_similarity, prompt_diversity=data.prompt_diversity,
        response_diversity=data.response_diversity,
        generators=gens, rejected_by_reason=job.progress.rejected_by_reason, spotcheck=job.spotcheck,
        verification=job.verification, cost=job.cost, rejects=data.rejects,
        truncation_rate=data.truncation_rate, refusal_rate=data.refusal_rate,
        parse_failure_rate=data.parse_failure_rate, duplicate_rate=data.duplicate_rate,
        served_models=data.served_models, rouge_l_to_seeds=data.rouge_l_to_seeds, computed=computed,
    )


def build(job: JobState, records: list[dict[str, Any]], rejects: Iterable[dict[str, Any]] = ()) -> JobReport:
    """The report of `job` from its kept records (and stored rejects), in memory."""
    acc = Accumulator()
    for rec in records:
        acc.record(rec)
    for rej in rejects:
        acc.reject(rej)
    return assemble(job, acc.result())
