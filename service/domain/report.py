"""The job report: distributions and diversity computed from a job's records.

Mode collapse shows up here as numbers: distinct-1/2 (unique word n-grams over all
n-grams) of prompts and responses, and the distribution of each record's similarity to
its nearest earlier neighbour (from the embedding dedup stage, when the job ran it).
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import msgspec

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
    object: str = "job.report"


def _quantile(sorted_values: list[float], q: float) -> float:
    idx = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[idx]


def distribution(values: Iterable[float], edges: list[float] | None = None) -> Distribution | None:
    vals = sorted(values)
    if not vals:
        return None
    if edges is None:
        top = vals[-1]
        step = 10 ** max(0, math.floor(math.log10(top)) if top > 0 else 0)
        edges = [step * k for k in (1, 2, 5, 10, 20, 50, 100) if step * k <= top * 2] or [top]
    counts, i = [], 0
    for edge in edges:
        n = 0
        while i < len(vals) and vals[i] <= edge:
            n += 1
            i += 1
        counts.append(Bucket(le=edge, count=n))
    if i < len(vals):
        counts.append(Bucket(le=math.inf, count=len(vals) - i))
    return Distribution(
        count=len(vals), min=vals[0], p10=_quantile(vals, 0.1), p50=_quantile(vals, 0.5),
        p90=_quantile(vals, 0.9), max=vals[-1], mean=round(sum(vals) / len(vals), 4), histogram=counts,
    )


def distinct(texts: list[str]) -> Diversity | None:
    uni: set[str] = set()
    bi: set[tuple[str, str]] = set()
    n1 = n2 = 0
    for t in texts:
        w = t.lower().split()
        uni.update(w)
        bi.update(zip(w, w[1:]))
        n1 += len(w)
        n2 += max(0, len(w) - 1)
    if not n1:
        return None
    return Diversity(distinct_1=round(len(uni) / n1, 4), distinct_2=round(len(bi) / n2, 4) if n2 else 0.0)


def build(job: JobState, records: list[dict[str, Any]]) -> JobReport:
    """The report of `job` from its kept records."""
    prompts, responses, scores, nearest = [], [], [], []
    for rec in records:
        p, r = prompt_and_response(rec)
        prompts.append(p)
        responses.append(r)
        meta = rec.get("meta") or {}
        if "judge" in meta:
            scores.append(float(meta["judge"]["score"]))
        if "dedup" in meta:
            nearest.append(float(meta["dedup"]["nearest"]))
    gens = {
        label: GeneratorYield(kept=g.kept, rejected=g.rejected,
                              yield_=round(g.kept / (g.kept + g.rejected), 4) if g.kept + g.rejected else 0.0)
        for label, g in job.generators.items()
    }
    return JobReport(
        job_id=job.id, records=len(records),
        prompt_words=distribution(len(p.split()) for p in prompts if p),
        response_words=distribution(len(r.split()) for r in responses if r),
        judge_scores=distribution(scores, edges=[0, 1, 2, 3, 4, 5] if all(s <= 5 for s in scores) else None),
        nearest_similarity=distribution(nearest, edges=[k / 10 for k in range(1, 11)]),
        prompt_diversity=distinct(prompts), response_diversity=distinct(responses),
        generators=gens, rejected_by_reason=job.progress.rejected_by_reason, spotcheck=job.spotcheck,
        verification=job.verification,
        cost=job.cost,
    )
