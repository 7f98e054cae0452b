"""A job's state, as the service knows it: its status, progress, funnel and outcomes.

Pure types. How the state is stored in the job's Redis hash, and decoded from it, is
store/codec.py's; how the API shows it (with links, its error as problem+json) is
service/api/jobs/schemas.py's.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Literal

import msgspec

from service.domain.costs import Cost
from service.domain.review import SpotCheckSummary

# waiting_for_worker is never stored: the API shows it for a queued or running job while
# no worker process is alive, so a stalled job says why instead of claiming to run.
Status = Literal["queued", "running", "waiting_for_worker", "succeeded", "failed", "cancelling", "cancelled"]
FINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class JobError(msgspec.Struct, omit_defaults=True):
    """Why a job failed, as the worker stores it: a catalogued problem type
    (service/domain/errors.py: its URI, title and status) and the detail. The API
    serves it as the job's `error`, an RFC 9457 problem."""

    type: str
    title: str
    status: int
    detail: str | None = None


class Progress(msgspec.Struct):
    target: int | None
    kept: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = {}
    requests: int = 0
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    # the share of tokens_out a reasoning model spent thinking (service/pipeline/reasoning.py)
    tokens_reasoning: int = 0


class StageCount(msgspec.Struct):
    """How many candidates entered a stage and how many it rejected (None: not counted,
    for checks a recipe runs itself, such as Self-Instruct's novelty)."""

    stage: str
    entered: int | None
    rejected: int


class OutcomeCount(msgspec.Struct):
    """How attempts ended: every attempt counted (a model repeating itself is counted
    each time, while the stored rejects are unique), with the provider requests spent
    on them. Kept records are stage "kept", reason "kept"; requests that no outcome
    took are "generate"/"no_outcome". The requests of all outcomes add up to
    `progress.requests`."""

    stage: str
    reason: str
    attempts: int
    requests: int


class GeneratorCount(msgspec.Struct):
    kept: int = 0
    rejected: int = 0


class Shards(msgspec.Struct):
    """How the job is spread over workers: at most `parallelism` shards, each worked on
    by one worker at a time; `running` are held by a worker now, `ended` finished their
    part. Counters, funnel and outcomes are the sum over every shard."""

    parallelism: int = 1
    running: int = 0
    ended: int = 0


class Verification(msgspec.Struct):
    """A verify stage's account (pipeline/verify.py): items verified, and pass@k for k = 1
    up to the latest first pass seen: the share of items with a verified candidate among
    their first k (pass_at_k["1"] is the pass rate of a first try)."""

    items: int
    pass_at_k: dict[str, float]


class JobState(msgspec.Struct):
    """A job's state, decoded from its hash (store/codec.py): what the API shows of a
    job but its links. The spec is not part of it (it is stored, and served, apart)."""

    id: str
    status: Status
    recipe: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress
    spec_hash: str
    error: JobError | None
    note: str | None
    seed: int | None
    funnel: list[StageCount]
    outcomes: list[OutcomeCount]
    generators: dict[str, GeneratorCount]
    spotcheck: SpotCheckSummary | None
    shards: Shards
    verification: Verification | None
    cost: Cost  # at the providers file's prices (docs/costs.md)


def new_job_id() -> str:
    """Time-ordered, unguessable id: 12 hex of milliseconds + 12 random hex."""
    return f"job_{int(time.time() * 1000):012x}{os.urandom(6).hex()}"


def rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
