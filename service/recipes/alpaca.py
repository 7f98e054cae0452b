"""Alpaca (tatsu-lab/stanford_alpaca generate_instruction.py): Self-Instruct in one call
per batch, the model writing instruction, input and output together.

Algorithm (shared/reference/recipes.md section 2):
- The prompt lists the requirements (20 diverse tasks, varied verbs and task types,
  text-only, English, 1-2 sentences, a realistic input of at most 100 words or
  <noinput>, an output under 100 words), then "List of 20 tasks:" and 3 demos drawn
  only from the seed tasks, ending with `###\\n4. Instruction:` for the model to go on.
- Sampling: temperature 1.0, top_p 1.0, max_tokens 3072, stop "\\n20" / "20.".
- Parsing: prepend "4. Instruction:", split on "###", drop the last chunk when the
  response was cut by length; a chunk must split into exactly 7 parts on
  `N. Instruction|Input|Output:`, otherwise it is rejected ("parse"); <noinput> -> "".
- Filters as Self-Instruct without capitalisation, plus video, audio, music,
  flowchart and diagram in the blacklist; ROUGE-L > 0.7 against seeds + accepted.
Deviation: the original's `logit_bias` against <|endoftext|> is GPT-specific and not
sent. `mode="chat"` sends the same prompt as a user message for chat-only providers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase
from service.pipeline.run import RecipeContext, RunOutcome
from service.pipeline.stages import Candidate, Verdict
from service.pipeline.text import ALPACA_BLACKLIST, instruction_reject_reason
from service.providers.base import ProviderError
from service.recipes.base import Env, NoveltyPool, Recipe, SeedTask, load_seeds, rouge_verdict, text_key

SAMPLING: dict[str, Any] = {"temperature": 1.0, "top_p": 1.0, "max_tokens": 3072}
STOP = ["\n20", "20."]

PROMPT_HEAD = """You are asked to come up with a set of 20 varied task instructions. They will be given to a language model, and we will judge how well it completes them.

The requirements:
1. Do not repeat the same verb across instructions, so the set stays diverse.
2. Vary the wording: mix questions with imperative instructions.
3. Vary the kind of task: open-ended generation, classification, editing, brainstorming, reasoning, rewriting, open QA and more.
4. A text-only language model must be able to do the task: no visual or audio output, and no actions in the world such as setting a reminder.
5. Write the instructions in English.
6. Keep each instruction to one or two sentences, imperative or question.
7. Give each task an input when it needs one: a realistic, substantive piece of content of at most 100 words (no bare placeholders). When no input is needed, write "<noinput>".
8. Write an output that is a good answer to the instruction and input, under 100 words.

List of 20 tasks:
"""

_CHUNK = re.compile(r"\d+\.\s+(Instruction|Input|Output):")


class AlpacaParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Alpaca knobs; defaults follow the original code."""

    seeds: Annotated[list[SeedTask], Meta(min_length=3, max_length=100_000)] | None = None
    seed_file: Name | None = None
    mode: Literal["completion", "chat"] = "completion"
    demos: Annotated[int, Meta(ge=1, le=10)] = 3
    rouge_threshold: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.7


class AlpacaJob(JobSpecBase, tag="alpaca", kw_only=True, forbid_unknown_fields=True):
    """An Alpaca job: `target` (instruction, input, output) records."""

    params: AlpacaParams = msgspec.field(default_factory=AlpacaParams)


def demo_block(i: int, seed: SeedTask) -> str:
    inst = seed.instances[0] if seed.instances else None
    inp = inst.input if inst and inst.input else "<noinput>"
    out = inst.output if inst else ""
    return f"###\n{i}. Instruction: {seed.instruction}\n{i}. Input:\n{inp}\n{i}. Output:\n{out}\n"


def build_prompt(demos: list[SeedTask]) -> str:
    body = "".join(demo_block(i, s) for i, s in enumerate(demos, 1))
    return f"{PROMPT_HEAD}{body}###\n{len(demos) + 1}. Instruction:"


def parse(text: str, first_index: int, truncated: bool) -> list[tuple[str, str, str] | str]:
    """Parsed (instruction, input, output) triples; a str in the list is an unparseable chunk."""
    if not re.match(r"\s*\d+\.\s+Instruction:", text):
        text = f"{first_index}. Instruction:" + text
    chunks = text.split("###")
    if truncated:
        chunks = chunks[:-1]
    out: list[tuple[str, str, str] | str] = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        parts = _CHUNK.split(chunk)
        if len(parts) != 7 or [parts[1], parts[3], parts[5]] != ["Instruction", "Input", "Output"]:
            out.append(chunk.strip())
            continue
        inst = re.sub(r"\s+", " ", parts[2]).strip().rstrip(":")
        inp = parts[4].strip()
        inp = "" if inp.lower() == "<noinput>" else inp
        out.append((inst, inp, parts[6].strip()))
    return out


class Alpaca(Recipe[AlpacaJob]):
    name = "alpaca"
    summary = "Instruction, input and output generated together from 3 seed demos (Alpaca)."
    Spec = AlpacaJob
    raw_completion = "when params.mode is 'completion'"
    shared_state = ("the accepted instructions (the ROUGE-L novelty pool): the job's shared list 'accepted'",)
    mixes = True  # per request: one call writes a batch of records

    def needs_raw(self, spec: AlpacaJob) -> bool:
        return spec.params.mode == "completion"

    def validate(self, spec: AlpacaJob, env: Env) -> int:
        if spec.target is None:
            raise invalid("target", "target is required for alpaca")
        seeds = load_seeds(spec.params.seeds, spec.params.seed_file, env.settings, "params")
        if len(seeds) < spec.params.demos:
            raise invalid("params.seeds", f"need at least {spec.params.demos} seed tasks", len(seeds))
        return spec.target

    async def run(self, ctx: RecipeContext[AlpacaJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        seeds = load_seeds(p.seeds, p.seed_file, ctx.env.settings, "params")
        pool = NoveltyPool(ctx, [s.instruction for s in seeds], p.rouge_threshold)
        await pool.load()

        async def lane() -> None:
            while not ctx.stopped and not ctx.full and ctx.budget_left():
                demos = ctx.rng.sample(seeds, p.demos)
                prompt = build_prompt(demos)
                model = ctx.pick(text_key("b", prompt))  # the mix, drawn per request
                params = model.sampling(SAMPLING) | {"stop": STOP}
                try:
                    if p.mode == "completion":
                        c = await model.complete(prompt, params)
                    else:
                        c = await model.chat([{"role": "user", "content": prompt}], params)
                except ProviderError:
                    continue
                for item in parse(c.text, p.demos + 1, c.finish_reason == "length"):
                    if isinstance(item, str):
                        await ctx.reject(text_key("c", item), Verdict("parse", "parse", "chunk lacks Instruction/Input/Output"), {"chunk": item[:2000]})
                        continue
                    inst, inp, out = item
                    reason = instruction_reject_reason(inst, ALPACA_BLACKLIST) if inst else "parse"
                    if reason:
                        await ctx.reject(text_key("x", inst), Verdict("filter", reason), {"instruction": inst, "input": inp, "output": out})
                        continue
                    check = pool.check(inst)
                    if not pool.novel(check):
                        await ctx.reject(text_key("x", inst), rouge_verdict(check, p.rouge_threshold),
                                         {"instruction": inst, "most_similar_instructions": dict(list(check.top.items())[:3])})
                        continue
                    slot = await ctx.slot()
                    if slot is None:
                        return
                    async with slot:
                        check = await pool.admit(inst, check)
                        if not pool.novel(check):
                            await slot.reject(text_key("x", inst), rouge_verdict(check, p.rouge_threshold),
                                              {"instruction": inst,
                                               "most_similar_instructions": dict(list(check.top.items())[:3])})
                            continue
                        await slot.offer(Candidate(
                            key=text_key("i", inst), text=out, sampling=params, finish_reason=c.finish_reason, served=c.served(),
                            provenance=model.provenance,
                            data={"instruction": inst, "input": inp, "output": out,
                                  "most_similar_instructions": check.top,
                                  "avg_similarity_score": round(check.avg, 4)},
                        ))

        return await ctx.fill(lane)


RECIPE = Alpaca()
