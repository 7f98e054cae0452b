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
import os
import time
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Iterator, Literal, Protocol, Sequence, overload

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import GeneratorRef, JobSpecBase, deadline_time
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
        if isinstance(spec.deadline, str):
            try:
                when = deadline_time(spec.deadline)
            except ValueError as exc:
                raise invalid("deadline", str(exc), spec.deadline) from None
            if when.timestamp() <= time.time():
                raise invalid("deadline", "the deadline has passed", spec.deadline)
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


_prompt_line = msgspec.json.Decoder(_PromptLine)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, line) of each non-blank line of `path`, its end of line cut, read a block
    at a time (a prompt file of a million lines is never all in memory)."""
    offset, rest = 0, b""
    with path.open("rb") as f:
        while block := f.read(defaults.READ_BLOCK_BYTES):
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if line.strip():
                    yield offset, line.rstrip(b"\r")
                offset += len(line) + 1
    if rest.strip():
        yield offset, rest.rstrip(b"\r")


class PromptFile(Sequence[str]):
    """The prompts of a registered file (JSONL objects with `prompt`, or text lines),
    read from disk when they are asked for: the file's line offsets are held (12 bytes
    a prompt), not its prompts, so a worker running a job over a million prompts holds
    what its chunks in flight need (the whole list was ~170 MB)."""

    def __init__(self, path: Path):
        self._fd: int | None = None
        self.path = path
        self._jsonl = path.suffix in (".jsonl", ".ndjson")
        self._starts, self._sizes = array("q"), array("i")
        for offset, line in _lines(path):
            self._starts.append(offset)
            self._sizes.append(len(line))

    def _decode(self, line: bytes) -> str:
        return _prompt_line.decode(line).prompt if self._jsonl else line.decode()

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._decode(os.pread(self._fd, self._sizes[i], self._starts[i]))

    def __iter__(self) -> Iterator[str]:
        return (self._decode(line) for _, line in _lines(self.path))

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def _prompt_path(name: str | None, settings: Settings, field: str) -> Path:
    if not name or name not in settings.prompt_files:
        raise invalid(f"{field}.prompt_file", f"no prompt file named {name!r} is registered", name)
    return Path(settings.prompt_files[name])


def load_prompts(inline: list[str] | None, name: str | None, settings: Settings, field: str) -> Sequence[str]:
    """Inline prompts, or a registered file's (a `PromptFile`, read as needed)."""
    if inline is not None:
        return inline
    return PromptFile(_prompt_path(name, settings, field))


def count_prompts(inline: list[str] | None, name: str | None, settings: Settings, field: str) -> int:
    """How many prompts `load_prompts` would give, checked (each JSONL line decodes)
    in one streaming pass: the API's check of a submit holds no prompt list."""
    if inline is not None:
        return len(inline)
    path = _prompt_path(name, settings, field)
    jsonl, n = path.suffix in (".jsonl", ".ndjson"), 0
    for _, line in _lines(path):
        if jsonl:
            try:
                _prompt_line.decode(line)
            except msgspec.DecodeError as exc:
                raise invalid(f"{field}.prompt_file", f"prompt file {name!r}, line {n + 1}: {exc}", name) from None
        n += 1
    return n


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
    n = count_prompts(p.prompts, p.prompt_file, env.settings, "params")
    if n == 0:
        raise invalid("params.prompt_file", "the prompt file holds no prompts", p.prompt_file)
    if spec.target is not None and spec.target > n:
        raise invalid("target", f"target {spec.target} exceeds the {n} {unit} given", spec.target)
    return spec.target or n
