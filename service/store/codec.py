"""The job hash's field grammar, and the decoding of a hash into the API's `Job`.

Fields of `sg:job:{id}` (store/jobs.py lists the keys):
- `id tenant recipe status spec spec_hash seed target note error enqueues`
- `created_at started_at finished_at`: epoch seconds (repr of a float)
- COUNTERS (`kept rejected requests retries tokens_in tokens_out`): integers the
  worker's commits increment (the Progress fields of the same names)
- `rej:{reason}`: rejects by reason; `stg:{stage}`: rejects by stage;
  `stg_in:{stage}`: candidates that entered a stage; `gen:{provider/model}:{kept|rejected}`:
  per generator. The Lua COMMIT script writes `rej:`, `stg:` and `gen:`, the run's
  counters (`stage_entered`) `stg_in:`.
- `att:{stage}/{reason}`: attempts that ended there, every repeat counted (`rej:` and
  `stg:` count the stored, unique rejects); `req:{stage}/{reason}`: the provider
  requests those attempts spent (`kept/kept` for kept records, `generate/no_outcome`
  for requests no outcome took). The `req:` counters add up to `requests`.
- `spot_size spot_accepted spot_rejected spot_draw spot_interim`, `spot_v:{verdict}`,
  `spot_gen:{generator}:{n|acc}`, `spot_rsn:{reason}`: the spot-check (the VERDICT and
  SPOT_DRAW scripts write them; domain/review.py's summary_from_hash reads them)
"""

from __future__ import annotations

import msgspec

from service.domain.job import (
    GeneratorCount,
    Job,
    JobLinks,
    OutcomeCount,
    Problem,
    Progress,
    StageCount,
    rfc3339,
)
from service.domain.limits import ProviderWait
from service.domain.review import summary_from_hash

COUNTERS = ("kept", "rejected", "requests", "retries", "tokens_in", "tokens_out")
REJECT_PREFIX = "rej:"
STAGE_PREFIX = "stg:"
STAGE_IN_PREFIX = "stg_in:"
GENERATOR_PREFIX = "gen:"
ATTEMPT_PREFIX = "att:"
REQUESTS_PREFIX = "req:"


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


def stage_entered(stage: str) -> str:
    """The counter of candidates that entered `stage`."""
    return STAGE_IN_PREFIX + stage


def _f(raw: dict[str, str], key: str) -> float | None:
    value = raw.get(key)
    return float(value) if value else None


def from_hash(raw: dict[str, str], live_workers: int | None = None,
              waits: list[ProviderWait] | None = None) -> Job:
    """Build the caller's view from the job hash (decoded to str). With `live_workers`
    0, a queued or running job shows `waiting_for_worker` (never stored: see Status);
    `waits` are the open circuits it waits on (store/limits.py `LimitStore.waits`)."""
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
    base = f"/v1/jobs/{jid}"
    return Job(
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
        error=msgspec.json.decode(error, type=Problem) if error else None,
        note=raw.get("note"),
        seed=int(raw["seed"]) if raw.get("seed") else None,
        funnel=funnel,
        outcomes=outcomes(raw),
        generators=dict(sorted(generators.items())),
        spotcheck=summary_from_hash(raw),
        links=JobLinks(
            self=base, spec=f"{base}/spec", records=f"{base}/records", rejects=f"{base}/rejects", cancel=f"{base}/cancel",
            report=f"{base}/report", spotcheck=f"{base}/spotcheck", review_page=f"/review?job={jid}",
        ),
        waiting_for_provider=waits or [],
    )
