"""Orca (Mukherjee et al. 2023, arXiv 2306.02707): explanation traces. Each zero-shot
query is answered by the generator under one of 16 system messages that ask for
step-by-step reasoning, detail, or simple explanations, and the system message is
kept with the answer so a student model learns the reasoning style it asked for.

Algorithm (shared/reference/recipes.md section 4):
- Queries come with their FLAN-v2 collection (cot, niv2, t0, flan2021), whether they
  are multiple-choice, and optionally the task they belong to. Inline in
  `params.queries`, or a registered prompt file (`params.prompt_file`), whose queries
  all share `params.collection` and `params.multiple_choice`.
- System messages: the 16 of the paper's Table 2, reworded here (`SYSTEM_MESSAGES`; id
  1 is empty). Each query gets one drawn uniformly from its collection's pool (paper
  Fig. 6, `POOLS`): cot {6,11,16}; niv2 {1,2,5,7,9,12,13,14,15}; t0 {1,2,3,5,7};
  flan2021 {8,10} for multiple-choice queries, {3,4,7} otherwise. Messages 8 and 10
  (answer first, then say why the other options are wrong) therefore only reach
  multiple-choice flan2021 queries; `multiple_choice` has no effect in the other
  collections, whose pools hold neither.
- Query order (`params.order`): "tasks" is the paper's sampler, repeated until every
  query is drawn: pick a task uniformly among those with queries left, then one of its
  queries uniformly without replacement (a query without a task is a task of its
  own). "given" takes the queries in the order given. "auto" (default) is "tasks"
  when any inline query names a task, else "given". The order matters when `target`
  is below the number of queries: the first queries of the order are the ones answered
  (and a rejected one is replaced by the next).
- One chat call per query: [system, user=query]; the record is
  {system, system_id, question, response, messages (system first), collection,
  multiple_choice, task (when given)}. The response passes the job's filters like any
  record; a rejected query is not retried (as in the `responses` recipe), so `kept` may
  end below `target`; how the job then ends is pipeline/outcome.py's one rule
  (an explicit target fails; without one, `min_yield` decides).
- `target` defaults to the number of queries and may not exceed it.

Determinism: the order and every query's system message come from one RNG seeded by the
job's seed, consumed in schedule order (not in completion order), so a fixed seed gives
the same (query, system message) pairs whatever the concurrency, and a resumed worker
rebuilds the same schedule and skips the queries already settled. The paper's FLAN-1M
is a subset of FLAN-5M: two jobs with the same queries and seed, the smaller target
given to the stronger generator, reproduce that (rejects aside: the smaller job's
queries are the start of the bigger one's schedule).

Choices and deviations:
- The empty system message (id 1): by default (`empty_system="omit"`) the chat has no
  system turn at all, neither in the request nor in the record's `messages`; the
  record's `system` is "" and `system_id` 1. `empty_system="empty"` sends and stores
  an empty system turn instead (what public reproductions store).
- No code was released with the paper. A public reproduction caps NIV2 at 300 queries
  per task and drops BigBench from T0; that is data preparation, left to the caller.
  The Dialog collection (0 queries in the paper) is not accepted.
- Sampling: the paper does not give the teacher's sampling; the defaults here are
  temperature 0.7 and max_tokens 2048 (override them in `generator.sampling`).
- The paper's second stage (GPT-4 on a 1M subset, then training) is out of scope: run a
  second job as above.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterator, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase
from service.pipeline.run import DONE, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate
from service.recipes.base import Env, Recipe, Text, load_prompts

DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.7, "max_tokens": 2048}

Collection = Literal["cot", "niv2", "t0", "flan2021"]

# The 16 system messages of the paper's Table 2, in our own words (same meaning).
SYSTEM_MESSAGES: dict[int, str] = {
    1: "",
    2: "You are an AI assistant. Give a thorough answer, complete enough that the user "
       "does not have to look anything up elsewhere to understand it.",
    3: "You are an AI assistant. You will receive a task. Write a detailed and long answer to it.",
    4: "You are a helpful assistant who always explains the answer. Explain it the way you "
       "would to a five year old child.",
    5: "You are an AI assistant that follows instructions extremely well. Help in every way you can.",
    6: "You are an AI assistant whose job is to help people find information. Give a thorough "
       "answer, complete enough that the user does not have to look anything up elsewhere to "
       "understand it.",
    7: "You are an AI assistant. The user will give you a task. Carry it out as faithfully as "
       "you can; as you work, think step by step and justify each of your steps.",
    8: "Say what the task asks for and explain your answer. For a multiple-choice question, "
       "first give the correct answer or answers, then explain why each of the other options "
       "is wrong. Explain it the way you would to a five year old child.",
    9: "Explain how you used the definition to arrive at your answer.",
    10: "You are an AI assistant. Say what the task asks for and explain your answer. For a "
        "multiple-choice question, first give the correct answer or answers, then explain why "
        "each of the other options is wrong. You may need knowledge from beyond the question "
        "to answer it.",
    11: "You are an AI assistant whose job is to help people find information. The user will "
        "ask you a question; answer it as faithfully as you can, thinking step by step and "
        "justifying your answer.",
    12: "The user will give you a task along with some instructions. Follow the instructions "
        "as faithfully as you can, thinking step by step and justifying your answer.",
    13: "You are a teacher. When you are given a task, explain in simple steps what it asks "
        "for, which guidelines it gives, and how to apply those guidelines to reach the answer.",
    14: "You are an AI assistant who knows every language and how to translate from any one "
        "into another. When you are given a task, explain in simple steps what it asks for and "
        "which guidelines it gives, then solve it and show how you applied those guidelines.",
    15: "You will be given the definition of a task and a sample input. Split the definition "
        "into small parts, each of which holds some instruction. Explain what each part means "
        "by showing an example that meets its criteria. Use this format:\n"
        "Part #: a key part of the definition.\n"
        "Usage: a sample response that meets the criteria of that key part. Explain why you "
        "think it meets them.",
    16: "You are an AI assistant whose job is to help people find information.",
}

# Only for multiple-choice items: they ask for the correct option(s) first.
MULTIPLE_CHOICE_ONLY = frozenset({8, 10})

# Pools per collection (paper Fig. 6); flan2021 splits on multiple choice.
POOLS: dict[str, tuple[int, ...]] = {
    "cot": (6, 11, 16),
    "niv2": (1, 2, 5, 7, 9, 12, 13, 14, 15),
    "t0": (1, 2, 3, 5, 7),
    "flan2021": (3, 4, 7),
    "flan2021-mc": (8, 10),
}


def pool_for(collection: str, multiple_choice: bool) -> tuple[int, ...]:
    """The system-message ids a query of `collection` may get."""
    if collection == "flan2021" and multiple_choice:
        return POOLS["flan2021-mc"]
    return POOLS[collection]


class OrcaQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One zero-shot query; unset collection / multiple_choice take the params' values."""

    query: Text
    collection: Collection | None = None
    multiple_choice: bool | None = None
    task: Annotated[str, Meta(min_length=1, max_length=512)] | None = None


class OrcaParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Inputs of an Orca job: `queries` inline or a registered `prompt_file`."""

    queries: Annotated[list[OrcaQuery], Meta(min_length=1, max_length=1_000_000)] | None = None
    prompt_file: Name | None = None
    collection: Collection = "flan2021"
    multiple_choice: bool = False
    order: Literal["auto", "tasks", "given"] = "auto"
    empty_system: Literal["omit", "empty"] = "omit"


class OrcaJob(JobSpecBase, tag="orca", kw_only=True, forbid_unknown_fields=True):
    """An Orca job: one explanation-style response per query, under a system message."""

    params: OrcaParams


class Item(msgspec.Struct, frozen=True):
    """A query with its defaults resolved."""

    query: str
    collection: str
    multiple_choice: bool
    task: str | None = None


def resolve(p: OrcaParams, settings: Any) -> list[Item]:
    """The job's queries, each with its collection and multiple-choice flag."""
    if p.queries is not None:
        return [
            Item(q.query, q.collection or p.collection,
                 p.multiple_choice if q.multiple_choice is None else q.multiple_choice, q.task)
            for q in p.queries
        ]
    prompts = load_prompts(None, p.prompt_file, settings, "params")
    return [Item(q, p.collection, p.multiple_choice) for q in prompts]


def task_order(tasks: list[str | None], rng: Any) -> Iterator[int]:
    """The paper's sampler: a task uniformly among those with queries left, then one of
    its queries uniformly, without replacement, until all are drawn. Yields indices into
    `tasks`; an index whose task is None is a task of its own."""
    groups: dict[Any, list[int]] = {}
    for i, t in enumerate(tasks):
        groups.setdefault(("t", t) if t is not None else ("i", i), []).append(i)
    live = list(groups.values())
    while live:
        g = rng.randrange(len(live))
        members = live[g]
        j = rng.randrange(len(members))
        members[j], members[-1] = members[-1], members[j]
        yield members.pop()
        if not members:
            live[g] = live[-1]
            live.pop()


def schedule(items: list[Item], order: str, rng: Any) -> Iterator[tuple[int, int]]:
    """(query index, system-message id) in the order the queries are answered."""
    if order == "auto":
        order = "tasks" if any(it.task is not None for it in items) else "given"
    indices = task_order([it.task for it in items], rng) if order == "tasks" else iter(range(len(items)))
    for i in indices:
        it = items[i]
        yield i, rng.choice(pool_for(it.collection, it.multiple_choice))


def build_messages(system_id: int, query: str, empty_system: str = "omit") -> list[dict[str, str]]:
    """The chat sent for one query: the system turn (none for an omitted empty one), then the user."""
    system = SYSTEM_MESSAGES[system_id]
    head = [{"role": "system", "content": system}] if system or empty_system == "empty" else []
    return [*head, {"role": "user", "content": query}]


class Orca(Recipe[OrcaJob]):
    name = "orca"
    summary = "Explanation traces: each query answered under a system message from its collection's pool (Orca)."
    Spec = OrcaJob
    mixes = True

    def validate(self, spec: OrcaJob, env: Env) -> int:
        p = spec.params
        if (p.queries is None) == (p.prompt_file is None):
            raise invalid("params.queries", "give exactly one of params.queries and params.prompt_file")
        n = len(resolve(p, env.settings))
        if spec.target is not None and spec.target > n:
            raise invalid("target", f"target {spec.target} exceeds the {n} queries given", spec.target)
        return spec.target or n

    async def run(self, ctx: RecipeContext[OrcaJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        items = resolve(p, ctx.env.settings)
        width = len(str(len(items)))

        # The whole schedule is drawn first, from the job's seed, so every shard (and a
        # resumed run) answers query i under the same system message; shards take it in chunks.
        plan = list(schedule(items, p.order, ctx.job_rng()))

        async def one(slot: Slot, entry: tuple[str, tuple[int, int]]) -> None:
            key, (i, sid) = entry
            it = items[i]
            messages = build_messages(sid, it.query, p.empty_system)
            model = ctx.pick(key)
            params = model.sampling(DEFAULT_SAMPLING)
            c = await model.chat(messages, params)
            data: dict[str, Any] = {
                "system": SYSTEM_MESSAGES[sid], "system_id": sid, "question": it.query,
                "response": c.text, "messages": [*messages, {"role": "assistant", "content": c.text}],
                "collection": it.collection, "multiple_choice": it.multiple_choice,
            }
            if it.task is not None:
                data["task"] = it.task
            await slot.offer(Candidate(key=key, text=c.text, finish_reason=c.finish_reason, served=c.served(),
                                      sampling=params, provenance=model.provenance, data=data))

        await ctx.each(ctx.items(plan, prefix="q", key=lambda _pos, e: f"q{e[0]:0{width}d}"), one)
        if ctx.kept < (ctx.target or 0) and not ctx.stopped:
            return RunOutcome(shortfall=f"made {ctx.kept} of {ctx.target}: the queries ran out after rejects")
        return DONE


RECIPE = Orca()
