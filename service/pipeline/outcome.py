"""How a finished run ends: the one rule every recipe's job follows.

The last of a job's shards to end settles it (store/shards.py), from the job hash,
which sums every shard's work, and the shards' outcomes. In this order, for a job that
was not cancelled:

1. A provider refused the job (bad key, unknown model): `failed`, provider-unavailable.
2. Provider calls lost after retries exceeded the job's `error_budget`: `failed`,
   provider-errors, naming the provider and what it answered.
3. A recipe raised (in any shard): `failed`, job-failed, with the exception.
3b. The job reached a hard budget (its `budget`, or the tenant's daily cost cap): `failed`,
   budget-exhausted, naming the limit; its records are kept (docs/costs.md).
4. An explicit `target` is the number of kept records: a job short of it is `failed`,
   target-not-reached, with the recipe's account of the shortfall (zero kept too).
5. A job with zero kept records is never `succeeded`: without a target, `failed`,
   nothing-kept.
6. Without a target, an input-driven recipe (responses, orca, ultrachat, ultrafeedback,
   self-rewarding; PersonaHub over the unique personas it found) keeps what passes its
   stages: `succeeded` when kept / inputs reaches `min_yield` (spec field, default
   `defaults.MIN_YIELD`), the shortfall stated in the job's note, else `failed`,
   target-not-reached.

Every failure and every shortfall note names the dominant reasons by attempts ("most
rejects: refusal (12 of 15), rouge (3 of 15)"): every attempt counts, also a model
repeating a reject already stored (the stored rejects are unique by content).
Recipes only say what happened (`RunOutcome`); which status follows is decided here.
"""

from __future__ import annotations

from collections import Counter

import msgspec

from service import defaults
from service.domain.specs import JobSpecBase
from service.pipeline.run import BUDGET_EXHAUSTED, KEPT, UNSETTLED, RunOutcome
from service.store.codec import lost_summary, outcomes


class Settled(msgspec.Struct, frozen=True):
    """A run's final status; for a failure the catalogued problem type and its detail
    (`problem` None with `failed`: the recipe's own error stands)."""

    status: str
    problem: str | None = None
    detail: str | None = None
    note: str | None = None


def dominant_reasons(raw: dict[str, str], n: int = defaults.TOP_REASONS) -> str:
    """'most rejects: refusal (12 of 15), rouge (3 of 15)' from the job hash's attempt
    counters (every attempt, by reason), or '' when no attempt was rejected."""
    counts: Counter[str] = Counter()
    for o in outcomes(raw):
        if (o.stage, o.reason) not in (KEPT, UNSETTLED):
            counts[o.reason] += o.attempts
    total = sum(counts.values())
    if not total:
        return ""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return "most rejects: " + ", ".join(f"{reason} ({k} of {total})" for reason, k in top)


def merged(outcomes: list[RunOutcome]) -> RunOutcome:
    """One outcome from every shard's, the settling shard's first: its note and
    shortfall (it saw the job's counts last), else another shard's; `inputs` from
    whichever shard learnt them."""
    return RunOutcome(
        note=next((o.note for o in outcomes if o.note), None),
        shortfall=next((o.shortfall for o in outcomes if o.shortfall), None),
        inputs=next((o.inputs for o in outcomes if o.inputs is not None), None),
    )


def settle(spec: JobSpecBase, result: RunOutcome, raw: dict[str, str]) -> Settled:
    """The job's final status (see the module docstring). `raw` is the job hash after
    every shard's last commit (the whole job's counters, and `stop`/`stop_detail` when
    a shard stopped the job); `result` the shards' merged outcome."""
    kept = int(raw.get("kept") or 0)
    target = int(raw["target"]) if raw.get("target") else None
    requests = int(raw.get("requests") or 0)
    calls = int(raw.get("calls") or 0)
    stop, stopped_why = raw.get("stop"), raw.get("stop_detail") or ""
    why = dominant_reasons(raw)
    then = f"; {why}" if why else ""
    if stop == "provider":
        return Settled("failed", "provider-unavailable", f"{stopped_why}{then}")
    if stop == "errors":
        return Settled("failed", "provider-errors",
                       f"{lost_summary(raw)}; error_budget {spec.error_budget:g} of "
                       f"{max(target or 0, calls)} calls{then}")
    if stop == "error":
        return Settled("failed", "job-failed", stopped_why)
    if stop == BUDGET_EXHAUSTED:
        return Settled("failed", "budget-exhausted", f"{stopped_why}; kept {kept}" +
                       (f" of {target}" if target is not None else "") + f" after {requests} requests")
    account = result.shortfall or result.note
    if spec.target is not None:
        if kept >= spec.target:
            return Settled("succeeded", note=result.note)
        head = result.shortfall or (stopped_why if stop == "budget" else "") or \
            f"made {kept} of {spec.target} after {requests} requests"
        return Settled("failed", "target-not-reached", head + then)
    if kept == 0:
        lost = lost_summary(raw)
        return Settled("failed", "nothing-kept",
                       f"0 records kept after {requests} requests{then}" + (f"; {lost}" if lost else ""))
    inputs = result.inputs if result.inputs is not None else target
    if inputs is None or kept >= inputs:
        return Settled("succeeded", note=result.note)
    floor = spec.min_yield if spec.min_yield is not None else defaults.MIN_YIELD
    shortfall = f"kept {kept} of {inputs} ({kept / inputs:.0%}; min_yield {floor:.0%}){then}"
    shortfall += f". {account}" if account else ""
    if kept / inputs >= floor:
        return Settled("succeeded", note=shortfall)
    return Settled("failed", "target-not-reached", shortfall)
