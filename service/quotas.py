"""Per-tenant quotas: the limits, declared once, and admission of a submission.

Each limit is one line of `LIMITS`: its name (what SYNTHGEN_QUOTAS, the admin API and
the 429 call it), its kind, its default, the unit it counts and what one submission
spends of it. The kinds (the Redis side is service/store/quotas.py):

- `rate`: at most `limit` per minute, a burst of `limit` at once (GCRA: the
  allowance refills evenly, so there is no burst at a window's edge);
- `concurrent`: at most `limit` jobs not yet final (queued ones count: a queued job
  holds its place in the shared queue);
- `daily`: at most `limit` units per UTC day; a submission spends its `amount` up front
  (records: the job's target, the most it can keep); `cost_cents_per_day` is spent by
  the workers as jobs run (store/budgets.py), and a job that reaches it stops;
- `per_job`: a bound on one submission (the target), refused whatever was used;
- `retention`: not a limit on submissions: how long the tenant's finished jobs are
  kept (service/datasets.py's sweep deletes them after it; 0: until deleted).

Refusals: a limit that waiting will lift is a 429 `quota-exceeded` with Retry-After
(when GCRA frees a place; the end of the UTC day; CONCURRENT_RETRY_SECONDS for a job to
end) and the limit named in the problem's `quota`. One that waiting cannot lift (a
target over `max_target`, or over the whole of `records_per_day`) is a 422
`over-limit` naming the field: the SDKs retry 429s on their own, which would only
repeat a request that can never pass.

A limit of 0 means no limit. Values: the tenant's own (admin API) over SYNTHGEN_QUOTAS
over the default here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import msgspec

from service import defaults
from service.store.quotas import Kind, QuotaStore


@dataclass(frozen=True)
class Submission:
    """What a submission asks for, as the limits measure it."""

    tenant: str
    job_id: str
    target: int


@dataclass(frozen=True)
class Limit:
    name: str
    kind: Kind
    default: int
    unit: str
    help: str
    amount: Callable[[Submission], int]
    field: str = "$"  # the request field a refusal that waiting cannot lift names


LIMITS: tuple[Limit, ...] = (
    Limit("max_target", "per_job", defaults.MAX_TARGET, "records", "the largest target one job may ask for",
          lambda s: s.target, field="target"),
    Limit("submits_per_minute", "rate", 60, "submits", "jobs submitted per minute (a burst of as many at once)",
          lambda s: 1),
    Limit("concurrent_jobs", "concurrent", 16, "jobs", "jobs not yet final (queued or running) at once",
          lambda s: 1),
    Limit("records_per_day", "daily", 10_000_000, "records",
          "records asked for per UTC day (each job's target, counted when it is submitted)",
          lambda s: s.target, field="target"),
    # Charged by the workers as jobs spend (store/budgets.py): a job reaching it stops
    # budget-exhausted; a tenant over it cannot submit until the next UTC day.
    Limit("cost_cents_per_day", "daily", 0, "cents",
          "US cents spent per UTC day at the providers file's prices (docs/costs.md); 0: no cap",
          lambda s: 0),
    Limit("retention_days", "retention", 0, "days",
          "days a finished job is kept before the retention sweep deletes it (0: until deleted; docs/datasets.md)",
          lambda s: 0),
)
ADMISSION = tuple(limit for limit in LIMITS if limit.kind != "retention")
BY_NAME = {limit.name: limit for limit in LIMITS}
# Seconds a tenant at its concurrent-jobs limit is told to wait: when one of its jobs
# ends is unknown, and a poll every few seconds costs one 429.
CONCURRENT_RETRY_SECONDS = 5
# The window of a `rate` limit: its limit is per minute.
RATE_WINDOW_SECONDS = 60.0


def parse_quotas(raw: str) -> dict[str, int]:
    """SYNTHGEN_QUOTAS: `name=value` pairs, comma separated; every name one of LIMITS."""
    out: dict[str, int] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in BY_NAME:
            raise ValueError(f"unknown quota {name!r}; one of {', '.join(BY_NAME)}")
        try:
            out[name] = int(value)
        except ValueError:
            raise ValueError(f"quota {name}: {value.strip()!r} is not a whole number") from None
        if out[name] < 0:
            raise ValueError(f"quota {name}: must be 0 (no limit) or more")
    return out


class QuotaInfo(msgspec.Struct, omit_defaults=True):
    """The limit a 429 or 422 names (a problem's `quota`)."""

    name: str
    limit: int
    unit: str
    used: int | None = None
    retry_after: int | None = None


class OverQuota(Exception):
    """A submission refused by a limit: `retry` says whether waiting lifts it."""

    def __init__(self, info: QuotaInfo, retry: bool, field: str, detail: str):
        super().__init__(detail)
        self.info, self.retry, self.field, self.detail = info, retry, field, detail


class Quotas:
    """Admission of submissions against the tenant's limits (every API replica shares
    the state in Redis)."""

    def __init__(self, store: QuotaStore, configured: dict[str, int]):
        self.store = store
        self.defaults = {limit.name: configured.get(limit.name, limit.default) for limit in LIMITS}

    async def admit(self, sub: Submission) -> None:
        """Charge the submission to every limit, or raise OverQuota naming the first one
        it would exceed (and charge nothing)."""
        now = time.time()
        rows: list[tuple[str, Kind, int, int, float]] = []
        for limit in ADMISSION:
            period = (RATE_WINDOW_SECONDS if limit.kind == "rate" else
                      CONCURRENT_RETRY_SECONDS if limit.kind == "concurrent" else
                      seconds_left(now) if limit.kind == "daily" else 0.0)
            rows.append((limit.name, limit.kind, self.defaults[limit.name], limit.amount(sub), period))
        refused = await self.store.admit(sub.tenant, sub.job_id, rows, now)
        if refused is None:
            return
        name, value, wait, used, never = refused
        limit = BY_NAME[name]
        amount = limit.amount(sub)
        if never:
            raise OverQuota(QuotaInfo(name=name, limit=value, unit=limit.unit), False, limit.field,
                            f"{limit.field} {amount} is over this tenant's {name} of {value} {limit.unit}")
        retry = max(1, math.ceil(wait))
        shown = used if limit.kind in ("daily", "concurrent") else None
        what = f"{used} of {value} {limit.unit} in use" if shown is not None else f"{value} {limit.unit} a minute"
        raise OverQuota(QuotaInfo(name=name, limit=value, unit=limit.unit, used=shown, retry_after=retry), True,
                        limit.field, f"over this tenant's {name} ({what}); retry after {retry} s")

    async def retention_seconds(self, tenant: str) -> float:
        """How long the tenant's finished jobs are kept (0: until deleted)."""
        own = await self.store.overrides(tenant)
        return 86400.0 * own.get("retention_days", self.defaults["retention_days"])

    async def report(self, tenant: str) -> dict[str, Any]:
        """The tenant's limits (its own values over the defaults) and what it uses now."""
        own = await self.store.overrides(tenant)
        used = await self.store.usage(tenant, [(limit.name, limit.kind) for limit in ADMISSION], time.time())
        return {"limits": {n: own.get(n, d) for n, d in self.defaults.items()}, "overrides": own, "used": used}


def seconds_left(now: float) -> float:
    """Seconds to the next UTC midnight, when the daily limits start again."""
    return 86400 - now % 86400
