"""Self-Instruct (Wang et al. 2022, yizhongw/self-instruct): bootstrap new task
instructions from seed tasks, then generate input/output instances for each.

Algorithm (shared/reference/recipes.md section 1):
1. Prompt with 8 demos, `min(2, |machine pool|)` accepted instructions plus seeds,
   shuffled, as a numbered list the model continues by raw completion (stop at
   "\\n\\n" or item 16). A response cut by max_tokens is dropped whole.
2. Split on `\\n<number>. `, collapse whitespace; drop: <= 3 or > 150 words, blacklisted
   words (image, graph, file, map, draw, plot, "go to"...), "Write a program" prefix,
   a leading punctuation or non-ASCII character.
3. Novelty: ROUGE-L F against seeds + accepted; rejected when max > 0.7 (the code's
   rule; the paper says keep < 0.7, so exactly 0.7 is kept here). Accepted items join
   the pool at once, so later candidates of the same batch are compared to them.
4. Is it classification? (few-shot, temperature 0, 3 tokens).
5. Instances: output-first template for classification, input-first otherwise
   (temperature 0, stop "Example 6"/"Task:"), cleaned as the original's step 4:
   the last instance is dropped when cut by length; input == output, empty output or a
   field ending in ":" are dropped; one input with two outputs drops the task.

Deviations, each a parameter: `capitalize` defaults to "first" (upper-case the first
letter only) because the original's str.capitalize() lowercases proper nouns; set
"python" for the original. `mode="chat"` serves chat-only providers: the same list
is sent as a user message with an instruction to continue it (SmolLM2 does this
poorly; raw completion is the default). top_p 0 for instances is left out (temperature
0 is already greedy, and some servers reject top_p 0).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase
from service.pipeline.run import Model, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate, Verdict
from service.pipeline.text import SELF_INSTRUCT_BLACKLIST, instruction_reject_reason
from service.providers.base import Completion, ProviderError
from service.recipes.base import (
    SEEDS_DIR,
    Env,
    Instance,
    NoveltyPool,
    Recipe,
    SeedTask,
    load_seeds,
    rouge_verdict,
    text_key,
)

BOOTSTRAP_SAMPLING: dict[str, Any] = {
    "temperature": 0.7, "top_p": 0.5, "max_tokens": 1024,
    "presence_penalty": 2.0, "frequency_penalty": 0.0,
}
BOOTSTRAP_STOP = ["\n\n", "\n16", "16.", "16 ."]
CLF_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 3}
INSTANCE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "presence_penalty": 1.5}
INSTANCE_STOP = ["Example 6", "Task:"]

HEADER = "Come up with a list of varied tasks:\n"
HEADER_CLF = "Come up with a list of classification tasks, naming the possible output labels of each:\n"
CHAT_TAIL = (
    "\n\nContinue this list with new, different tasks, numbered from {n} to 15, "
    "one task per line, with nothing else."
)
CLF_HEADER = (
    "Decide whether each task is a classification task, one whose answer is one of a "
    "small, fixed set of labels.\n\n"
)
INPUT_FIRST_HEADER = (
    "Write examples for each task below. When a task needs an input, write the input "
    "first and then the output; when it needs none, write the output directly. Give "
    "several examples when the task allows it.\n\n"
)
OUTPUT_FIRST_HEADER = (
    "Each task below is a classification task. For each possible class label, write the "
    "label first and then an input that belongs to it.\n\n"
)

_SPLIT = re.compile(r"\n\d+\s?\. ")
_LEAD_NUM = re.compile(r"^\s*\d+\s?\.\s*")
_WS = re.compile(r"\s+")


class SelfInstructParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Self-Instruct knobs; defaults follow the original code."""

    seeds: Annotated[list[SeedTask], Meta(min_length=1, max_length=100_000)] | None = None
    seed_file: Name | None = None
    mode: Literal["completion", "chat"] = "completion"
    demos: Annotated[int, Meta(ge=1, le=32)] = 8
    machine_demos: Annotated[int, Meta(ge=0, le=32)] = 2
    rouge_threshold: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.7
    classification_only: bool = False
    instances: bool = True
    max_instances: Annotated[int, Meta(ge=1, le=20)] = 5
    capitalize: Literal["first", "python"] = "first"


class SelfInstructJob(JobSpecBase, tag="self-instruct", kw_only=True, forbid_unknown_fields=True):
    """A Self-Instruct job: `target` new instructions with instances."""

    params: SelfInstructParams = msgspec.field(default_factory=SelfInstructParams)


def clean(text: str, capitalize: str = "first") -> str:
    text = _WS.sub(" ", text).strip().rstrip(":").strip()
    if not text:
        return text
    return text.capitalize() if capitalize == "python" else text[0].upper() + text[1:]


def bootstrap_prompt(demos: list[str], classification_only: bool = False) -> str:
    lines = [HEADER_CLF if classification_only else HEADER]
    for i, d in enumerate(demos, 1):
        lines.append(f"{i}. {_WS.sub(' ', d).strip().rstrip(':')}\n")
    lines.append(f"{len(demos) + 1}.")
    return "".join(lines)


def parse_bootstrap(text: str, capitalize: str = "first") -> list[str]:
    """The instructions in a continuation of the numbered list."""
    pieces = _SPLIT.split("\n" + text if _LEAD_NUM.match(text) else text)
    out = []
    for piece in pieces:
        piece = _LEAD_NUM.sub("", piece) if _LEAD_NUM.match(piece) else piece
        cleaned = clean(piece, capitalize)
        if cleaned:
            out.append(cleaned)
    return out


def clf_prompt(examples: list[tuple[str, bool]], task: str) -> str:
    shots = "".join(
        f"Task: {t}\nIs it classification? {'Yes' if y else 'No'}\n\n" for t, y in examples
    )
    return f"{CLF_HEADER}{shots}Task: {task}\nIs it classification?"


def _render_instances(instances: list[Instance], output_first: bool) -> str:
    out = []
    for i, inst in enumerate(instances, 1):
        if output_first:
            out.append(f"Class label: {inst.output}\nInput: {inst.input or '(none)'}\n")
        else:
            out.append(f"Example {i}\nInput: {inst.input or '(none)'}\nOutput: {inst.output}\n")
    return "".join(out)


def instance_prompt(demos: list[SeedTask], task: str, output_first: bool) -> str:
    header = OUTPUT_FIRST_HEADER if output_first else INPUT_FIRST_HEADER
    body = "".join(
        f"Task: {d.instruction}\n{_render_instances(d.instances, output_first)}\n" for d in demos
    )
    lead = "Class label:" if output_first else "Example 1\n"
    return f"{header}{body}Task: {task}\n{lead}"


_INST_SPLIT = re.compile(r"Example \d+\s*\n?")
_FIELD = re.compile(r"^(Input|Output|Class label):\s*", re.M)


def parse_instances(text: str, output_first: bool, truncated: bool) -> list[Instance]:
    """Instances in a generation (starting right after the template's lead)."""
    if output_first:
        chunks = ("Class label:" + text).split("Class label:")[1:]
    else:
        chunks = [c for c in _INST_SPLIT.split("Example 1\n" + text) if c.strip()]
    if truncated and chunks:
        chunks = chunks[:-1]
    out = []
    for chunk in chunks:
        if output_first:
            label, _, rest = chunk.partition("\n")
            m = re.search(r"Input:\s*(.*)", rest, re.S)
            inp = m.group(1).strip() if m else ""
            out.append(Instance(input=_none(inp), output=label.strip()))
        else:
            parts = _FIELD.split(chunk)
            fields = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
            if "Output" not in fields:
                continue
            out.append(Instance(input=_none(fields.get("Input", "")), output=fields["Output"]))
    return out


def _none(s: str) -> str:
    return "" if s.strip().lower() in ("(none)", "none", "<noinput>", "n/a") else s.strip()


def clean_instances(instances: list[Instance], limit: int) -> tuple[list[Instance], str | None]:
    """Step 4 of the original: returns (instances, reason when the task gives none)."""
    kept = [
        i for i in instances
        if i.output and i.input != i.output and not i.input.endswith(":") and not i.output.endswith(":")
    ]
    by_input: dict[str, set[str]] = {}
    for i in kept:
        if i.input:
            by_input.setdefault(i.input, set()).add(i.output)
    if any(len(outs) > 1 for outs in by_input.values()):
        return [], "instance_conflict"
    seen, unique = set(), []
    for i in kept:
        if (i.input, i.output) not in seen:
            seen.add((i.input, i.output))
            unique.append(i)
    if not unique:
        return [], "no_instances"
    return unique[:limit], None


class _ClfExample(msgspec.Struct):
    task: str
    is_classification: bool


def clf_examples() -> list[tuple[str, bool]]:
    dec = msgspec.json.Decoder(_ClfExample)
    path = Path(SEEDS_DIR) / "clf_examples.jsonl"
    return [(e.task, e.is_classification) for e in map(dec.decode, path.read_bytes().splitlines()) if e.task]


class SelfInstruct(Recipe[SelfInstructJob]):
    name = "self-instruct"
    summary = "Bootstrap new instructions from seed tasks, then input/output instances (Self-Instruct)."
    Spec = SelfInstructJob
    raw_completion = "when params.mode is 'completion'"
    shared_state = ("the accepted instructions (the ROUGE-L novelty pool): the job's shared list 'accepted'",)
    mixes = True  # per bootstrap prompt (that model also writes the instances of its tasks)

    def needs_raw(self, spec: SelfInstructJob) -> bool:
        return spec.params.mode == "completion"

    def validate(self, spec: SelfInstructJob, env: Env) -> int:
        if spec.target is None:
            raise invalid("target", "target is required for self-instruct")
        if spec.params.machine_demos > spec.params.demos:
            raise invalid("params.machine_demos", "machine_demos cannot exceed demos", spec.params.machine_demos)
        seeds = load_seeds(spec.params.seeds, spec.params.seed_file, env.settings, "params")
        if spec.params.classification_only and not any(s.is_classification for s in seeds):
            raise invalid("params.classification_only", "no seed task is marked is_classification")
        return spec.target

    async def run(self, ctx: RecipeContext[SelfInstructJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        seeds = load_seeds(p.seeds, p.seed_file, ctx.env.settings, "params")
        if p.classification_only:
            seeds = [s for s in seeds if s.is_classification]
        pool = NoveltyPool(ctx, [s.instruction for s in seeds], p.rouge_threshold)
        await pool.load()
        machine = pool.machine  # grows as any shard accepts an instruction

        def boot_params(model: Model) -> dict[str, Any]:
            return model.sampling(BOOTSTRAP_SAMPLING) | {"stop": BOOTSTRAP_STOP}
        clf_shots = clf_examples()
        with_instances = [s for s in seeds if s.instances]
        pending: set[asyncio.Task[None]] = set()

        async def generate() -> tuple[Model, Completion | None, list[str]]:
            n_machine = min(p.machine_demos, len(machine))
            demos = ctx.rng.sample(machine, n_machine) + ctx.rng.sample(
                [s.instruction for s in seeds], min(p.demos - n_machine, len(seeds))
            )
            ctx.rng.shuffle(demos)
            prompt = bootstrap_prompt(demos, p.classification_only)
            # The mix is drawn per bootstrap prompt; that model also writes the instances
            # of the tasks it proposed, so a record is one model's work.
            model = ctx.pick(text_key("b", prompt))
            if p.mode == "completion":
                c = await model.complete(prompt, boot_params(model))
            else:
                tail = CHAT_TAIL.format(n=len(demos) + 1)
                c = await model.chat([{"role": "user", "content": prompt + tail}], boot_params(model))
            if c.finish_reason == "length":
                await ctx.reject(text_key("t", c.text), Verdict("generate", "truncated", "response cut by max_tokens"),
                                 {"response": c.text}, provenance=model.provenance)
                return model, None, []
            return model, c, parse_bootstrap(c.text, p.capitalize)

        async def call(model: Model, prompt: str, sampling: dict[str, Any]) -> Completion:
            return await (model.complete(prompt, sampling) if p.mode == "completion"
                          else model.chat([{"role": "user", "content": prompt}], sampling))

        async def is_classification(model: Model, task: str) -> bool:
            if p.classification_only:
                return True
            c = await call(model, clf_prompt(clf_shots, task), CLF_SAMPLING)
            return c.text.strip().lower().startswith("yes")

        async def finish(slot: Slot, model: Model, boot: Completion, task: str, top: dict[str, float],
                         avg: float) -> None:
            async with slot:
                await instances(slot, model, boot, task, top, avg)

        async def instances(slot: Slot, model: Model, boot: Completion, task: str, top: dict[str, float],
                            avg: float) -> None:
            data: dict[str, Any] = {"instruction": task, "input": "", "output": "",
                                    "most_similar_instructions": top,
                                    "avg_similarity_score": round(avg, 4)}
            key = text_key("i", task)
            # Provenance is the call that wrote the record's text: the instance call when
            # there are instances (it wrote input/output), else the bootstrap call.
            # served: the identity of that same call (instance call, else bootstrap call)
            sampling, finish_reason, served = boot_params(model), boot.finish_reason, boot.served()
            try:
                if p.instances:
                    clf = await is_classification(model, task)
                    data["is_classification"] = clf
                    pool_demos = [s for s in with_instances if s.is_classification == clf] or with_instances
                    demos = ctx.rng.sample(pool_demos, min(3, len(pool_demos)))
                    prompt = instance_prompt(demos, task, output_first=clf)
                    ip = INSTANCE_SAMPLING | {"max_tokens": 350 if clf else 300, "stop": INSTANCE_STOP}
                    c = await call(model, prompt, ip)
                    sampling, finish_reason, served = ip, c.finish_reason, c.served()
                    insts, why = clean_instances(
                        parse_instances(c.text, clf, c.finish_reason == "length"), p.max_instances
                    )
                    if why:
                        await slot.reject(key, Verdict("instances", why), data, provenance=model.provenance)
                        return
                    data["instances"] = [msgspec.to_builtins(i) for i in insts]
                    data["input"], data["output"] = insts[0].input, insts[0].output
            except ProviderError as exc:
                await slot.reject(key, Verdict.from_error("instances", "provider_error", exc), data,
                                  provenance=model.provenance)
                return
            await slot.offer(Candidate(key=key, data=data, text=data["output"] or task, sampling=sampling,
                                      finish_reason=finish_reason, served=served, provenance=model.provenance))

        async def lane() -> None:
            while not ctx.stopped and not ctx.full and ctx.budget_left():
                try:
                    model, boot, candidates = await generate()
                except ProviderError:
                    continue
                for task in candidates:
                    reason = instruction_reject_reason(task, SELF_INSTRUCT_BLACKLIST)
                    if reason:
                        await ctx.reject(text_key("x", task), Verdict("filter", reason), {"instruction": task})
                        continue
                    check = pool.check(task)
                    if not pool.novel(check):
                        await ctx.reject(text_key("x", task), rouge_verdict(check, p.rouge_threshold),
                                         {"instruction": task, "most_similar_instructions": dict(list(check.top.items())[:3])})
                        continue
                    slot = await ctx.slot()
                    if slot is None:
                        return
                    check = await pool.admit(task, check)
                    if not pool.novel(check):
                        await slot.reject(text_key("x", task), rouge_verdict(check, p.rouge_threshold),
                                          {"instruction": task,
                                           "most_similar_instructions": dict(list(check.top.items())[:3])})
                        continue
                    assert boot is not None  # candidates come from a completed bootstrap call
                    t = asyncio.create_task(finish(slot, model, boot, task, check.top, check.avg))
                    pending.add(t)
                    t.add_done_callback(pending.discard)

        async def settle() -> None:
            while pending:
                await asyncio.gather(*list(pending))

        return await ctx.fill(lane, settle)


RECIPE = SelfInstruct()
