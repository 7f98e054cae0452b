"""The job hash's field grammar, and the decoding of a hash into a `JobState`.

Fields of `sg:job:{id}` (store/jobs.py lists the keys):
- `id tenant recipe status spec spec_hash seed target note error enqueues`
- `created_at started_at finished_at`: epoch seconds (repr of a float)
- COUNTERS (`kept rejected requests retries tokens_in tokens_out tokens_reasoning`): integers the
  worker's commits increment (the Progress fields of the same names)
- `rej:{reason}`: rejects by reason; `stg:{stage}`: rejects by stage;
  `stg_in:{stage}`: candidates that entered a stage; `gen:{provider/model}:{kept|rejected}`:
  per generator. The Lua COMMIT script writes `rej:`, `stg:` and `gen:`, the run's
  counters (`stage_entered`) `stg_in:`.
- `att:{stage}/{reason}`: attempts that ended there, every repeat counted (`rej:` and
  `stg:` count the stored, unique rejects); `req:{stage}/{reason}`: the provider
  requests those attempts spent (`kept/kept` for kept records, `generate/no_outcome`
  for requests no outcome took). The `req:` counters add up to `requests`.
- `parallelism`, and per shard k `worker:{k} runs:{k} crashes:{k} ended:{k} out:{k}
  tix:{k}`, with `tix crashes attempts last_exit stop stop_detail`: the shards
  (store/shards.py says what each means)
- `vfy_first:{i}`: items under rejection sampling whose first verified candidate was
  the i-th drawn (0: none verified); the job's `verification.pass_at_k` comes from them
- `calls`: provider calls the recipes made (the request budget counts them); `lost`:
  calls lost after retries (the error budget), `lost:{provider}|{reason}` per provider
  and reason, `lost_last:{provider}` the provider's last such error
- `cost`: nano-dollars spent at the configured prices (domain/costs.py), `cost_gen:{provider/model}`
  and `cost_stg:{stage}` the same per generator and per stage; `cost_unpriced`: answered
  calls to models without a price; `cache_hits cache_misses cache_saved`: the response
  cache's answers, its misses and the nano-dollars the answers saved; `batch_calls`: calls
  answered through a provider batch, `batch_online`: batched requests their batch left
  unanswered (expired, cancelled), sent online
- `spot_size spot_accepted spot_rejected spot_draw spot_interim`, `spot_v:{verdict}`,
  `spot_gen:{generator}:{n|acc}`, `spot_rsn:{reason}`: the spot-check (the VERDICT and
  SPOT_DRAW scripts write them; domain/review.py's summary_from_hash reads them)
"""

from __future__ import annotations

import time

import msgspec

from service.domain.costs import Cost, usd
from service.domain.estimate import remaining
from service.domain.job import (
    GeneratorCount,
    JobError,
    JobState,
    OutcomeCount,
    Progress,
    Shards,
    StageCount,
    Verification,
    rfc3339,
)
from service.domain.review import summary_from_hash

COUNTERS = ("kept", "rejected", "requests", "retries", "tokens_in", "tokens_out", "tokens_reasoning")
REJECT_PREFIX = "rej:"
STAGE_PREFIX = "stg:"
STAGE_IN_PREFIX = "stg_in:"
GENERATOR_PREFIX = "gen:"
ATTEMPT_PREFIX = "att:"
REQUESTS_PREFIX = "req:"
LOST_PREFIX = "lost:"
VERIFY_FIRST_PREFIX = "vfy_first:"  # pipeline/verify.py FIRST_PREFIX
COST = "cost"
COST_UNPRICED = "cost_unpriced"
COST_GEN_PREFIX = "cost_gen:"
COST_STAGE_PREFIX = "cost_stg:"
CACHE_HITS = "cache_hits"
CACHE_MISSES = "cache_misses"
CACHE_SAVED = "cache_saved"
BATCH_CALLS = "batch_calls"
BATCH_ONLINE = "batch_online"


def cost_generator(label: str) -> str:
    """The counter of nano-dollars spent on generator `label` (provider/model)."""
    return COST_GEN_PREFIX + label


def cost_stage(stage: str) -> str:
    """The counter of nano-dollars spent on calls of `stage` (generation, judge)."""
    return COST_STAGE_PREFIX + stage


def cost_from_hash(raw: dict[str, str]) -> Cost:
    """The job's cost (in USD) from its nano-dollar counters; while it runs, the
    projected remaining cost and time (domain/estimate.py `remaining`)."""
    total = int(raw.get(COST) or 0)
    kept = int(raw.get("kept") or 0)
    left: tuple[float | None, float | None] = (None, None)
    started = _f(raw, "started_at")
    if raw.get("status") == "running" and started is not None:
        target = int(raw["target"]) if raw.get("target") else None
        left = remaining(kept=kept, target=target, nanos=total, elapsed=time.time() - started)
    return Cost(
        remaining_usd=left[0], remaining_seconds=left[1],
        usd=usd(total), per_kept_record_usd=usd(total // kept) if kept else None,
        generators={k[len(COST_GEN_PREFIX):]: usd(int(v)) for k, v in sorted(raw.items())
                    if k.startswith(COST_GEN_PREFIX)},
        stages={k[len(COST_STAGE_PREFIX):]: usd(int(v)) for k, v in sorted(raw.items())
                if k.startswith(COST_STAGE_PREFIX)},
        unpriced_calls=int(raw.get(COST_UNPRICED) or 0),
        cache_hits=int(raw.get(CACHE_HITS) or 0), cache_misses=int(raw.get(CACHE_MISSES) or 0),
        saved_usd=usd(int(raw.get(CACHE_SAVED) or 0)),
        batch_calls=int(raw.get(BATCH_CALLS) or 0), batch_online=int(raw.get(BATCH_ONLINE) or 0),
    )


def attempt_counter(stage: str, reason: str) -> str:
    """The counter of attempts that ended in (stage, reason), repeats included."""
    return f"{ATTEMPT_PREFIX}{stage}/{reason}"


def requests_counter(stage: str, reason: str) -> str:
    """The counter of provider requests spent on attempts that ended in (stage, reason)."""
    return f"{REQUESTS_PREFIX}{stage}/{reason}"


def outcomes(raw: dict[str, str]) -> list[OutcomeCount]:
    """The funnel's outcomes: attempts and requests per (stage, reason), most requests first."""
    counts: dict[str, list[int]] = {}
    for k, v in raw.items():
        for i, prefix in enumerate((ATTEMPT_PREFIX, REQUESTS_PREFIX)):
            if k.startswith(prefix):
                counts.setdefault(k[len(prefix):], [0, 0])[i] = int(v)
    rows = [OutcomeCount(stage=k.partition("/")[0], reason=k.partition("/")[2], attempts=a, requests=r)
            for k, (a, r) in counts.items()]
    return sorted(rows, key=lambda o: (-o.requests, -o.attempts, o.stage, o.reason))


def lost_counter(provider: str, reason: str) -> str:
    """The counter of calls to `provider` lost after retries for `reason` ("HTTP 503")."""
    return f"{LOST_PREFIX}{provider}|{reason}"


def lost_summary(raw: dict[str, str]) -> str | None:
    """'provider 'fake' lost 6 calls after retries (HTTP 400 x6); last error: ...' for the
    provider that lost the most calls of the job, or None when none was lost."""
    by_provider: dict[str, int] = {}
    by_reason: dict[tuple[str, str], int] = {}
    for k, v in raw.items():
        if k.startswith(LOST_PREFIX):
            provider, _, reason = k[len(LOST_PREFIX):].rpartition("|")
            by_provider[provider] = by_provider.get(provider, 0) + int(v)
            by_reason[(provider, reason)] = int(v)
    if not by_provider:
        return None
    provider, n = max(by_provider.items(), key=lambda kv: (kv[1], kv[0]))
    reasons = ", ".join(f"{r} x{k}" for (p, r), k in sorted(by_reason.items(), key=lambda kv: -kv[1]) if p == provider)
    last = raw.get(f"lost_last:{provider}", "")
    return f"provider {provider!r} lost {n} calls after retries ({reasons}); last error: {last}"


def stage_entered(stage: str) -> str:
    """The counter of candidates that entered `stage`."""
    return STAGE_IN_PREFIX + stage


def verification(raw: dict[str, str]) -> Verification | None:
    """pass@k from the `vfy_first:` counters, or None for a job without rejection sampling."""
    firsts = {int(k[len(VERIFY_FIRST_PREFIX):]): int(v) for k, v in raw.items() if k.startswith(VERIFY_FIRST_PREFIX)}
    items = sum(firsts.values())
    if not items:
        return None
    top = max(firsts)
    passed, pass_at = 0, {}
    for k in range(1, top + 1):
        passed += firsts.get(k, 0)
        pass_at[str(k)] = round(passed / items, 4)
    return Verification(items=items, pass_at_k=pass_at)


def _f(raw: dict[str, str], key: str) -> float | None:
    value = raw.get(key)
    return float(value) if value else None


def from_hash(raw: dict[str, str], live_workers: int | None = None) -> JobState:
    """The job's state from its hash (decoded to str). With `live_workers` 0, a queued
    or running job shows `waiting_for_worker` (never stored: see Status)."""
    jid = raw["id"]
    by_reason = {
        k[len(REJECT_PREFIX):]: int(v) for k, v in raw.items() if k.startswith(REJECT_PREFIX)
    }
    target = raw.get("target")
    error = raw.get("error")
    entered = {k[len(STAGE_IN_PREFIX):]: int(v) for k, v in raw.items() if k.startswith(STAGE_IN_PREFIX)}
    rejected = {k[len(STAGE_PREFIX):]: int(v) for k, v in raw.items() if k.startswith(STAGE_PREFIX)}
    order = list(entered) + [st for st in rejected if st not in entered]
    funnel = [StageCount(stage=st, entered=entered.get(st), rejected=rejected.get(st, 0)) for st in order]
    generators: dict[str, GeneratorCount] = {}
    for k, v in raw.items():
        if k.startswith(GENERATOR_PREFIX):
            label, _, what = k[len(GENERATOR_PREFIX):].rpartition(":")
            setattr(generators.setdefault(label, GeneratorCount()), what, int(v))
    return JobState(
        id=jid,
        status="waiting_for_worker" if live_workers == 0 and raw["status"] in ("queued", "running")
        else raw["status"],  # type: ignore[arg-type]
        recipe=raw["recipe"],
        created_at=rfc3339(_f(raw, "created_at")) or "",
        started_at=rfc3339(_f(raw, "started_at")),
        finished_at=rfc3339(_f(raw, "finished_at")),
        progress=Progress(
            target=int(target) if target else None,
            rejected_by_reason=dict(sorted(by_reason.items())),
            **{c: int(raw.get(c) or 0) for c in COUNTERS},
        ),
        spec_hash=raw.get("spec_hash", ""),
        error=msgspec.json.decode(error, type=JobError) if error else None,
        note=raw.get("note"),
        seed=int(raw["seed"]) if raw.get("seed") else None,
        funnel=funnel,
        outcomes=outcomes(raw),
        generators=dict(sorted(generators.items())),
        spotcheck=summary_from_hash(raw),
        shards=Shards(
            parallelism=int(raw.get("parallelism") or 1),
            running=sum(1 for k in raw if k.startswith("worker:")),
            ended=sum(1 for k in raw if k.startswith("ended:")),
        ),
        verification=verification(raw),
        cost=cost_from_hash(raw),
    )
