"""The parts job specs are made of: bounded scalars, generator references and sampling.

Recipe specs (service/recipes/) and stage specs (service/pipeline/: each stage kind's
module holds its spec) build on these; service/domain/specs.py assembles them into
`JobSpecBase`. This module imports nothing of the pipeline, so a stage module can import
it while domain/specs.py imports the stage module's spec class.
"""

from __future__ import annotations

from typing import Annotated, Any

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


class WeightedGenerator(GeneratorRef, kw_only=True, forbid_unknown_fields=True):
    """A generator in a job's mix, drawn with probability proportional to weight."""

    weight: Annotated[float, Meta(gt=0, le=1e6)] = 1.0


class Webhook(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where to tell the caller the job ended: an HMAC-signed POST (Standard Webhooks:
    `webhook-id`, `webhook-timestamp`, `webhook-signature`) when the job succeeds, fails
    or is cancelled, retried with backoff. Only to hosts the operator allows
    (docs/security.md: outbound requests)."""

    url: Annotated[str, Meta(min_length=8, max_length=2048, pattern=r"^https?://",
                             description="An http(s) URL on a host the operator allows")]


class StructuredOutput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A JSON Schema every output must follow: providers that support it get it as
    `response_format` (OpenAI structured outputs, vLLM guided decoding), others in the
    prompt; a `verify` stage with the json_schema verifier checks each output against it."""

    schema: Annotated[dict[str, Any], Meta(max_length=256, description="A JSON Schema (draft 2020-12).")]
    name: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", max_length=64)] = "output"
    strict: bool = True


class Budget(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Hard limits on what one job may spend (docs/costs.md): reaching one stops the job
    like a cancel, its records kept, and fails it `budget-exhausted` naming the limit."""

    max_cost_usd: Annotated[float, Meta(
        gt=0, le=1e9, description="US dollars at the providers file's prices; no request is sent that could "
        "take the job past it (each reserves its worst case first)")] | None = None
    max_tokens: Annotated[int, Meta(
        ge=1, description="Prompt plus answer tokens over every provider call")] | None = None
    max_seconds: Annotated[float, Meta(
        gt=0, le=30 * 86400, description="Wall time from the job's start")] | None = None
