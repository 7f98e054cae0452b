"""reasoning: verified reasoning traces distilled from a teacher (OpenR1, OpenThoughts).

The job gives items, each a prompt with a reference answer (`answer`) or unit tests
(`tests`, Python asserts), inline or as a registered JSONL file (`item_file`, a name in
SYNTHGEN_PROMPT_FILES whose lines are {"prompt", "answer"|"tests"}). Each prompt goes to
the teacher with an instruction for the final form (OpenR1's "Please reason step by
step, and put your final answer within \\boxed{}." for answers; a ```python block for
tests); the teacher's thinking (`reasoning_content`, or a `<think>` block) is kept in
the record's `reasoning` field and its answer in `response`, which the job's `verify`
stage checks against the item (the `math` verifier for answers, `code` for tests,
`exact` or `regex` for simple tasks). A `verify` stage is required: an unverified trace
is what the responses recipe makes. With `verify.samples` K > 1 each item is tried up to
K times until a trace verifies (rejection sampling, pipeline/verify.py); the job's
`verification.pass_at_k` is the teacher's pass@k on the items.

Records: {prompt, reasoning, response, reference | tests, messages} (the messages hold
the final answer; the thinking stays in `reasoning`). Items are independent and keyed
by their index (`p0042`), so the job shards like responses.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service import defaults
from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase
from service.pipeline.run import DONE, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate
from service.pipeline.verify import sample, sample_params, sampled_target
from service.recipes.base import Env, Recipe, Text, system_turn

DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.6, "max_tokens": 4096}  # R1's recommended temperature
ANSWER_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
CODE_INSTRUCTION = ("Think the problem through, then give your complete solution as Python code in one "
                    "```python block.")


class ReasoningItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A prompt and what checks its answer: a reference `answer` or Python `tests`."""

    prompt: Text
    answer: Annotated[str, Meta(min_length=1, max_length=10_000)] | None = None
    tests: Annotated[str, Meta(min_length=1, max_length=defaults.MAX_TEXT_CHARS)] | None = None


class ReasoningParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Inputs of a reasoning job: `items` inline or a registered `item_file`."""

    items: Annotated[list[ReasoningItem], Meta(min_length=1, max_length=1_000_000)] | None = None
    item_file: Name | None = None
    system_prompt: Annotated[str, Meta(max_length=100_000)] | None = None
    instruction: Annotated[str, Meta(max_length=10_000, description=(
        "Appended to each prompt; default: OpenR1's \\boxed{} instruction for items with an answer, "
        "a ```python block for items with tests. An empty string sends the prompt alone."))] | None = None


class ReasoningJob(JobSpecBase, tag="reasoning", kw_only=True, forbid_unknown_fields=True):
    """A reasoning job: one verified trace per item."""

    params: ReasoningParams


def load_items(p: ReasoningParams, env: Env | Any) -> list[ReasoningItem]:
    if p.items is not None:
        return p.items
    files = env.settings.prompt_files
    if not p.item_file or p.item_file not in files:
        raise invalid("params.item_file", f"no prompt file named {p.item_file!r} is registered", p.item_file)
    from pathlib import Path

    dec = msgspec.json.Decoder(ReasoningItem)
    try:
        return [dec.decode(line) for line in Path(files[p.item_file]).read_bytes().splitlines() if line.strip()]
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise invalid("params.item_file", f"a line of {p.item_file!r} is not a reasoning item: {exc}") from None


class Reasoning(Recipe[ReasoningJob]):
    name = "reasoning"
    summary = "Verified reasoning traces: a teacher's thinking and answer per item, kept when the answer checks out."
    Spec = ReasoningJob
    mixes = True
    samples = True

    def validate(self, spec: ReasoningJob, env: Env) -> int:
        p = spec.params
        if (p.items is None) == (p.item_file is None):
            raise invalid("params.items", "give exactly one of params.items and params.item_file")
        if spec.verify is None:
            raise invalid("verify", "a reasoning job needs a verify stage, e.g. {\"verifier\": {\"kind\": \"math\"}} "
                          "for items with answers or {\"kind\": \"code\"} for items with tests")
        items = load_items(p, env)
        for i, item in enumerate(items):
            if (item.answer is None) == (item.tests is None):
                raise invalid(f"params.items[{i}]", "an item has exactly one of answer and tests")
        if spec.target is not None and spec.target > len(items):
            raise invalid("target", f"target {spec.target} exceeds the {len(items)} items given", spec.target)
        return spec.target or sampled_target(spec, len(items))

    async def run(self, ctx: RecipeContext[ReasoningJob]) -> RunOutcome:
        p = ctx.spec.params
        items = load_items(p, ctx.env)
        system = system_turn(p.system_prompt)

        async def one(slot: Slot, entry: tuple[str, ReasoningItem]) -> None:
            key, item = entry
            model = ctx.pick(key)
            instruction = p.instruction if p.instruction is not None else (
                ANSWER_INSTRUCTION if item.answer is not None else CODE_INSTRUCTION)
            content = f"{item.prompt}\n\n{instruction}" if instruction else item.prompt
            messages = [*system, {"role": "user", "content": content}]
            check = {"reference": item.answer} if item.answer is not None else {"tests": item.tests}
            base = model.sampling(DEFAULT_SAMPLING)

            async def make(i: int) -> Candidate:
                params = sample_params(base, i)
                c = await model.chat(messages, params)
                return Candidate(
                    key=key, text=c.text, finish_reason=c.finish_reason, served=c.served(), sampling=params,
                    provenance=model.provenance, prompt=item.prompt,
                    data={"prompt": item.prompt, "reasoning": c.reasoning or "", "response": c.text, **check,
                          "messages": [*messages, {"role": "assistant", "content": c.text}]},
                )

            await sample(ctx, slot, make)

        await ctx.each(ctx.items(items), one)
        return DONE


RECIPE = Reasoning()
