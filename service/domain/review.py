"""The human spot-check: what a sample, a verdict and an acceptance figure are.

Decisions (issue 18), for a reviewer checking a few hundred records before training:
- A sample is drawn only from a finished job. Drawing from a running one needs
  `interim: true` and the sample says so (`interim`, `drawn_from` records, the job's
  status then), because a sample of the first 5 of 30 records is not a sample of the job.
- A sample can be redrawn (`redraw: true`) until its first verdict; after that it is
  the record of a review and stays as it is.
- Verdicts fit the record: a single answer or a dialogue is `accept` / `reject`; a
  preference pair is `right` (chosen really is better), `order_wrong`, `tie` or
  `both_bad`. Only `accept` and `right` count as accepted.
- `reject` and `both_bad` need at least one reason from the sample's reason list
  (set when drawing, `REVIEW_REASONS` by default); any verdict may carry reasons and a note.
- Every verdict names its reviewer: a required, bounded field taken from the request.
  Left for the tenancy issue (14): a reviewer role and signed review links, so that a
  reviewer needs no full API key (one that can also submit and cancel jobs) and the
  name on a verdict is vouched for by the link rather than typed.
- Acceptance is given overall, per generator (the sample is stratified by generator)
  and per reason, each with a 95% Wilson score interval, so "92% of 200" reads as
  roughly 88-95%, not as a measurement to three digits.

This module holds the rules and what is stored (sample info, verdicts, the summary
kept in the job hash); the requests and answers of the review routes are
service/api/review/schemas.py's.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Outcome = Literal["accept", "reject", "right", "order_wrong", "tie", "both_bad"]
# Verdicts each kind of record takes, and those that need a reason.
VERDICTS: dict[str, tuple[str, ...]] = {
    "single": ("accept", "reject"),
    "dialogue": ("accept", "reject"),
    "pair": ("right", "order_wrong", "tie", "both_bad"),
}
ACCEPTED = frozenset({"accept", "right"})
NEEDS_REASON = frozenset({"reject", "both_bad"})

ReasonName = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class SampleInfo(msgspec.Struct):
    """How a sample was drawn (stored with it)."""

    draw: str
    drawn_at: str
    seed: int
    interim: bool
    job_status: str
    drawn_from: int
    guidelines: str
    reasons: list[str]


class StoredVerdict(msgspec.Struct):
    record_id: str
    verdict: str
    accepted: bool
    reasons: list[str]
    note: str
    reviewer: str
    at: str
    generator: str = ""
    object: str = "spotcheck.verdict"


class Acceptance(msgspec.Struct):
    """Accepted of reviewed, with a 95% Wilson score interval."""

    reviewed: int
    accepted: int
    rate: float | None
    low: float | None
    high: float | None


class SpotCheckSummary(msgspec.Struct):
    """The spot-check of a job: sample size, verdicts so far, acceptance overall, per
    generator and how often each reason was given."""

    size: int
    reviewed: int
    accepted: int
    rejected: int
    acceptance_rate: float | None
    interval: Acceptance
    by_generator: dict[str, Acceptance]
    by_reason: dict[str, int]
    by_verdict: dict[str, int]
    interim: bool = False


def wilson(accepted: int, n: int, z: float = 1.96) -> tuple[float, float] | tuple[None, None]:
    """95% Wilson score interval for accepted/n (good at small n and near 0 or 1)."""
    if n <= 0:
        return None, None
    p = accepted / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def acceptance(accepted: int, reviewed: int) -> Acceptance:
    low, high = wilson(accepted, reviewed)
    return Acceptance(reviewed=reviewed, accepted=accepted,
                      rate=round(accepted / reviewed, 4) if reviewed else None, low=low, high=high)


def record_kind(record: dict[str, Any]) -> str:
    """pair (chosen and rejected), dialogue (more than one user turn), or single."""
    if "chosen" in record and "rejected" in record:
        return "pair"
    turns = record.get("messages") or record.get("conversations") or []
    users = [t for t in turns if (t.get("role") or t.get("from")) in ("user", "human")]
    return "dialogue" if len(users) > 1 else "single"


def generator_of(record: dict[str, Any]) -> str:
    meta = record.get("meta") or {}
    return f"{meta.get('provider', '?')}/{meta.get('model', '?')}"


def summary_from_hash(raw: dict[str, str]) -> SpotCheckSummary | None:
    """The job's spot-check figures from the counters VERDICT keeps in the job hash."""
    if not raw.get("spot_size"):
        return None
    acc, rej = int(raw.get("spot_accepted") or 0), int(raw.get("spot_rejected") or 0)
    gens: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for k, v in raw.items():
        if k.startswith("spot_gen:"):
            label, _, what = k[9:].rpartition(":")
            gens.setdefault(label, {})[what] = int(v)
        elif k.startswith("spot_rsn:") and int(v):
            reasons[k[9:]] = int(v)
        elif k.startswith("spot_v:") and int(v):
            outcomes[k[7:]] = int(v)
    total = acceptance(acc, acc + rej)
    return SpotCheckSummary(
        size=int(raw["spot_size"]), reviewed=acc + rej, accepted=acc, rejected=rej,
        acceptance_rate=total.rate, interval=total,
        by_generator={g: acceptance(c.get("acc", 0), c.get("n", 0)) for g, c in sorted(gens.items()) if c.get("n")},
        by_reason=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_verdict=dict(sorted(outcomes.items())), interim=raw.get("spot_interim") == "1",
    )


def stratified_sample(records: list[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    """`size` records, each generator's share proportional to its records (largest
    remainder, at least one per generator while room allows), shuffled."""
    import random

    rng = random.Random(seed)
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(generator_of(rec), []).append(rec)
    size = min(size, len(records))
    if not size:
        return []
    quotas = {g: size * len(rs) / len(records) for g, rs in groups.items()}
    alloc = {g: min(len(groups[g]), max(1, int(q))) for g, q in quotas.items()}
    while sum(alloc.values()) > size:
        g = max(alloc, key=lambda k: alloc[k] - quotas[k])
        alloc[g] -= 1
    for g in sorted(quotas, key=lambda k: quotas[k] - int(quotas[k]), reverse=True) * 2:
        if sum(alloc.values()) >= size:
            break
        if alloc[g] < len(groups[g]):
            alloc[g] += 1
    sample = [rec for g, n in sorted(alloc.items()) for rec in rng.sample(groups[g], n)]
    rng.shuffle(sample)
    return sample
