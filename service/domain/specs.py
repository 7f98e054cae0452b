"""The job spec every recipe shares: `JobSpecBase`.

A recipe's own spec subclasses `JobSpecBase` with `tag=<recipe name>` and a
`params` field; the API decodes the tagged union of all registered recipes, so an
unknown recipe or a wrong type is reported by msgspec with the offending path.

Stage kinds register here, one line each: a field whose type is the kind's spec (a
`StageSpec` subclass defined in the stage's own module under service/pipeline/, next to
the stage it builds; service/pipeline/stages.py says how to write one). The fields'
order is the order candidates pass the stages, and `stage_specs()` lists the job's
stages from the fields alone. Stage modules keep their top-level imports light, so
decoding a spec here imports no heavy library (tests/test_registries.py checks it).
The parts specs are made of (generator references, sampling, bounded names) are
service/domain/spec_parts.py's, re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.spec_parts import (
    Budget,
    Concurrency,
    GeneratorRef,
    Name,
    Probability,
    Sampling,
    StructuredOutput,
    Target,
    Webhook,
    WeightedGenerator,
)
from service.pipeline.decontam import DecontaminationSpec
from service.pipeline.dedup import DedupSpec, EmbeddingDedup, MinHashDedup
from service.pipeline.judge import JudgeSpec
from service.pipeline.stages import Filters, StageSpec
from service.pipeline.verify import VerifySpec

__all__ = [
    "Budget", "Concurrency", "DecontaminationSpec", "DedupSpec", "EmbeddingDedup", "Filters", "GeneratorRef",
    "JobSpecBase", "JudgeSpec", "MinHashDedup", "Name", "Probability", "Sampling", "StageSpec", "StructuredOutput",
    "Target", "VerifySpec", "Webhook", "WeightedGenerator",
    "spec_hash",
]


class JobSpecBase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="recipe"):
    """Fields shared by every recipe's job spec."""

    generator: GeneratorRef
    target: Target | None = None
    concurrency: Concurrency = defaults.JOB_CONCURRENCY
    seed: int | None = None
    filters: Filters = msgspec.field(default_factory=Filters)
    metadata: Annotated[dict[Name, Annotated[str, Meta(max_length=1024)]],
                        Meta(max_length=defaults.MAX_METADATA_ENTRIES)] = {}
    format: Literal["native", "openai", "sharegpt", "alpaca", "preference"] = "native"
    mix: Annotated[
        list[WeightedGenerator],
        Meta(max_length=defaults.MAX_MIX_ENTRIES,
             description="Generators drawn by weight per item, where the recipe supports mixing; `generator` stays the default."),
    ] = []
    min_yield: Annotated[Probability, Meta(
        description="Without a target (input-driven recipes): the fraction of inputs that must give a record "
                    "for the job to succeed; default 0.5.",
    )] | None = None
    structured_output: StructuredOutput | None = None
    verify: VerifySpec | None = None
    judge: JudgeSpec | None = None
    dedup: DedupSpec | None = None
    decontamination: DecontaminationSpec | None = None
    refuse_licences: Annotated[
        list[Name], Meta(max_length=defaults.MAX_NAMES_LISTED,
                         description="Refuse the job if any generator or judge carries one of these licence tags.")
    ] = []
    parallelism: Annotated[int, Meta(
        ge=1, le=defaults.MAX_PARALLELISM,
        description="Shards the job may run as at once, each on its own worker (up to the server's "
        "SYNTHGEN_MAX_PARALLELISM). Default: the server's SYNTHGEN_PARALLELISM, scaled down for small jobs "
        f"(one shard per {defaults.RECORDS_PER_SHARD} records of the target).",
    )] | None = None
    error_budget: Annotated[float, Meta(
        ge=0.0, le=1.0,
        description="Share of the target (or of the calls made, if more) that may be lost to provider "
        "errors after retries; past it the job stops and fails naming the provider.",
    )] = defaults.ERROR_BUDGET
    webhook: Webhook | None = None
    budget: Budget | None = None
    deadline: Annotated[float, Meta(
        gt=0, le=365 * 86400,
        description="When the job must be done: seconds after its start, or a time (ISO 8601 with a zone). "
        "A job whose deadline is at least the batch window (24 h) off sends its chat requests to a provider "
        "with `batch = true` through the provider's batch API (about half the price), else online "
        "(docs/costs.md, \"Provider batch mode\").",
    )] | datetime | None = None
    cache: Annotated[bool | Literal["force"], Meta(
        description="Reuse answers from the shared response cache for identical requests (same provider, "
        "model, messages and sampling, seed included): true for deterministic requests only (temperature 0 "
        "or a seed), \"force\" for every request. Cached answers cost nothing (docs/costs.md).",
    )] = False

    @property
    def recipe(self) -> str:
        return str(type(self).__struct_config__.tag)

    def deadline_at(self, started_at: float) -> float | None:
        """The deadline as a Unix time, for a job started at `started_at` (None: none)."""
        if self.deadline is None:
            return None
        if isinstance(self.deadline, datetime):
            return self.deadline.timestamp()
        return started_at + float(self.deadline)

    def stage_specs(self) -> list[StageSpec]:
        """The job's stages, in the order a candidate passes them (the fields' order)."""
        values = (getattr(self, f) for f in self.__struct_fields__)
        return [v for v in values if isinstance(v, StageSpec)]


def parallelism(spec: JobSpecBase, target: int | None, default: int, maximum: int) -> int:
    """The shards a job runs as: what the spec asks (Recipe.check refuses more than the
    server's maximum), else the server's default scaled down for a small target (a small
    job stays on one worker)."""
    if spec.parallelism is not None:
        return min(spec.parallelism, maximum)
    n = min(default, maximum)
    if target is not None:
        n = min(n, max(1, target // defaults.RECORDS_PER_SHARD))
    return max(1, n)


def spec_hash(spec: JobSpecBase) -> str:
    """A stable hash of the canonical spec (sorted keys), to compare jobs and spot drift."""
    import hashlib

    canonical = msgspec.json.encode(msgspec.to_builtins(spec), order="sorted")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()
