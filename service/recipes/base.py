"""The recipe base class, and the inputs recipes share (seed tasks, prompt files).

A recipe is one module under service/recipes/ that defines its job spec (a
`JobSpecBase` subclass tagged with the recipe name, holding a `params` Struct), a
`Recipe[ThatSpec]` subclass that checks what msgspec cannot (`validate`) and drives a
`RecipeContext[ThatSpec]` (`run`, returning a `RunOutcome`), and `RECIPE = ThatRecipe()`.
Register it with one line in service/recipes/__init__.py and document it in
docs/recipes.md (tests/test_registries.py checks both). Its first test is an
in-process one: service/testing/harness.py runs it against a scripted provider and
the real test Redis.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Literal, Protocol

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline.run import RecipeContext, RunOutcome, SpecT
from service.pipeline.stages import Verdict
from service.pipeline.text import RougePool
from service.settings import Settings

if TYPE_CHECKING:  # the registry imports the provider kinds' HTTP clients; decoding a spec needs none
    from service.providers.registry import Registry

SEEDS_DIR = Path(__file__).parent / "seeds"
Text = Annotated[str, Meta(min_length=1, max_length=defaults.MAX_TEXT_CHARS)]


class Env(msgspec.Struct):
    """What validation may consult: configured providers and registered files."""

    providers: Registry
    settings: Settings
    tenant: str | None = None  # whose job: providers reserved for other tenants are unknown to it


RawUse = Literal["never", "always", "when params.mode is 'completion'"]


class Recipe(Generic[SpecT]):
    """A recipe: its catalogue entry, its spec type, and how it checks and runs a job.

    The defaults are what most recipes want: records are not preference pairs, the
    recipe never needs raw completion, and the effective target is the spec's.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    Spec: ClassVar[type[JobSpecBase]]
    # True for recipes whose records are preference pairs (format "preference" allowed).
    pairs: ClassVar[bool] = False
    # When the recipe calls raw completion (GET /v1/recipes says so; needs_raw decides per spec).
    raw_completion: ClassVar[RawUse] = "never"
    # State shared between a job's items beyond the spec and the item's key, and where it
    # lives so every shard sees it (empty: items are independent; see pipeline/run.py).
    shared_state: ClassVar[tuple[str, ...]] = ()
    # True when the job's `mix` is honoured: each item draws its generator by weight
    # (RecipeContext.pick). Otherwise a spec with a mix is refused naming `mix`, for
    # the reason in `mixes_not`.
    mixes: ClassVar[bool] = False
    mixes_not: ClassVar[str] = ""
    # True when the recipe draws its candidates through pipeline/verify.py's `sample`, so
    # `verify.samples` > 1 means rejection sampling; elsewhere verify is a plain stage and
    # a spec asking for samples is refused naming `verify.samples`.
    samples: ClassVar[bool] = False
    # True when the recipe sends the job's `structured_output` schema with its outputs'
    # requests (Model.structured); elsewhere such a spec is refused naming the field.
    structured: ClassVar[bool] = False

    def needs_raw(self, spec: SpecT) -> bool:
        """True when this spec calls raw completion (its generator must offer it); a
        recipe whose `raw_completion` depends on its params overrides this."""
        return self.raw_completion == "always"

    def validate(self, spec: SpecT, env: Env) -> int | None:
        """Raise InvalidSpec for what cannot run; return the effective target."""
        return spec.target

    def check(self, spec: SpecT, env: Env) -> int | None:
        """Everything a job is checked for beyond what msgspec decodes, in this order
        (POST /v1/jobs and the test harness both call it): the generators it names, its
        own and its stages' (raw completion where this spec needs it), and their
        licences, each stage's own check,
        the rules across fields (mix, min_yield, format), the server's bound on
        `parallelism`, then the recipe's `validate`.
        Raises InvalidSpec naming the field; returns the effective target."""
        raw_needed = self.needs_raw(spec)
        check_generator(spec.generator, env, "generator", raw=raw_needed)
        refs = [("generator", spec.generator)]
        for i, g in enumerate(spec.mix):
            check_generator(g, env, f"mix[{i}]", raw=raw_needed)
            refs.append((f"mix[{i}]", g))
        for stage in spec.stage_specs():
            for field, ref in stage.generators():
                check_generator(ref, env, field)
                refs.append((field, ref))
        for field, ref in refs:
            licence = env.providers.configs[ref.provider].licence
            if licence in spec.refuse_licences:
                raise invalid(f"{field}.provider", f"provider {ref.provider!r} carries licence {licence!r}, "
                              "which this job refuses (refuse_licences)", ref.provider)
        for stage in spec.stage_specs():
            stage.check(env)
        if spec.structured_output is not None and not self.structured:
            raise invalid("structured_output", f"recipe {spec.recipe} does not send a schema with its requests "
                          "(structured outputs: responses)")
        if spec.structured_output is not None:
            from service.pipeline.verifiers import schema_error

            if err := schema_error(spec.structured_output.schema):
                raise invalid("structured_output.schema", f"not a valid JSON Schema: {err}")
        if spec.verify is not None and spec.verify.samples > 1 and not self.samples:
            raise invalid("verify.samples", f"recipe {spec.recipe} verifies its candidates but does not resample "
                          "them (rejection sampling: responses, reasoning)", spec.verify.samples)
        if spec.verify is not None and spec.verify.needs_job_schema() and spec.structured_output is None:
            raise invalid("verify.verifier.schema", "the json_schema verifier needs a schema: give one here "
                          "or in the job's structured_output")
        if spec.budget is not None and spec.budget.max_cost_usd is not None:
            for field, ref in refs:  # a cost budget on a model without a price could not hold
                model = ref.model or env.providers.default_model(ref.provider)
                if env.providers.price(ref.provider, model) is None:
                    raise invalid("budget.max_cost_usd", f"{field} {ref.provider}/{model} has no price in the "
                                  "providers file, so a cost budget cannot be kept (docs/costs.md)",
                                  spec.budget.max_cost_usd)
        if isinstance(spec.deadline, datetime):
            if spec.deadline.tzinfo is None:
                raise invalid("deadline", "a deadline time needs its zone (e.g. 2027-01-02T00:00:00Z)",
                              spec.deadline.isoformat())
            if spec.deadline.timestamp() <= time.time():
                raise invalid("deadline", "the deadline has passed", spec.deadline.isoformat())
        if spec.mix and not self.mixes:
            raise invalid("mix", f"recipe {spec.recipe} cannot draw its generator per item: "
                          f"{self.mixes_not or 'it has no single generator role'}")
        if spec.min_yield is not None and spec.target is not None:
            raise invalid("min_yield", "min_yield applies to jobs without a target; with a target, "
                          "the job fails unless it keeps exactly target records", spec.min_yield)
        if spec.format == "preference" and not self.pairs:
            raise invalid("format", f"recipe {spec.recipe} makes no preference pairs", spec.format)
        if spec.parallelism is not None and spec.parallelism > env.settings.max_parallelism:
            raise invalid("parallelism", f"this server runs a job as at most {env.settings.max_parallelism} shards",
                          spec.parallelism)
        return self.validate(spec, env)

    async def run(self, ctx: RecipeContext[SpecT]) -> RunOutcome:
        raise NotImplementedError


def system_turn(text: str | None) -> list[dict[str, str]]:
    """The chat's system message, or none for an unset/empty system prompt."""
    return [{"role": "system", "content": text}] if text else []


def text_key(prefix: str, text: str) -> str:
    """A content-derived item key. Prefixes keep outcomes apart: "i" is an accepted
    instruction (record, or its later reject), "x" a candidate filtered out before
    acceptance (a duplicate of an accepted one must not collide with its record)."""
    return prefix + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def check_generator(ref: GeneratorRef, env: Env, field: str, *, raw: bool = False) -> None:
    """Raise InvalidSpec unless `ref` names a configured provider/model (able to do raw
    completion when `raw`). Recipes call it for every generator their params name."""
    cfg = env.providers.configs.get(ref.provider)
    if cfg is None or not cfg.usable_by(env.tenant):
        raise invalid(f"{field}.provider", f"unknown provider {ref.provider!r}; see GET /v1/providers", ref.provider)
    if ref.model is not None and cfg.models and ref.model not in cfg.models:
        raise invalid(f"{field}.model", f"provider {ref.provider!r} serves {cfg.models}", ref.model)
    if raw and not cfg.supports_raw:
        raise invalid(f"{field}.provider",
                      f"this recipe needs raw completion, which provider {ref.provider!r} does not offer"
                      " (use params.mode='chat' where the recipe has it, or another provider)", ref.provider)


class Novelty(msgspec.Struct, frozen=True):
    """One ROUGE-L check of a candidate: the pool size it was made against (`seen`
    accepted instructions), the best score, the top matches and the mean."""

    seen: int
    best: float
    top: dict[str, float]
    avg: float


class NoveltyPool:
    """Self-Instruct's novelty rule for the whole job (Alpaca's too): a candidate is
    novel when its ROUGE-L F against the seeds and every instruction accepted so far,
    by any shard, is at most `threshold`. The accepted instructions are the job's
    shared list "accepted" (RecipeContext.shared_list), so two shards can never both
    accept near-duplicates: an acceptance is an append that fails when anything was
    accepted since the check, and the candidate is checked again against that."""

    def __init__(self, ctx: RecipeContext[Any], seeds: list[str], threshold: float):
        self.rouge = RougePool(seeds)
        self.accepted = ctx.shared_list("accepted", on_add=self.rouge.add)
        self.threshold = threshold

    async def load(self) -> None:
        """Read what was accepted before (other shards, earlier runs)."""
        await self.accepted.sync()

    @property
    def machine(self) -> list[str]:
        """The accepted instructions, in acceptance order (the machine-written demos)."""
        return self.accepted.items

    def check(self, text: str) -> Novelty:
        best, top, avg = self.rouge.nearest(text)
        return Novelty(len(self.accepted.items), best, top, avg)

    def novel(self, n: Novelty) -> bool:
        return n.best <= self.threshold

    async def admit(self, text: str, first: Novelty) -> Novelty:
        """Accept `text`, novel at check `first`; the check it was accepted on, or the
        one that found it no longer novel (accepted by none: check `novel()`)."""
        n = first
        while self.novel(n):
            if await self.accepted.append(text, n.seen):
                return n
            n = self.check(text)  # others accepted first: measure against them too
        return n


def rouge_verdict(n: Novelty, threshold: float) -> Verdict:
    """The reject of a candidate too close to an accepted instruction or a seed."""
    return Verdict("novelty", "rouge", f"ROUGE-L {n.best:.3f} > {threshold}")


class Instance(msgspec.Struct, forbid_unknown_fields=True):
    input: Annotated[str, Meta(max_length=defaults.MAX_TEXT_CHARS)] = ""
    output: Annotated[str, Meta(max_length=defaults.MAX_TEXT_CHARS)] = ""


class SeedTask(msgspec.Struct, kw_only=True):
    """A human-written task: the Self-Instruct seed format."""

    instruction: Text
    instances: Annotated[list[Instance], Meta(max_length=defaults.MAX_SEED_INSTANCES)] = []
    is_classification: bool = False
    id: Name | None = None
    name: Name | None = None


def seed_path(name: str, settings: Settings) -> Path | None:
    if name in settings.seed_files:
        return Path(settings.seed_files[name])
    if name == "default":
        return SEEDS_DIR / "default.jsonl"
    return None


def load_seeds(inline: list[SeedTask] | None, name: str | None, settings: Settings, field: str) -> list[SeedTask]:
    if inline:
        return inline
    path = seed_path(name or "default", settings)
    if path is None:
        raise invalid(f"{field}.seed_file", f"no seed file named {name!r} is registered", name)
    dec = msgspec.json.Decoder(SeedTask)
    return [dec.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


class _PromptLine(msgspec.Struct):
    prompt: str


def load_prompts(inline: list[str] | None, name: str | None, settings: Settings, field: str) -> list[str]:
    """Inline prompts, or a registered file: JSONL objects with `prompt`, or text lines."""
    if inline is not None:
        return inline
    if not name or name not in settings.prompt_files:
        raise invalid(f"{field}.prompt_file", f"no prompt file named {name!r} is registered", name)
    path = Path(settings.prompt_files[name])
    lines = [ln for ln in path.read_bytes().splitlines() if ln.strip()]
    if path.suffix in (".jsonl", ".ndjson"):
        dec = msgspec.json.Decoder(_PromptLine)
        return [dec.decode(ln).prompt for ln in lines]
    return [ln.decode() for ln in lines]


class PromptListParams(Protocol):
    """Params of a recipe fed a prompt list: inline `prompts` or a registered `prompt_file`."""

    @property
    def prompts(self) -> list[str] | None: ...
    @property
    def prompt_file(self) -> str | None: ...


class PromptListSpec(Protocol):
    @property
    def params(self) -> PromptListParams: ...
    @property
    def target(self) -> int | None: ...


def prompts_target(spec: PromptListSpec, env: Env, unit: str = "prompts") -> int:
    """For recipes fed a prompt list (`params.prompts` or `params.prompt_file`): check
    exactly one is given and `target` fits, and return the effective target (default:
    one record per prompt)."""
    p = spec.params
    if (p.prompts is None) == (p.prompt_file is None):
        raise invalid("params.prompts", "give exactly one of params.prompts and params.prompt_file")
    n = len(load_prompts(p.prompts, p.prompt_file, env.settings, "params"))
    if n == 0:
        raise invalid("params.prompt_file", "the prompt file holds no prompts", p.prompt_file)
    if spec.target is not None and spec.target > n:
        raise invalid("target", f"target {spec.target} exceeds the {n} {unit} given", spec.target)
    return spec.target or n
