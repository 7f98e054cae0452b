"""The parts of a job spec every recipe shares.

A recipe's own spec subclasses `JobSpecBase` with `tag=<recipe name>` and a
`params` field; the API decodes the tagged union of all registered recipes, so an
unknown recipe or a wrong type is reported by msgspec with the offending path.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service import defaults

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


class Filters(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Response filters applied before a record is kept."""

    min_words: Annotated[int, Meta(ge=0)] = 1
    max_words: Annotated[int, Meta(ge=1)] = 4000
    drop_truncated: bool = True
    drop_refusals: bool = True
    refusal_phrases: list[Annotated[str, Meta(min_length=2)]] = []


class JobSpecBase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="recipe"):
    """Fields shared by every recipe's job spec."""

    generator: GeneratorRef
    target: Target | None = None
    concurrency: Concurrency = defaults.JOB_CONCURRENCY
    seed: int | None = None
    filters: Filters = msgspec.field(default_factory=Filters)
    metadata: dict[Name, Annotated[str, Meta(max_length=1024)]] = {}
    format: Literal["native", "openai", "sharegpt", "alpaca", "preference"] = "native"

    @property
    def recipe(self) -> str:
        return type(self).__struct_config__.tag  # type: ignore[return-value]


def spec_hash(spec: JobSpecBase) -> str:
    """A stable hash of the canonical spec (sorted keys), to compare jobs and spot drift."""
    import hashlib

    canonical = msgspec.json.encode(msgspec.to_builtins(spec), order="sorted")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()
