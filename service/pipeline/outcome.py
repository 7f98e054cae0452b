"""How a finished run ends: the one rule every recipe's job follows.

- An explicit `target` is the number of kept records. A job short of it ends `failed`
  with `target-not-reached`, whose detail is the recipe's account of the shortfall
  and the dominant outcomes with their attempt counts.
- Without a target, an input-driven recipe (responses, orca, ultrachat,
  ultrafeedback, self-rewarding; PersonaHub over the personas it found) keeps what
  passes its stages: the job ends `succeeded` when kept / inputs reaches `min_yield`
  (spec field, default `defaults.MIN_YIELD`), the shortfall stated in the job's note,
  else `failed` with `target-not-reached`.
- A job with zero kept records is never `succeeded`.

The worker (worker/execute.py) settles every run through `settle`; recipes only say
what happened (`RunOutcome`), never which status follows.
"""

from __future__ import annotations

import msgspec

from service import defaults
from service.domain.specs import JobSpecBase
from service.pipeline.run import KEPT, UNSETTLED, RunOutcome
from service.store.codec import outcomes


class Settled(msgspec.Struct, frozen=True):
    """A run's final status: `succeeded` (with an optional note) or `failed` with a
    target-not-reached detail."""

    status: str
    detail: str | None = None
    note: str | None = None


def top_reasons(raw: dict[str, str], n: int = defaults.TOP_REASONS) -> str:
    """The dominant outcomes other than kept, by attempts: "refusal 12 (filter), ...";
    "" when no attempt failed."""
    rows = [o for o in outcomes(raw) if (o.stage, o.reason) not in (KEPT, UNSETTLED) and o.attempts]
    rows.sort(key=lambda o: (-o.attempts, o.stage, o.reason))
    return ", ".join(f"{o.reason} {o.attempts} ({o.stage})" for o in rows[:n])


def settle(spec: JobSpecBase, target: int | None, kept: int, requests: int, outcome: RunOutcome,
           raw: dict[str, str]) -> Settled:
    """The final status of a run that was not cancelled and met no fatal error.

    `target` is the effective target (the spec's, or the number of inputs); `raw` the
    job hash after the run's last commit (its outcome counters)."""
    reasons = top_reasons(raw)
    because = f"; top reasons: {reasons}" if reasons else ""
    account = outcome.shortfall or outcome.note
    if spec.target is not None:
        if kept >= spec.target:
            return Settled("succeeded", note=outcome.note)
        head = outcome.shortfall or f"made {kept} of {spec.target} after {requests} requests"
        return Settled("failed", detail=head + because)
    inputs = outcome.inputs if outcome.inputs is not None else target
    if kept == 0:
        what = f" of {inputs}" if inputs else ""
        return Settled("failed", detail=f"made 0 records{what} after {requests} requests{because}")
    if inputs is None or kept >= inputs:
        return Settled("succeeded", note=outcome.note)
    floor = spec.min_yield if spec.min_yield is not None else defaults.MIN_YIELD
    shortfall = f"kept {kept} of {inputs} ({kept / inputs:.0%}; min_yield {floor:.0%}){because}"
    if kept / inputs >= floor:
        return Settled("succeeded", note=shortfall + (f". {account}" if account else ""))
    return Settled("failed", detail=shortfall + (f". {account}" if account else ""))
