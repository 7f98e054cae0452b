"""The parts of a job spec every recipe shares.

A recipe's own spec subclasses `JobSpecBase` with `tag=<recipe name>` and a
`params` field; the API decodes the tagged union of all registered recipes, so an
unknown recipe or a wrong type is reported by msgspec with the offending path.

Stage specs describe themselves: each `StageSpec` checks what msgspec cannot
(`check(env)`, raising InvalidSpec naming the field) and builds its stage
(`build(ctx)`, importing the stage module only then). `JobSpecBase.stage_specs()`
lists the job's stages in the order candidates pass them. Adding a stage kind is its
module under service/pipeline/ (spec Struct + stage class), and one field here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid

if TYPE_CHECKING:
    from service.pipeline.stages import Stage

Target = Annotated[int, Meta(ge=1, le=defaults.MAX_TARGET, description="Kept records to make.")]
Concurrency = Annotated[
    int, Meta(ge=1, le=defaults.MAX_JOB_CONCURRENCY, description="In-flight provider requests.")
]
Probability = Annotated[float, Meta(ge=0.0, le=1.0)]
Name = Annotated[str, Meta(min_length=1, max_length=128)]


class Sampling(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Sampling parameters sent to the provider; unset ones take the recipe's defaults."""

    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Probability | None = None
    max_tokens: Annotated[int, Meta(ge=1, le=32768)] | None = None
    presence_penalty: Annotated[float, Meta(ge=-2.0, le=2.0)] | None = None
    frequency_penalty: Annotated[float, Meta(ge=-2.0, le=2.0)] | None = None
    seed: int | None = None

    def over(self, base: dict) -> dict:
        """The recipe's defaults `base` overridden by what the job set."""
        merged = dict(base)
        merged.update(msgspec.to_builtins(self))
        return merged


class GeneratorRef(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A model at a provider configured on the server; jobs never pass URLs or keys."""

    provider: Name
    model: Name | None = None
    sampling: Sampling = msgspec.field(default_factory=Sampling)


class StageSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The spec of one stage kind (a JobSpecBase field)."""

    def check(self, env: Any) -> None:
        """Raise InvalidSpec for what cannot run here (env: providers and settings)."""

    def build(self, ctx: Any) -> "Stage":
        """The stage, for one job run (`ctx`: the run's RecipeContext)."""
        raise NotImplementedError


class Filters(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Quality filters on the text a recipe proposes, before a record is kept."""

    min_words: Annotated[int, Meta(ge=0)] = 1
    max_words: Annotated[int, Meta(ge=1)] = 4000
    min_chars: Annotated[int, Meta(ge=0)] = 0
    max_chars: Annotated[int, Meta(ge=1)] = 100_000
    drop_truncated: bool = True
    drop_refusals: bool = True
    refusal_phrases: list[Annotated[str, Meta(min_length=2)]] = []
    languages: Annotated[
        list[Annotated[str, Meta(pattern="^[a-z]{2}$")]],
        Meta(description="ISO 639-1 codes to keep (e.g. ['en']); empty keeps any language."),
    ] = []
    max_char_run: Annotated[int, Meta(ge=2, description="A character repeated more times in a row is garbage.")] = 20
    max_word_repeat: Annotated[
        int, Meta(ge=2, description="A word or 2-gram repeated more times in a row is a generation loop.")
    ] = 8
    max_sentence_repeat: Annotated[int, Meta(ge=1, description=(
        "A sentence of 6+ words (outside code blocks) appearing more times than this is a loop."))] = 2
    max_repeated_ngram_fraction: Annotated[float, Meta(gt=0, le=1, description=(
        "Reject when more than this share of the words lies in 10-word sequences that occur twice or more "
        "(a long loop); 1 turns the check off."))] = 0.3

    def check(self, env: Any) -> None:
        if self.min_words > self.max_words:
            raise invalid("filters.min_words", "min_words exceeds max_words", self.min_words)

    def build(self, ctx: Any) -> "Stage":
        from service.pipeline.stages import ResponseFilter

        return ResponseFilter(self)


class JudgeSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """LLM-as-judge pass: score every candidate, keep those at or above min_score."""

    generator: GeneratorRef | None = None
    rubric: Annotated[str, Meta(
        min_length=1, max_length=20_000,
        description="'additive5' (default), or a prompt with {prompt} and {response} asking for a closing 'Score: N'.",
    )] = "additive5"
    min_score: Annotated[float, Meta(ge=0, le=100)] = 3.0
    repeats: Annotated[int, Meta(ge=1, le=10)] = 1
    max_retries: Annotated[int, Meta(ge=0, le=10)] = 2

    def check(self, env: Any) -> None:
        # The judge's generator is checked with the job's other generators (and licences).
        if self.rubric != "additive5" and ("{prompt}" not in self.rubric or "{response}" not in self.rubric):
            raise invalid("judge.rubric", "a custom rubric must contain {prompt} and {response}")

    def build(self, ctx: Any) -> "Stage":
        from service.pipeline.judge import JudgeStage

        return JudgeStage(self, ctx)


class MinHashDedup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    threshold: Probability = 0.8
    num_perm: Annotated[int, Meta(ge=16, le=512)] = 128
    ngram: Annotated[int, Meta(ge=1, le=10)] = 3


class EmbeddingDedup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    threshold: Annotated[
        float, Meta(ge=0.0, le=1.0, description="Cosine similarity at or above which a candidate is a near-duplicate.")
    ] = 0.9
    scope: Literal["job", "collection"] = "job"
    collection: Annotated[
        str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", description="With scope 'collection': a collection shared by the tenant's jobs.")
    ] | None = None


class DedupSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Drop duplicates: exact (normalised hash), MinHash, and embedding near-duplicates."""

    field: Literal["prompt", "response", "both"] = "both"
    exact: bool = True
    minhash: MinHashDedup | None = None
    embedding: EmbeddingDedup | None = None

    def check(self, env: Any) -> None:
        e = self.embedding
        if e is not None and e.scope == "collection" and not e.collection:
            raise invalid("dedup.embedding.collection", "scope 'collection' needs a collection name")

    def build(self, ctx: Any) -> "Stage":
        from service.pipeline.dedup import DedupStage

        return DedupStage(self, ctx)


class DecontaminationSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """Remove candidates that overlap benchmark items (n-gram overlap)."""

    benchmarks: Annotated[list[Name], Meta(description="Registered benchmark sets (GET /v1/benchmarks).")] = []
    inline: Annotated[
        dict[Name, Annotated[list[Annotated[str, Meta(min_length=1)]], Meta(min_length=1)]],
        Meta(description="Extra benchmark sets given in the job: name -> items."),
    ] = {}
    mode: Literal["ngram", "coverage"] = "ngram"
    ngram: Annotated[int, Meta(ge=3, le=50, description="n; default 13 in ngram mode, 8 in coverage mode.")] | None = None
    coverage: Annotated[
        float, Meta(ge=0.0, le=1.0, description="coverage mode: fraction of a benchmark item's tokens covered.")
    ] = 0.5
    field: Literal["prompt", "response", "both"] = "prompt"

    def check(self, env: Any) -> None:
        for i, name in enumerate(self.benchmarks):
            if name not in env.settings.benchmark_files:
                raise invalid(f"decontamination.benchmarks[{i}]", f"no benchmark set named {name!r} is registered; "
                              "see GET /v1/benchmarks", name)
        if not self.benchmarks and not self.inline:
            raise invalid("decontamination.benchmarks", "name at least one benchmark set or give one inline")

    def build(self, ctx: Any) -> "Stage":
        from service.pipeline.decontam import DecontaminationStage

        return DecontaminationStage(self, ctx.runtime)


class WeightedGenerator(GeneratorRef, kw_only=True, forbid_unknown_fields=True):
    """A generator in a job's mix, drawn with probability proportional to weight."""

    weight: Annotated[float, Meta(gt=0, le=1e6)] = 1.0


class JobSpecBase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="recipe"):
    """Fields shared by every recipe's job spec."""

    generator: GeneratorRef
    target: Target | None = None
    concurrency: Concurrency = defaults.JOB_CONCURRENCY
    seed: int | None = None
    filters: Filters = msgspec.field(default_factory=Filters)
    metadata: dict[Name, Annotated[str, Meta(max_length=1024)]] = {}
    format: Literal["native", "openai", "sharegpt", "alpaca", "preference"] = "native"
    mix: Annotated[
        list[WeightedGenerator],
        Meta(description="Generators drawn by weight per item, where the recipe supports mixing; `generator` stays the default."),
    ] = []
    min_yield: Annotated[Probability, Meta(
        description="Without a target (input-driven recipes): the fraction of inputs that must give a record "
                    "for the job to succeed; default 0.5.",
    )] | None = None
    judge: JudgeSpec | None = None
    dedup: DedupSpec | None = None
    decontamination: DecontaminationSpec | None = None
    refuse_licences: Annotated[
        list[Name], Meta(description="Refuse the job if any generator or judge carries one of these licence tags.")
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

    @property
    def recipe(self) -> str:
        return str(type(self).__struct_config__.tag)

    def stage_specs(self) -> list[StageSpec]:
        """The job's stages, in the order a candidate passes them."""
        optional = (self.judge, self.dedup, self.decontamination)
        return [self.filters, *(s for s in optional if s is not None)]


def parallelism(spec: JobSpecBase, target: int | None, default: int, maximum: int) -> int:
    """The shards a job runs as: what the spec asks (checked against the server's
    maximum), else the server's default scaled down for a small target (a small job
    stays on one worker)."""
    if spec.parallelism is not None:
        if spec.parallelism > maximum:
            raise invalid("parallelism", f"this server runs a job as at most {maximum} shards", spec.parallelism)
        return spec.parallelism
    n = min(default, maximum)
    if target is not None:
        n = min(n, max(1, target // defaults.RECORDS_PER_SHARD))
    return max(1, n)


def spec_hash(spec: JobSpecBase) -> str:
    """A stable hash of the canonical spec (sorted keys), to compare jobs and spot drift."""
    import hashlib

    canonical = msgspec.json.encode(msgspec.to_builtins(spec), order="sorted")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()
