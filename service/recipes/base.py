"""The recipe protocol, and the inputs recipes share (seed tasks, prompt files).

A recipe is one module under service/recipes/ that defines its job spec (a
`JobSpecBase` subclass tagged with the recipe name, holding a `params` Struct), checks
what msgspec cannot (`validate`), and drives a `JobRun` (`run`). Register it in
service/recipes/__init__.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Protocol

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline.run import JobRun
from service.providers.registry import Registry
from service.settings import Settings

SEEDS_DIR = Path(__file__).parent / "seeds"
Text = Annotated[str, Meta(min_length=1, max_length=100_000)]


class Env(msgspec.Struct):
    """What validation may consult: configured providers and registered files."""

    providers: Registry
    settings: Settings


class Recipe(Protocol):
    name: ClassVar[str]
    summary: ClassVar[str]
    Spec: ClassVar[type[JobSpecBase]]
    # True for recipes whose records are preference pairs (format "preference" allowed).
    pairs: ClassVar[bool]
    # True when the recipe calls raw completion (unless its params choose chat mode).
    def needs_raw(self, spec: JobSpecBase) -> bool: ...
    def validate(self, spec: JobSpecBase, env: Env) -> int | None:
        """Raise InvalidSpec for what cannot run; return the effective target."""
        ...
    async def run(self, run: JobRun) -> None: ...


def check_generator(ref: GeneratorRef, env: Env, field: str, *, raw: bool = False) -> None:
    """Raise InvalidSpec unless `ref` names a configured provider/model (able to do raw
    completion when `raw`). Recipes call it for every generator their params name."""
    cfg = env.providers.configs.get(ref.provider)
    if cfg is None:
        raise invalid(f"{field}.provider", f"unknown provider {ref.provider!r}; see GET /v1/providers", ref.provider)
    if ref.model is not None and cfg.models and ref.model not in cfg.models:
        raise invalid(f"{field}.model", f"provider {ref.provider!r} serves {cfg.models}", ref.model)
    if raw and not cfg.supports_raw:
        raise invalid(f"{field}.provider",
                      f"this recipe needs raw completion, which provider {ref.provider!r} does not offer"
                      " (use params.mode='chat' where the recipe has it, or another provider)", ref.provider)


class Instance(msgspec.Struct, forbid_unknown_fields=True):
    input: str = ""
    output: str = ""


class SeedTask(msgspec.Struct, kw_only=True):
    """A human-written task: the Self-Instruct seed format."""

    instruction: Text
    instances: list[Instance] = []
    is_classification: bool = False
    id: str | None = None
    name: str | None = None


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


def prompts_target(spec: JobSpecBase, env: Env, unit: str = "prompts") -> int:
    """For recipes fed a prompt list (`params.prompts` or `params.prompt_file`): check
    exactly one is given and `target` fits, and return the effective target (default:
    one record per prompt)."""
    p = spec.params  # type: ignore[attr-defined]
    if (p.prompts is None) == (p.prompt_file is None):
        raise invalid("params.prompts", "give exactly one of params.prompts and params.prompt_file")
    n = len(load_prompts(p.prompts, p.prompt_file, env.settings, "params"))
    if n == 0:
        raise invalid("params.prompt_file", "the prompt file holds no prompts", p.prompt_file)
    if spec.target is not None and spec.target > n:
        raise invalid("target", f"target {spec.target} exceeds the {n} {unit} given", spec.target)
    return spec.target or n
