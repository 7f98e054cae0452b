"""Evol-Instruct (Xu et al. 2023, WizardLM; nlpxucan/WizardLM): make instructions
harder (in depth) or rarer (in breadth) over several rounds, answer each one, and
eliminate the evolutions that failed.

Algorithm (shared/reference/recipes.md section 3):
- The pool D0 is the job's seeds: `params.instructions` (plain strings), inline
  `params.seeds` (SeedTask; the text evolved is the instruction, plus a newline and the
  first instance's input when it has one), a registered `seed_file`, or the default
  seed set.
- Each evolution picks one operation uniformly at random (`ctx.rng`) from
  `params.operations`: the in-depth ones (add_constraints, deepening, concretizing,
  increase_reasoning, complicate_input: code, a table or a formula) and in-breadth.
  In-depth prompts end "#The Given Prompt#: ... #Rewritten Prompt#:" and allow only 10
  to 20 added words; the in-breadth prompt ends "#Created Prompt#:". Both forbid the
  marker words in the output. The evolved instruction is then answered by the generator.
- Chat for every call, system "You are a helpful assistant." (`system_prompt`),
  temperature 1, top_p 0.95, max_tokens 2048 (the job's generator sampling overrides).
- Elimination, each a reject in stage "eliminate" (`params.eliminate` picks which):
  `copied_prompt` (the instruction contains "#Rewritten Prompt#", "#Created Prompt#",
  "#The Given Prompt#", "given prompt", "rewritten prompt" or "created prompt",
  case-insensitive), `no_gain` (the judge, `params.judge` or the job's generator,
  answers "Equal" when asked whether parent and child have the same constraints,
  requirements, depth and breadth; an answer that is neither "Equal" nor "Not Equal"
  counts as "Not Equal"), `sorry` (the response contains "sorry" and has fewer than
  `sorry_max_words` = 80 words), `stopwords` (the response is only punctuation and
  stop words of a small built-in English list). The cheap checks run first: copied
  before the judge call, the judge before the response is generated. An evolution that
  comes back empty, or cut by max_tokens while the job's `filters.drop_truncated` is
  on, is rejected in stage "evolve". A surviving record then passes the job's filters.
- Round t evolves the survivors of round t-1, for `rounds` = M = 4 rounds; an
  eliminated evolution (or one whose record the job's filters reject) is not evolved
  again.

Rounds and target. An evolution depends only on its parent, so the paper's
round-by-round schedule and a per-seed chain (seed -> round 1 -> ... -> round M) make
the same data; they differ only in which items exist when `target` stops the job.
This recipe runs chains: each lane takes the next seed of a shuffled pool (`ctx.rng`)
and evolves it round after round until M rounds are done or an evolution is
eliminated, reserving a target slot before every step and stopping as soon as
no slot is left; a lane starts a new chain only while kept + the steps the chains in
flight may still take stay below target (run()'s `flight`), so the concurrency never
spreads a small target over round 1 of many chains. So a job with target << |D0| x M
still gets every depth at any concurrency (about as
many round-t items as the paper's rounds would give per seed), on a random subset of
the seeds, rather than round 1 only. `target` is required (it bounds the work) and
counts kept records; it may not exceed |D0| x (M + include_seeds). When every chain is
done short of target, the job fails with target-not-reached.

D0 merge. The paper's final set is D0 plus all rounds; `include_seeds: true` adds each
started seed as a round-0 record (operation "seed", no parent) whose output is the
seed's first instance output, or the generator's answer when it has none. These
count toward `target` like the evolved ones. Default false: target counts evolved
records only.

Paper vs released code. The released code makes one round, has no eliminator and no
complicate-input template, and joins instruction and input with "\\r\\n". Defaults
follow the paper (rounds 4, all four elimination rules, six operations); `rounds: 1`,
`eliminate: []` and `operations` without "complicate_input" give the released code.
The input is joined with "\\n". The judge is asked at temperature 0 with 16 tokens
(the paper does not say; the answer is two words).

Records: {instruction, output, parent_id (seed id for round 1, else the parent's
record id), round, operation, seed_id}. Keys are "e<seed index>r<round>": one attempt
per (seed, round), so a resumed worker rebuilds each chain from the committed records
and rejects and never evolves an item twice.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any, Iterable, Literal, Sequence

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline.records import prompt_and_response
from service.pipeline.run import DONE, JUDGE, Model, RecipeContext, RunOutcome, Slot, Stopped
from service.pipeline.stages import Candidate, Verdict, error_detail
from service.providers.base import ProviderError
from service.recipes.base import Env, Recipe, SeedTask, Text, check_generator, load_seeds, system_turn

SAMPLING: dict[str, Any] = {"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048}
JUDGE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "max_tokens": 16}
SYSTEM = "You are a helpful assistant."

Operation = Literal["add_constraints", "deepening", "concretizing", "increase_reasoning", "complicate_input", "breadth"]
OPERATIONS: tuple[Operation, ...] = ("add_constraints", "deepening", "concretizing", "increase_reasoning",
                               "complicate_input", "breadth")
Check = Literal["no_gain", "sorry", "stopwords", "copied_prompt"]
CHECKS: tuple[Check, ...] = ("no_gain", "sorry", "stopwords", "copied_prompt")

DEPTH_TEMPLATE = """Act as a Prompt Rewriter.
Turn the prompt below into a more complex version of itself, one that well-known AI assistants (ChatGPT, GPT-4 and the like) would find somewhat harder to deal with.
The result has to stay sensible: people must be able to understand it and answer it.
Keep every non-text part of #The Given Prompt#, such as tables and code, and keep any input it contains.
Use this method to make it more complex:
{method}
Keep #Rewritten Prompt# short: it can only add 10 to 20 words to #The Given Prompt#.{extra}
The phrases '#The Given Prompt#', '#Rewritten Prompt#', 'given prompt' and 'rewritten prompt' must not appear in #Rewritten Prompt#.
#The Given Prompt#:
{prompt}
#Rewritten Prompt#:
"""

BREADTH_TEMPLATE = """Act as a Prompt Creator.
Take #The Given Prompt# as inspiration and write a brand new prompt.
The new prompt should belong to the same domain as #The Given Prompt#, but on a rarer, less common topic.
Its LENGTH and complexity should be close to those of #The Given Prompt#.
#Created Prompt# has to stay sensible: people must be able to understand it and answer it.
The phrases '#The Given Prompt#', '#Created Prompt#', 'given prompt' and 'created prompt' must not appear in #Created Prompt#.
#The Given Prompt#:
{prompt}
#Created Prompt#:
"""

METHODS: dict[str, str] = {
    "add_constraints": "Add one more constraint or requirement to #The Given Prompt#.",
    "deepening": "When #The Given Prompt# asks about a particular issue, make the question reach deeper and wider.",
    "concretizing": "Replace general concepts in #The Given Prompt# with more specific ones.",
    "increase_reasoning": ("When #The Given Prompt# can be solved with a few simple steps of thinking, rewrite it so "
                           "that it explicitly asks for reasoning over several steps."),
    "complicate_input": ("Give #The Given Prompt# a piece of input that the answer has to work with: a short code "
                         "snippet, a data table or a formula, whichever suits the task best."),
}
EXTRA = {"complicate_input": " The added code, table or formula does not count toward these words."}

EQUALITY_TEMPLATE = """Compare the two instructions for an AI assistant below. Count them as equal only when both of these are true:
1. They carry the same constraints and requirements.
2. What they ask for has the same depth and breadth.
First instruction: {first}
Second instruction: {second}
Reply with exactly one of Equal or Not Equal, and nothing else.
Judgement:"""

COPIED = ("#rewritten prompt#", "#created prompt#", "#the given prompt#", "given prompt", "rewritten prompt",
          "created prompt")

# A small English stop-word list: function words, pronouns, auxiliaries, contraction
# pieces (tokens are runs of letters and digits, so "don't" gives "don" and "t").
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing don down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves s t d ll m re ve o y let us also yet ok okay oh well yes
""".split())

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9]+")
_KEY = re.compile(r"^e(\d+)r(\d+)$")


class EvolInstructParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Evol-Instruct knobs; defaults follow the paper (see the module docstring)."""

    instructions: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    seeds: Annotated[list[SeedTask], Meta(min_length=1, max_length=1_000_000)] | None = None
    seed_file: Name | None = None
    rounds: Annotated[int, Meta(ge=1, le=16)] = 4
    operations: Annotated[list[Operation], Meta(min_length=1, max_length=6)] = msgspec.field(
        default_factory=lambda: list(OPERATIONS))
    eliminate: Annotated[list[Check], Meta(max_length=4)] = msgspec.field(default_factory=lambda: list(CHECKS))
    sorry_max_words: Annotated[int, Meta(ge=1, le=100_000)] = 80
    include_seeds: bool = False
    judge: GeneratorRef | None = None
    system_prompt: Annotated[str, Meta(max_length=100_000)] | None = SYSTEM


class EvolInstructJob(JobSpecBase, tag="evol-instruct", kw_only=True, forbid_unknown_fields=True):
    """An Evol-Instruct job: `target` kept (instruction, output) records."""

    params: EvolInstructParams = msgspec.field(default_factory=EvolInstructParams)


# -- prompts and checks (pure) ------------------------------------------------------------

def evolve_prompt(operation: str, instruction: str) -> str:
    if operation == "breadth":
        return BREADTH_TEMPLATE.format(prompt=instruction)
    return DEPTH_TEMPLATE.format(method=METHODS[operation], extra=EXTRA.get(operation, ""), prompt=instruction)


def equality_prompt(first: str, second: str) -> str:
    return EQUALITY_TEMPLATE.format(first=first, second=second)


def parse_equal(text: str) -> bool | None:
    """True for "Equal", False for "Not Equal", None when the answer says neither."""
    t = " ".join(_TOKEN.findall(text.lower()))
    if re.search(r"\bnot equal\b|\bunequal\b", t):
        return False
    if re.search(r"\bequal\b", t):
        return True
    return None


def copied_marker(instruction: str) -> str | None:
    """The evolving prompt's phrase the instruction copies, if any (case-insensitive)."""
    low = _WS.sub(" ", instruction.lower())
    return next((m for m in COPIED if m in low), None)


def is_sorry(response: str, max_words: int = 80) -> bool:
    return "sorry" in response.lower() and len(response.split()) < max_words


def only_stopwords(response: str) -> bool:
    """True when a non-blank response has nothing but punctuation and stop words."""
    if not response.strip():
        return False
    return all(t in STOPWORDS for t in _TOKEN.findall(response.lower()))


# -- the pool -------------------------------------------------------------------------------

@dataclass
class Seed:
    id: str
    text: str
    output: str = ""


def seed_pool(p: EvolInstructParams, settings: Any) -> list[Seed]:
    if p.instructions is not None:
        return [Seed(f"seed_{i}", s) for i, s in enumerate(p.instructions)]
    out = []
    for i, s in enumerate(load_seeds(p.seeds, p.seed_file, settings, "params")):
        inst = s.instances[0] if s.instances else None
        text = s.instruction + (f"\n{inst.input}" if inst and inst.input else "")
        out.append(Seed(s.id or f"seed_{i}", text, inst.output if inst else ""))
    return out


@dataclass
class Chain:
    """One seed's lineage: `text` is the instruction at `round`, `parent_id` its id."""

    index: int
    seed: Seed
    round: int = 0
    text: str = ""
    parent_id: str = ""
    seed_done: bool = False
    ended: bool = False

    def __post_init__(self) -> None:
        if not self.text:
            self.text, self.parent_id = self.seed.text, self.seed.id


def item_key(index: int, rnd: int, width: int) -> str:
    return f"e{index:0{width}d}r{rnd}"


def instruction_of(record: dict[str, Any]) -> str:
    """The instruction of a stored record, whatever output format the job chose."""
    if "instruction" in record:
        return record["instruction"]
    return prompt_and_response(record)[0]


def restore_chains(seeds: list[Seed], records: list[dict[str, Any]], done: set[str], job_id: str,
                   rounds: int, include_seeds: bool) -> list[Chain]:
    """The chains still to advance, rebuilt from committed records and ids (resume)."""
    width = len(str(len(seeds)))
    kept: dict[int, tuple[int, dict[str, Any]]] = {}
    for rec in records:
        m = _KEY.match(rec["id"].rpartition(".")[2])
        if m and int(m.group(2)) >= 1:
            i, t = int(m.group(1)), int(m.group(2))
            if i not in kept or t > kept[i][0]:
                kept[i] = (t, rec)
    out = []
    for i, seed in enumerate(seeds):
        c = Chain(i, seed, seed_done=f"{job_id}.{item_key(i, 0, width)}" in done)
        if i in kept:
            t, rec = kept[i]
            c.round, c.text, c.parent_id = t, instruction_of(rec), rec["id"]
        c.ended = c.round >= rounds or f"{job_id}.{item_key(i, c.round + 1, width)}" in done
        if not c.ended or (include_seeds and not c.seed_done):
            out.append(c)
    return out


# -- the recipe -----------------------------------------------------------------------------

class EvolInstruct(Recipe[EvolInstructJob]):
    name = "evol-instruct"
    summary = "Evolve seed instructions in depth and breadth over rounds, answer them, drop failures (Evol-Instruct)."
    Spec = EvolInstructJob
    shared_state = ("each chain's last kept evolution (a round evolves its parent)",)
    mixes = True  # per chain: one drawn generator evolves and answers a seed's whole lineage

    def validate(self, spec: EvolInstructJob, env: Env) -> int:
        p = spec.params
        if spec.target is None:
            raise invalid("target", "target is required for evol-instruct")
        given = [f for f, v in (("instructions", p.instructions), ("seeds", p.seeds), ("seed_file", p.seed_file))
                 if v is not None]
        if len(given) > 1:
            raise invalid(f"params.{given[1]}", f"give at most one of params.{', params.'.join(given)}")
        for field, values in (("operations", p.operations), ("eliminate", p.eliminate)):
            if len(set(values)) != len(values):
                raise invalid(f"params.{field}", "each value may appear once", values)
        if p.judge is not None:
            check_generator(p.judge, env, "params.judge")
        n = len(seed_pool(p, env.settings))
        most = n * (p.rounds + p.include_seeds)
        if spec.target > most:
            raise invalid("target", f"target {spec.target} exceeds the {most} records {n} seeds can give in "
                                    f"{p.rounds} rounds", spec.target)
        return spec.target

    async def run(self, ctx: RecipeContext[EvolInstructJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        seeds = seed_pool(p, ctx.env.settings)
        width = len(str(len(seeds)))
        judge_ref: Model | None = ctx.model(p.judge, JUDGE) if p.judge is not None else None
        system = system_turn(p.system_prompt)
        checks = set(p.eliminate)
        drop_truncated = spec.filters.drop_truncated
        # Every chain still to advance, by seed index (untouched ones too). Shards take
        # chains in chunks of one job-wide shuffled order of the seeds.
        def chain_keys(indices: Iterable[int]) -> list[str]:
            return [item_key(i, t, width) for i in indices for t in range(p.rounds + 1)]

        await ctx.refresh_done(chain_keys(range(len(seeds))))  # rejected rounds end their chain
        todo = {c.index: c for c in restore_chains(seeds, (await ctx.committed()).records, ctx.done, ctx.job_id,
                                                   p.rounds, p.include_seeds)}

        async def restore(indices: Sequence[int], fresh: bool) -> None:
            if not fresh:  # another run worked on these chains: read how far they got
                await ctx.refresh_done(chain_keys(indices))
                again = restore_chains(seeds, (await ctx.committed()).records, ctx.done, ctx.job_id,
                                       p.rounds, p.include_seeds)
                todo.update((c.index, c) for c in again if c.index in set(indices))
                for i in set(indices) - {c.index for c in again}:
                    todo.pop(i, None)

        order = list(range(len(seeds)))
        ctx.job_rng().shuffle(order)
        chains = ctx.items(order, prefix="e", key=lambda _pos, i: f"chain{i}", prepare=restore)
        queue: deque[Chain] = deque()  # chains started and waiting for a slot

        async def next_chain() -> Chain | None:
            if queue:
                return queue.popleft()
            async for key, i in chains:
                c = todo.pop(i, None)
                if c is not None:
                    return c
                chains.finished(key)  # ended in an earlier run
            return None

        def model_of(c: Chain) -> Model:
            return ctx.pick(f"e{c.index}")

        async def ask(model: Model, text: str) -> Any:
            return await model.chat([*system, {"role": "user", "content": text}], model.sampling(SAMPLING))

        async def seed_record(slot: Slot, c: Chain) -> None:
            key = item_key(c.index, 0, width)
            data: dict[str, Any] = {"instruction": c.seed.text, "output": c.seed.output, "parent_id": None,
                                    "round": 0, "operation": "seed", "seed_id": c.seed.id}
            model = model_of(c)
            if not c.seed.output:
                try:
                    r = await ask(model, c.seed.text)
                except ProviderError as exc:
                    await slot.reject(key, Verdict.from_error("generate", "provider_error", exc), data)
                    return
                data["output"] = r.text
                # served: the call that answered the seed (its output is the record's text)
                await slot.offer(Candidate(key=key, data=data, text=r.text, finish_reason=r.finish_reason,
                                          sampling=model.sampling(SAMPLING), served=r.served(),
                                          provenance=model.provenance))
                return
            # A seed's own output was written by a person, not by a call: its provenance
            # says so (no model, no sampling) instead of naming the generator.
            await slot.offer(Candidate(key=key, data=data, text=data["output"], finish_reason="given",
                                      provenance={"provider": "seed", "model": "", "licence": "seed"}))

        async def evolve(slot: Slot, c: Chain) -> bool:
            """One evolution of chain `c` (holding a slot); True when it was kept."""
            t = c.round + 1
            key = item_key(c.index, t, width)
            model = model_of(c)
            judge = judge_ref or model
            op = ctx.rng.choice(p.operations)
            data: dict[str, Any] = {"instruction": "", "parent_id": c.parent_id, "round": t, "operation": op,
                                    "seed_id": c.seed.id}

            async def drop(stage: str, reason: str, detail: str | None = None) -> bool:
                await slot.reject(key, Verdict(stage, reason, detail), {**data, "parent_instruction": c.text})
                return False

            try:
                ev = await ask(model, evolve_prompt(op, c.text))
                data["instruction"] = instruction = ev.text.strip()
                if not instruction:
                    return await drop("evolve", "empty")
                if drop_truncated and ev.finish_reason == "length":
                    return await drop("evolve", "truncated", "the evolution stopped at max_tokens")
                if "copied_prompt" in checks and (marker := copied_marker(instruction)):
                    return await drop("eliminate", "copied_prompt", marker)
                if "no_gain" in checks:
                    question = [*system, {"role": "user", "content": equality_prompt(c.text, instruction)}]
                    verdict = await judge.chat(question, judge.sampling(JUDGE_SAMPLING))
                    if parse_equal(verdict.text):
                        return await drop("eliminate", "no_gain", verdict.text.strip()[:200])
                r = await ask(model, instruction)
            except ProviderError as exc:
                if ctx.stopped:
                    raise Stopped(ctx.stop_reason or "provider") from None
                return await drop("generate", "provider_error", error_detail(exc))
            data["output"] = r.text
            if "sorry" in checks and is_sorry(r.text, p.sorry_max_words):
                return await drop("eliminate", "sorry", f"{len(r.text.split())} words < {p.sorry_max_words}")
            if "stopwords" in checks and only_stopwords(r.text):
                return await drop("eliminate", "stopwords")
            record = {"instruction": instruction, "output": r.text, "parent_id": c.parent_id, "round": t,
                      "operation": op, "seed_id": c.seed.id}
            # served: the call that answered the evolved instruction (the record's text), not
            # the evolution or the judge call
            kept = await slot.offer(Candidate(key=key, data=record, text=r.text, finish_reason=r.finish_reason,
                                             sampling=model.sampling(SAMPLING), served=r.served(),
                                             provenance=model.provenance))
            if kept:
                c.round, c.text, c.parent_id = t, instruction, ctx.item_id(key)
            return kept

        async def advance(c: Chain) -> bool:
            """Drive chain `c` as far as it goes; False when it must wait for a slot."""
            if p.include_seeds and not c.seed_done:
                slot = await ctx.slot()
                if slot is None:
                    return False
                async with slot:
                    await seed_record(slot, c)
                c.seed_done = True
            while not c.ended and c.round < p.rounds:
                slot = await ctx.slot() if ctx.budget_left() else None
                if slot is None:
                    return False
                async with slot:
                    if not await evolve(slot, c):
                        c.ended = True
            return True

        target = ctx.target or 0
        # Advance chains in flight before starting new ones: a chain claims the steps it
        # may still take (its remaining rounds, and its seed record when asked for), and
        # a lane starts a new chain only while kept + those claims stay below target.
        # Without this, a small target at a high concurrency is filled by round 1 of
        # `target` chains and never reaches the deeper rounds.
        flight: list[Chain] = []

        def steps_left(c: Chain) -> int:
            return (0 if c.ended else p.rounds - c.round) + (1 if p.include_seeds and not c.seed_done else 0)

        starting = [0]  # lanes fetching a chain: each may bring a whole chain's steps
        whole = p.rounds + (1 if p.include_seeds else 0)

        async def lane() -> None:
            while not ctx.stopped and not ctx.full and ctx.budget_left():
                claims = sum(map(steps_left, flight)) + starting[0] * whole
                if (flight or starting[0]) and ctx.kept + claims >= target:
                    return  # the chains in flight can fill the target; their lanes go on
                starting[0] += 1
                try:
                    c = await next_chain()
                finally:
                    starting[0] -= 1
                if c is None:
                    return
                flight.append(c)
                try:
                    moved = await advance(c)
                finally:
                    flight.remove(c)
                if not moved:
                    queue.appendleft(c)
                    return
                chains.finished(f"chain{c.index}")

        while not ctx.stopped:
            await ctx.lanes(lane)
            await ctx.drain()
            ended = not queue and chains.exhausted
            if ctx.stopped or ctx.kept >= target or ended or await ctx.out_of_tickets():
                break
            if not ctx.budget_left():
                await ctx.stop_job("budget", f"made {ctx.kept} of {target} after {ctx.requests_made} requests")
                break
        if ctx.kept < target and (not ctx.stopped or ctx.stop_reason == "budget"):
            return RunOutcome(shortfall=f"made {ctx.kept} of {target}: every chain of evolutions ended"
                              if not queue and chains.exhausted
                              else f"made {ctx.kept} of {target} after {ctx.requests_made} requests")
        return DONE


RECIPE = EvolInstruct()
