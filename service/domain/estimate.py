"""What a whole job would take, projected from a sample run of its spec (docs/costs.md,
"Estimates"). Pure arithmetic on a finished (or running) sample job's counters.

A sample is the job's spec run with a small target (ESTIMATE_SAMPLE_RECORDS kept
records, real provider calls, its own job id: nothing lands in the real job's
records). From it: the yield (kept per attempt, with a 95% Wilson interval), requests,
tokens and cost per attempt, and the requests per second the sample achieved. Then, for
the full job: attempts = target / yield (a job with a target), or its inputs (an
input-driven job without one, keeping inputs x yield); requests, tokens and cost
scale with attempts; time = requests / (sample throughput x shards), no faster than
the provider's rpm allows. Every figure comes with `low` and `high`: the yield's
interval carried through (with a target), or the attempts' sampling error
(1.96 / sqrt(attempts) relative) without one.
"""

from __future__ import annotations

import math

import msgspec

Z95 = 1.96


class Range(msgspec.Struct):
    """A projected figure and its 95% interval."""

    value: float
    low: float
    high: float


class Estimate(msgspec.Struct):
    """The projection of a job from its sample (`sample_job`, `status` its status)."""

    sample_job: str
    status: str
    sample_attempts: int
    sample_kept: int
    target: int | None
    inputs: int | None
    yield_: Range = msgspec.field(name="yield")
    kept: Range
    requests: Range
    tokens: Range
    cost_usd: Range
    seconds: Range | None  # None: the sample made no request to time
    note: str
    object: str = "job.estimate"


def wilson(kept: int, attempts: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a yield of kept / attempts."""
    if attempts <= 0:
        return 0.0, 1.0
    p = kept / attempts
    denom = 1 + Z95**2 / attempts
    centre = (p + Z95**2 / (2 * attempts)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / attempts + Z95**2 / (4 * attempts**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _r(value: float, low: float, high: float, digits: int = 6) -> Range:
    return Range(value=round(value, digits), low=round(min(low, value), digits), high=round(max(high, value), digits))


def project(*, sample_job: str, status: str, kept: int, rejected: int, requests: int, tokens: int, nanos: int,
            seconds: float, target: int | None, inputs: int | None, shards: int, rpm: int | None) -> Estimate:
    """The full job's projection from a sample's counters (see the module docstring)."""
    attempts = kept + rejected
    y = kept / attempts if attempts else 0.0
    y_low, y_high = wilson(kept, attempts)
    per_attempt = (requests / attempts, tokens / attempts, nanos / 1e9 / attempts) if attempts else (0.0, 0.0, 0.0)
    if target is not None:
        # Attempts to keep `target`: the yield's interval bounds them (a low yield: many).
        # No record kept at all: the yield's upper bound stands in (a floor on attempts).
        att = target / (y or y_high) if y_high else 0.0
        att_low = target / y_high if y_high else 0.0
        att_high = target / y_low if y_low else att * 10
        kept_r = _r(target, target, target)
        note = f"{target} kept at a yield of {y:.0%} from {attempts} sample attempts"
    else:
        n = inputs or 0
        err = Z95 / math.sqrt(attempts) if attempts else 1.0
        att, att_low, att_high = float(n), n * max(0.0, 1 - err), n * (1 + err)
        kept_r = _r(n * y, n * y_low, n * y_high, 1)
        note = f"{n} inputs at a yield of {y:.0%} from {attempts} sample attempts"
    rate = requests / seconds if seconds > 0 and requests else 0.0
    rate *= max(1, shards)
    if rpm:
        rate = min(rate, rpm / 60)

    def scaled(per: float) -> Range:
        return _r(att * per, att_low * per, att_high * per, 6 if per < 1 else 1)

    reqs = scaled(per_attempt[0])
    secs = _r(reqs.value / rate, reqs.low / rate, reqs.high / rate, 1) if rate else None
    return Estimate(
        sample_job=sample_job, status=status, sample_attempts=attempts, sample_kept=kept, target=target,
        inputs=inputs, yield_=_r(y, y_low, y_high, 4), kept=kept_r, requests=reqs, tokens=scaled(per_attempt[1]),
        cost_usd=scaled(per_attempt[2]), seconds=secs, note=note,
    )


def remaining(*, kept: int, target: int | None, nanos: int, elapsed: float) -> tuple[float | None, float | None]:
    """A running job's projected remaining (US dollars, seconds), from what it spent and
    how long it took per kept record so far; (None, None) before its first kept record
    or without a target."""
    if target is None or kept <= 0 or kept >= target:
        return (0.0, 0.0) if target is not None and kept >= target else (None, None)
    left = target - kept
    return round(nanos / 1e9 / kept * left, 6), round(elapsed / kept * left, 1)
