"""responses: one filtered response per given prompt (distillation from a teacher).

The simplest recipe and the benchmark workload. Supports the job's generator `mix`:
each prompt draws its generator by weight. The job gives prompts (inline or a
registered file) and an optional system prompt; every prompt is sent once by chat, the
answer passes the job's filters, and the record is {prompt, response, messages}.
A rejected answer is not retried: the prompt's reject says why, so `kept` may end
below the number of prompts: without an explicit target the job succeeds when the
kept share reaches `min_yield`, its note stating the shortfall (pipeline/outcome.py).
With a `verify` stage of `samples` K > 1, each prompt is answered up to K times until an
answer verifies (rejection sampling, pipeline/verify.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase
from service.pipeline.run import DONE, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate
from service.pipeline.verify import sample, sample_params, sampled_target
from service.recipes.base import Env, Recipe, Text, load_prompts, prompts_target, system_turn

DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.7, "max_tokens": 1024}


class ResponsesParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Inputs of a responses job: `prompts` inline or a registered `prompt_file`."""

    prompts: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    prompt_file: Name | None = None
    system_prompt: Annotated[str, Meta(max_length=100_000)] | None = None


class ResponsesJob(JobSpecBase, tag="responses", kw_only=True, forbid_unknown_fields=True):
    """A responses job: one response per prompt."""

    params: ResponsesParams


class Responses(Recipe[ResponsesJob]):
    name = "responses"
    summary = "One filtered response per given prompt (distillation from a teacher)."
    Spec = ResponsesJob
    mixes = True
    samples = True
    structured = True

    def validate(self, spec: ResponsesJob, env: Env) -> int:
        n = prompts_target(spec, env)
        return n if spec.target is not None else sampled_target(spec, n)

    async def run(self, ctx: RecipeContext[ResponsesJob]) -> RunOutcome:
        p = ctx.spec.params
        prompts = load_prompts(p.prompts, p.prompt_file, ctx.env.settings, "params")
        system = system_turn(p.system_prompt)

        async def one(slot: Slot, item: tuple[str, str]) -> None:
            key, prompt = item
            model = ctx.pick(key)
            messages = [*system, {"role": "user", "content": prompt}]
            base = model.sampling(DEFAULT_SAMPLING)
            sent, fmt, schema_via = model.structured(messages)

            async def make(i: int) -> Candidate:
                params = sample_params(base, i)
                c = await model.chat(sent, {**params, **fmt})
                return Candidate(
                    key=key, text=c.text, finish_reason=c.finish_reason, served=c.served(), sampling=params,
                    provenance=model.provenance, prompt=prompt,
                    data={"prompt": prompt, "response": c.text,
                          "messages": [*messages, {"role": "assistant", "content": c.text}],
                          **({"reasoning": c.reasoning} if c.reasoning is not None else {})},
                    annotations={"structured_output": schema_via} if schema_via else {},
                )

            await sample(ctx, slot, make)  # one call, or rejection sampling under `verify.samples`

        await ctx.each(ctx.items(prompts), one)
        return DONE


RECIPE = Responses()
