"""UltraChat (Ding et al. 2023, thunlp/UltraChat): multi-turn dialogues between a user
simulator and an assistant, seeded by sector.

Algorithm (shared/reference/recipes.md section 5a). No generation code was released;
this follows the paper:
1. Seeds. The job gives `params.openings` (first user turns, used as written), or
   `params.topics`, or for the "materials" sector `params.passages`. With none, the
   "world" sector uses a built-in list of a dozen meta-topics and the "writing"
   sector a built-in list of 20 writing types (the paper's 20 types).
   - world: meta-topic -> subtopics -> opening question. The simulator lists
     `subtopics` subtopics of the topic once (one call per topic, shared by its
     dialogues), each dialogue takes a different one, and the simulator writes an
     opening question about it in one of four styles (broad, specific, practical,
     comparative; the paper's meta/specific/general questions). `subtopics: 0`
     asks about the topic directly. The list is not stored: a resumed job lists
     again, so dialogues made before and after a restart may share a subtopic.
   - writing: the topic is a writing type; the simulator writes a request for a
     piece of that type, detailed (with subject, reader and constraints) with
     probability `expand_rate` (the paper expands 80% of its instructions), brief
     otherwise.
   - materials: the simulator writes a question or task about the passage (one of
     five kinds: detail, summary, rewrite, reasoning, continuation); the first user
     turn puts passage and request together in one of three templates.
2. Rounds (one user turn + one assistant turn) are drawn uniformly per dialogue from
   the sector's range in the paper (world 3-7, writing 2-4, materials 2-4), or from
   `min_rounds`..`max_rounds`. Every per-dialogue draw (rounds, style, template,
   subtopic) is made with the job's seeded rng in item order before any call, so a
   resumed job draws the same plan for the items still to do.
3. Turns alternate, user first. The assistant (the job's `generator`) sees the
   dialogue as chat messages. The user simulator (`params.user_simulator`, default:
   the job's generator) sees a transcript ("User: ... / Assistant: ...") under a
   system prompt telling it to play the user, and writes the next user turn; role
   labels ("User:", "**Human:**", "Question:"...) are stripped from its output and
   anything from an "Assistant:" line on is cut.
4. Filters, per turn, so a bad dialogue stops early: every assistant turn goes
   through the job's response filter (empty, truncated, min_words, refusal phrases)
   and the ultrachat_200k rule (HuggingFaceH4): an assistant turn saying "I do not /
   don't have (personal) emotions / opinions" rejects the whole dialogue with reason
   `no_emotions` (`drop_no_emotions: false` turns it off). A user turn is rejected
   (stage `simulator`) when empty, truncated or a refusal. The finished dialogue is
   offered with all assistant turns as its text, so `filters.max_words` bounds the
   assistant side of the whole dialogue and later stages (judge, dedup) see it all.
   A rejected dialogue is not retried.

Record (native): {messages, prompt (first user turn, as ultrachat_200k), opening
(the opening request without the passage), sector, rounds, seed_index, dialogue,
topic/subtopic or passage_index, user_simulator {provider, model, licence, sampling}}.
`meta` carries the assistant's provider/model. The key is `d<seed index>_<dialogue>`,
so a resumed worker skips committed dialogues and never duplicates one.

Target: by default one dialogue per seed (`dialogues_per_seed`, default 1) for every
seed given; a smaller `target` stops early. When rejects leave the job short, the
one rule of pipeline/outcome.py decides: an explicit target fails the job with
target-not-reached; a default one succeeds when the dialogues reach `min_yield` of
the plan, the shortfall in the job's note. A topic whose subtopic list gives no
subtopic rejects its dialogues (`no_subtopics`) rather than asking about the bare
meta-topic.

Deviations: the paper's writing expansion is a second ChatGPT call on a finished
instruction; here it is one call with a "make it detailed" prompt at the same rate.
The H4 phrase list is widened by "personal" and curly apostrophes.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline.run import DONE, Model, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate, ResponseFilter, Verdict
from service.providers.base import Completion
from service.recipes.base import Env, Recipe, Text, check_generator

Sector = Literal["world", "writing", "materials"]
SECTOR_ROUNDS: dict[str, tuple[int, int]] = {"world": (3, 7), "writing": (2, 4), "materials": (2, 4)}

ASSISTANT_SAMPLING: dict[str, Any] = {"temperature": 0.7, "max_tokens": 1024}
SIMULATOR_SAMPLING: dict[str, Any] = {"temperature": 0.9, "max_tokens": 256}
SUBTOPIC_SAMPLING: dict[str, Any] = {"temperature": 1.0, "max_tokens": 512}
SIMULATOR_STOP = ["\nAssistant:", "\nASSISTANT:"]

DEFAULT_META_TOPICS = (
    "Science and the natural world",
    "Technology and computing",
    "Health, medicine and the human body",
    "History and historical figures",
    "Arts, literature and music",
    "Economics, business and personal finance",
    "The environment and climate",
    "Philosophy, ethics and religion",
    "Education and learning",
    "Travel, geography and cultures",
    "Sports, games and fitness",
    "Food, cooking and nutrition",
    "Law, politics and society",
    "Psychology and relationships",
)

DEFAULT_WRITING_TYPES = (
    "a short story", "a poem", "a persuasive essay", "a product description", "a cover letter",
    "a blog post", "a speech", "a news article", "a scene for a screenplay", "song lyrics",
    "a formal email", "a recipe", "a review of a book or film", "a social media post",
    "a personal letter", "a research abstract", "an advertisement", "a travel guide entry",
    "a dialogue between two characters", "a short biography",
)

WORLD_STYLES = (
    "a broad question that asks for an overview of it",
    "a specific, detailed question about one particular aspect of it",
    "a practical question asking for advice or for the steps to do something related to it",
    "a question that compares it with something related, or asks about its causes and effects",
)

MATERIALS_KINDS = (
    "a question about a detail in it",
    "a request to summarise it",
    "a request to rewrite part of it in another style or for another reader",
    "a question whose answer needs reasoning beyond what it states directly",
    "a request to continue it or to write something inspired by it",
)

MATERIALS_TEMPLATES = (
    "{passage}\n\n{request}",
    "{request}\n\n{passage}",
    "Here is a text:\n\n{passage}\n\n{request}",
)

SUBTOPIC_PROMPT = (
    'List {k} specific subtopics within the broad area "{topic}": narrower subjects that '
    "people often have questions about. Write one subtopic per line, with no numbering "
    "and nothing else."
)
WORLD_PROMPT = (
    "Imagine a person who is curious about {subject} and is about to start a conversation "
    "with an AI assistant. Write the first message they send: {style}. Make it read like "
    "something a real person would type, and reply with that message only."
)
WRITING_PROMPT = (
    "Imagine a person who wants an AI assistant to write {kind} for them. Write the request "
    "they send. {detail} Reply with the request only."
)
WRITING_DETAILED = (
    "Make it specific: say what the piece should be about and who will read it, and give "
    "requirements on its tone, length or form."
)
WRITING_BRIEF = "Keep it to one short sentence."
MATERIALS_PROMPT = (
    "Below is a passage of text.\n\n{passage}\n\nImagine a person who has read this passage "
    "and turns to an AI assistant. Write what they ask: {kind}. Refer to the passage as "
    '"the text" or "this passage" instead of copying it out, and reply with the request only.'
)
SIMULATOR_SYSTEM = (
    "You are playing the part of a human user in a conversation with an AI assistant; you "
    "are not the assistant. Given the conversation so far, write the user's next message. "
    "It may ask a follow-up question, ask for more detail, an example or a clarification, "
    "push back on something the assistant said, or move on to a closely related request. "
    "Stay on the conversation's subject, write as the user would (first person, natural, "
    "concise) and do not answer your own question. Reply with the message only, with no "
    "name or role label in front of it."
)
SIMULATOR_USER = "The conversation so far:\n\n{transcript}\n\nWrite the user's next message."

# ultrachat_200k's filter (HuggingFaceH4): the assistant denying having emotions or opinions.
NO_EMOTIONS = re.compile(r"\bi (?:do not|don['’]t) have (?:any )?(?:personal )?(?:emotions|opinions)\b", re.I)

_LABEL = (r"[\s*_#>\"'`]*[\[(<]?\s*(?:the\s+)?(?:user|human|question|instruction|request|q)"
          r"(?:['’]s)?(?:\s+(?:next|\d+|turn|message|reply|question|request))*\s*[\])>]?[\s*_]*[:：][\s*_]*")
_USER_PREFIX = re.compile("^" + _LABEL, re.I)
_OTHER_ROLE = re.compile(
    r"(?:^|\n)[\s*_#>]*[\[(<]?\s*(?:assistant|ai|ai assistant|chatbot|bot|system)\s*[\])>]?[*_]*\s*[:：]", re.I)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]+|\d+\s*[.)]|[a-z]\))\s*", re.I)
_QUOTES = {'"': '"', "“": "”", "'": "'"}


def clean_turn(text: str) -> str:
    """A simulator output as a user turn: role labels off, any assistant part cut."""
    m = _OTHER_ROLE.search(text)
    if m:
        text = text[:m.start()]
    text = text.strip()
    for _ in range(3):
        stripped = _USER_PREFIX.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    if len(text) >= 2 and text[0] in _QUOTES:
        close = _QUOTES[text[0]]
        if text[-1] == close and close not in text[1:-1]:
            text = text[1:-1].strip()
    return text


def parse_subtopics(text: str, limit: int, truncated: bool = False) -> list[str]:
    """The subtopics of a list reply: one per line, markers and headers dropped, unique."""
    lines = text.strip().splitlines()
    if truncated and lines:
        lines = lines[:-1]
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        item = _LIST_MARK.sub("", line).strip().strip("*_\"'“”").strip().rstrip(".;,").strip()
        if not item or item.endswith(":") or len(item.split()) > 20:
            continue
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out[:limit]


def transcript(messages: list[dict[str, str]]) -> str:
    return "\n\n".join(f"{'User' if m['role'] == 'user' else 'Assistant'}: {m['content']}" for m in messages)


def simulator_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """What the user simulator sees before writing the next user turn."""
    return [{"role": "system", "content": SIMULATOR_SYSTEM},
            {"role": "user", "content": SIMULATOR_USER.format(transcript=transcript(messages))}]


class UltraChatParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """UltraChat knobs; round ranges follow the paper. Give at most one seed source."""

    sector: Sector = "world"
    openings: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    topics: Annotated[list[Annotated[str, Meta(min_length=1, max_length=1000)]],
                      Meta(min_length=1, max_length=1_000_000)] | None = None
    passages: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    user_simulator: GeneratorRef | None = None
    min_rounds: Annotated[int, Meta(ge=1, le=16)] | None = None
    max_rounds: Annotated[int, Meta(ge=1, le=16)] | None = None
    dialogues_per_seed: Annotated[int, Meta(ge=1, le=100)] = 1
    subtopics: Annotated[int, Meta(ge=0, le=50)] = 5
    expand_rate: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.8
    drop_no_emotions: bool = True


class UltraChatJob(JobSpecBase, tag="ultrachat", kw_only=True, forbid_unknown_fields=True):
    """An UltraChat job: one multi-turn dialogue per seed (or `dialogues_per_seed`)."""

    params: UltraChatParams = msgspec.field(default_factory=UltraChatParams)


def seeds_of(p: UltraChatParams) -> tuple[str, list[str]]:
    """(kind, seeds): kind is "opening", "topic" or "passage". Raises InvalidSpec."""
    given = [name for name in ("openings", "topics", "passages") if getattr(p, name) is not None]
    if len(given) > 1:
        raise invalid(f"params.{given[1]}", "give at most one of params.openings, params.topics and params.passages")
    if p.passages is not None and p.sector != "materials":
        raise invalid("params.passages", "passages are for sector 'materials'", p.sector)
    if p.topics is not None and p.sector == "materials":
        raise invalid("params.topics", "the materials sector asks about passages: give params.passages or params.openings")
    if p.openings is not None:
        return "opening", list(p.openings)
    if p.topics is not None:
        return "topic", list(p.topics)
    if p.passages is not None:
        return "passage", list(p.passages)
    if p.sector == "world":
        return "topic", list(DEFAULT_META_TOPICS)
    if p.sector == "writing":
        return "topic", list(DEFAULT_WRITING_TYPES)
    raise invalid("params.passages", "the materials sector needs params.passages (or params.openings)")


def round_range(p: UltraChatParams) -> tuple[int, int]:
    lo, hi = SECTOR_ROUNDS[p.sector]
    return (p.min_rounds if p.min_rounds is not None else lo, p.max_rounds if p.max_rounds is not None else hi)


class Plan(NamedTuple):
    """One dialogue's draws, fixed before any call."""

    seed: int
    dialogue: int
    rounds: int
    style: int        # world: opening question style
    kind: int         # materials: kind of request
    template: int     # materials template
    detailed: bool    # writing: detailed request
    subtopic: int     # world: which listed subtopic


def draw_plans(p: UltraChatParams, n_seeds: int, rng: Any) -> list[Plan]:
    """Every dialogue's plan, drawn in item order (the same plan on resume)."""
    lo, hi = round_range(p)
    plans = []
    for i in range(n_seeds):
        offset = rng.randrange(1 << 16)
        for j in range(p.dialogues_per_seed):
            plans.append(Plan(
                seed=i, dialogue=j, rounds=rng.randint(lo, hi),
                style=rng.randrange(len(WORLD_STYLES)), kind=rng.randrange(len(MATERIALS_KINDS)),
                template=rng.randrange(len(MATERIALS_TEMPLATES)),
                detailed=rng.random() < p.expand_rate, subtopic=offset + j,
            ))
    return plans


def item_key(plan: Plan, width: int) -> str:
    return f"d{plan.seed:0{width}d}_{plan.dialogue}"


def _with_detail(v: Verdict, where: str) -> Verdict:
    return Verdict(v.stage, v.reason, f"{where}: {v.detail}" if v.detail else where)


class UltraChat(Recipe[UltraChatJob]):
    name = "ultrachat"
    summary = "Multi-turn dialogues between a user simulator and an assistant, seeded by sector (UltraChat)."
    Spec = UltraChatJob
    mixes_not = "it has two roles (generator: the assistant; params.user_simulator: the user); name one model per role"

    def validate(self, spec: UltraChatJob, env: Env) -> int:
        p = spec.params
        if p.user_simulator is not None:
            check_generator(p.user_simulator, env, "params.user_simulator")
        lo, hi = round_range(p)
        if lo > hi:
            field, value = ("params.min_rounds", lo) if p.min_rounds is not None else ("params.max_rounds", hi)
            d_lo, d_hi = SECTOR_ROUNDS[p.sector]
            raise invalid(field, f"min_rounds {lo} exceeds max_rounds {hi} (sector {p.sector}: {d_lo}-{d_hi})", value)
        _, seeds = seeds_of(p)
        n = len(seeds) * p.dialogues_per_seed
        if spec.target is not None and spec.target > n:
            raise invalid("target", f"target {spec.target} exceeds the {n} dialogues the seeds give "
                                    f"({len(seeds)} seeds x dialogues_per_seed {p.dialogues_per_seed})", spec.target)
        return spec.target or n

    async def run(self, ctx: RecipeContext[UltraChatJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        kind, seeds = seeds_of(p)
        assistant = ctx.generator
        sim: Model = ctx.model(p.user_simulator) if p.user_simulator is not None else assistant
        a_params = assistant.sampling(ASSISTANT_SAMPLING)
        s_params = sim.sampling(SIMULATOR_SAMPLING) | {"stop": SIMULATOR_STOP}
        t_params = sim.sampling(SUBTOPIC_SAMPLING)
        sim_info = {**sim.provenance, "sampling": s_params}
        assistant_filter = ResponseFilter(msgspec.structs.replace(spec.filters, max_words=10**9))
        user_filter = ResponseFilter(msgspec.structs.replace(spec.filters, min_words=0, max_words=10**9))
        width = len(str(len(seeds) - 1))
        # Drawn from the job's seed, so every shard (and a resumed run) has the same plans.
        plans = draw_plans(p, len(seeds), ctx.job_rng())
        todo = ctx.items(plans, prefix="d", key=lambda _i, plan: item_key(plan, width))
        subtopic_lists: dict[int, asyncio.Task[list[str]]] = {}

        async def list_subtopics(topic: str) -> list[str]:
            prompt = SUBTOPIC_PROMPT.format(k=p.subtopics, topic=topic)
            c = await sim.chat([{"role": "user", "content": prompt}], t_params)
            return parse_subtopics(c.text, p.subtopics, c.finish_reason == "length")

        async def simulate(messages: list[dict[str, str]]) -> tuple[str, Completion]:
            c = await sim.chat(messages, s_params)
            return clean_turn(c.text), c

        async def opening(plan: Plan, seed: str, data: dict[str, Any]) -> tuple[str, str, Completion | None] | None:
            """(opening request, first user turn, the simulator's completion if it wrote it);
            None when the topic's subtopic list gave no subtopic (the dialogue is rejected)."""
            if kind == "opening":
                return seed, seed, None
            if kind == "passage":
                prompt = MATERIALS_PROMPT.format(passage=seed, kind=MATERIALS_KINDS[plan.kind])
                request, c = await simulate([{"role": "user", "content": prompt}])
                first = MATERIALS_TEMPLATES[plan.template].format(passage=seed, request=request)
                return request, first, c
            if p.sector == "writing":
                prompt = WRITING_PROMPT.format(kind=seed, detail=WRITING_DETAILED if plan.detailed else WRITING_BRIEF)
            else:
                subject = seed
                if p.subtopics:
                    task = subtopic_lists.get(plan.seed)
                    if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
                        # first dialogue of this topic, or the shared list call failed: (re)try it
                        task = subtopic_lists[plan.seed] = asyncio.ensure_future(list_subtopics(seed))
                    subs = await task
                    if not subs:
                        return None
                    subject = data["subtopic"] = subs[plan.subtopic % len(subs)]
                prompt = WORLD_PROMPT.format(subject=subject, style=WORLD_STYLES[plan.style])
            request, c = await simulate([{"role": "user", "content": prompt}])
            return request, request, c

        async def one(slot: Slot, item: tuple[str, Plan]) -> None:
            key, plan = item
            seed = seeds[plan.seed]
            data: dict[str, Any] = {"sector": p.sector, "seed_index": plan.seed, "dialogue": plan.dialogue,
                                    "rounds": plan.rounds}
            if kind == "topic":
                data["topic"] = seed
            elif kind == "passage":
                data["passage_index"] = plan.seed
            data["user_simulator"] = sim_info

            async def drop(verdict: Verdict, messages: list[dict[str, str]]) -> None:
                await slot.reject(key, verdict, {**data, "messages": messages})

            opened = await opening(plan, seed, data)
            if opened is None:
                # Never the bare meta-topic instead: the docs promise dialogues on subtopics.
                await drop(Verdict("simulator", "no_subtopics",
                                   f"the subtopic list of {seed!r} gave no subtopic (one per line expected)"), [])
                return
            request, first, c = opened
            if c is not None:
                v = user_filter.verdict(request, c.finish_reason)
                if v is not None:
                    await drop(_with_detail(Verdict("simulator", v.reason, v.detail), "opening"),
                               [{"role": "user", "content": c.text}])
                    return
            messages = [{"role": "user", "content": first}]
            answers: list[str] = []
            last: Completion | None = None
            for r in range(1, plan.rounds + 1):
                last = await assistant.chat(messages, a_params)
                messages.append({"role": "assistant", "content": last.text})
                v = assistant_filter.verdict(last.text, last.finish_reason)
                if v is None and p.drop_no_emotions:
                    m = NO_EMOTIONS.search(last.text)
                    if m:
                        v = Verdict("filter", "no_emotions", m.group(0))
                if v is not None:
                    await drop(_with_detail(v, f"assistant turn {r}"), messages)
                    return
                answers.append(last.text)
                if r == plan.rounds:
                    break
                turn, c = await simulate(simulator_messages(messages))
                v = user_filter.verdict(turn, c.finish_reason)
                if v is not None:
                    await drop(_with_detail(Verdict("simulator", v.reason, v.detail), f"user turn {r + 1}"),
                               [*messages, {"role": "user", "content": c.text}])
                    return
                messages.append({"role": "user", "content": turn})
            record = {"messages": messages, "prompt": first, "opening": request, **data}
            # served: the assistant's last turn (as finish_reason), never the user simulator's
            await slot.offer(Candidate(
                key=key, data=record, text="\n\n".join(answers),
                finish_reason=last.finish_reason if last else None, sampling=a_params,
                served=last.served() if last else None,
            ))

        await ctx.each(todo, one)
        await ctx.drain()
        if not ctx.stopped and ctx.target is not None and ctx.kept < ctx.target:
            return RunOutcome(shortfall=f"made {ctx.kept} of {ctx.target} dialogues: the others were rejected")
        return DONE


RECIPE = UltraChat()
