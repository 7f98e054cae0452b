"""PersonaHub (Ge et al. 2024, tencent-ailab/persona-hub; arXiv 2406.20094): persona-driven
synthetic prompts. A persona is put into a template ("guess a prompt this persona may ask",
"create a math problem related to this persona"...) so that the same template, filled with
many different personas, gives many different prompts.

Algorithm (shared/reference/recipes.md section 8):
1. Personas come from one of three sources (`params`):
   - `personas` / `persona_file`: given directly (one persona per line of a registered
     prompt file);
   - `texts` / `text_file`: Text-to-Persona, "who is likely to <read|write|like|dislike>
     the following text?", one persona per text and relation (`relations`, default read).
   Then Persona-to-Persona ("who is in close relationship with the given persona?")
   runs `expand_iterations` times: every persona made by the previous round gets one
   related persona. The paper ran 6 iterations; the default here is 0 (no expansion),
   because each round adds a model call per persona and most jobs bring their personas.
2. Dedup: MinHash of the lowercased word unigrams (1-grams), 128 permutations, fixed seed,
   threshold 0.9 (datasketch MinHash + MinHashLSH). Personas are taken in creation order
   (given/texts first, then each expansion round); one whose Jaccard with an earlier kept
   persona is >= 0.9 is dropped, a reject (stage "persona", reason "duplicate_persona")
   that names the persona it duplicates. LSH candidates are confirmed with the exact
   Jaccard of the two word sets, so the 0.9 cut is exact for every pair the LSH finds;
   the LSH bands are tuned for recall (datasketch weights 0.1 false positive / 0.9 false
   negative: 8 bands x 16 rows) because the confirmation removes its false positives.
   The paper's later passes (embedding cosine > 0.9, heuristics) are left to the job's
   dedup stages.
3. Synthesis: the chosen template (`template`: instruction, math, knowledge, npc) with the
   persona verbatim in it, sent by chat with the original code's system message. Checks:
   the output must start with the template's prefix ("User prompt:", "Math problem:",
   "Title:", "Name:"; leading whitespace and markdown markers such as `**` or `#` are
   tolerated, case is not significant), else reject "missing_prefix"; a math output that
   carries a solution ("Solution:", "Answer:", "Step 1", a \\boxed{} result) is rejected
   "has_solution"; a synthesis cut by max_tokens is rejected "truncated" (when the job's
   filters drop truncated text). The "at most 2 sub-problems" rule is asked, not checked.
4. Optional response (`respond`, default true for instruction and math, false for
   knowledge and npc): the synthesized prompt, prefix removed, is sent as the user turn
   (by `responder` when given, else the job's generator) and the pair becomes `messages`.
   The record's text judged by the job's filters is the response, or the synthesized
   text when there is none.

Record: `persona`, `persona_id` (its lineage key, e.g. "t003-read-e1"), `persona_source`
({from: given|text|persona, index, relation, parent, iteration}), `template`, `prompt`
(the synthesized text), `finish_reason` (of the synthesis), and with a response
`response` and `messages` ([user prompt, assistant response]). `strip_prefix` decides
whether `prompt` keeps the template prefix: by default it is stripped for instruction and
math (a label in front of the prompt) and kept for knowledge and npc (part of the
document: the article's title line, the NPC's name line).

Target: one record per unique persona (per template). When `target` is omitted the job
makes a record for every unique persona whose output passes, and the job's target stays
unset (the number of unique personas is known only after creation and dedup); a given
`target` stops the job once reached and, when there are too few passing personas, fails
it with target-not-reached. `attempts` (default 1, as in the paper) lets a persona whose
output was rejected be tried again. The loops are finite (personas x attempts), so the
job's request budget is not consulted.

Sampling: temperature 0.7 (the paper's GPT-4o setting) and max_tokens 2048 for every call.
The original vLLM script samples with temperature 0.6, top_p 0.95, max_tokens 2048: set
them in `generator.sampling` to follow it.

Resume: keys derive from the persona's lineage (source index, relation, iteration), not
from the model's text, so a restarted worker skips what is committed; personas already
used by committed records or rejects are read back from them and take precedence in the
dedup, and only personas never committed are made again.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Iterator, Literal, Sequence

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import GeneratorRef, JobSpecBase
from service.pipeline.minhash import MinHashIndex, jaccard  # noqa: F401 (jaccard: part of this module's API)
from service.pipeline.records import field_of
from service.pipeline.run import DONE, Model, RecipeContext, RunOutcome, Slot
from service.pipeline.stages import Candidate, Verdict, error_detail, refusal_pattern
from service.providers.base import ProviderError
from service.recipes.base import Env, Recipe, Text, check_generator, count_prompts, load_prompts, system_turn

Template = Literal["instruction", "math", "knowledge", "npc"]
Relation = Literal["read", "write", "like", "dislike"]

DEFAULT_SAMPLING: dict[str, Any] = {"temperature": 0.7, "max_tokens": 2048}
# The system message of the original synthesis script.
SYSTEM_PROMPT = "You are a helpful assistant."
MINHASH_SEED = 1
MINHASH_PERM = 128
LSH_WEIGHTS = (0.1, 0.9)  # (false positive, false negative): favour recall, then confirm

TEXT_TO_PERSONA = """What kind of person is likely to {relation} the text below? Describe that person as a persona, in detail and specifically.

Text:
{text}

Reply with the persona description only, in one to three sentences."""

PERSONA_TO_PERSONA = """Who is in a close relationship with the persona below? Think of one such person (a relative, a colleague, a client, a patient, a student, a rival, someone they serve or who serves them) and describe that person as a new persona, in detail and specifically.

Persona: {persona}

Reply with the new persona's description only, in one to three sentences."""

INSTRUCTION = """Put yourself in the place of the person described below and guess one request they might bring to you, an AI assistant.

Persona: {persona}

Guidelines:
1. Make the request informative and specific, clearly shaped by who this person is.
2. Write only the request, and begin your reply with "User prompt:"."""

MATH = """Write a math problem connected to the persona below.

Persona: {persona}

Guidelines:
1. Make it hard: it should call for advanced mathematical knowledge and skill, so that only the very best problem solvers get it right.
2. Build on the details of the persona, so that the problem belongs to this person's world and to no one else's.
3. Begin your reply with "Math problem:". Do not solve the problem and do not give its answer.
4. Use no more than two sub-problems."""

KNOWLEDGE = """{persona}

Take on the role of the person described above. Drawing on your knowledge, skills, experience and insights, write an article for Quora that helps its readers learn something and benefit from it.

Guidelines:
1. Keep the article specific, informative and rich in knowledge.
2. Begin your reply with "Title:"."""

NPC = """World of Warcraft (WoW) is Blizzard Entertainment's online role-playing game, set in Azeroth, a high-fantasy world of old magic, many peoples and long wars.

The world: its continents are the Eastern Kingdoms (humans, dwarves, gnomes, the undead Forsaken), Kalimdor (orcs, night elves, tauren, trolls), frozen Northrend of the Lich King, misty Pandaria of the pandaren, the Broken Isles with the Tomb of Sargeras, the troll realm of Zandalar and the human sea power of Kul Tiras; beyond life lie the Shadowlands.

Its history: the Titans shaped Azeroth and locked the corrupting Old Gods (C'Thun, Yogg-Saron, N'Zoth, Y'Shaarj) beneath it. Queen Azshara's highborne drew on the Well of Eternity and called the demonic Burning Legion of Sargeras; the War of the Ancients ended in the Sundering that broke the old continent and made the Maelstrom. Troll empires rose and waned, the night elves guarded the World Tree and the Emerald Dream, and human kingdoms such as Stormwind, Lordaeron and Dalaran grew strong. Orcs corrupted by the Legion came through the Dark Portal and fought the First and Second Wars against the Alliance. The Lich King's Scourge brought the Third War and the fall of Lordaeron. Later ages brought Outland, the war in Northrend, Deathwing's Cataclysm, the mists of Pandaria, the Iron Horde of Draenor, the Legion's invasion, the renewed war of Horde and Alliance and the journey into the Shadowlands.

Its themes: conflict and unity, corruption and redemption, legacy and heritage, magic beside technology, exploration and discovery. Among its best-known figures are Thrall, Jaina Proudmoore, Sylvanas Windrunner, Anduin Wrynn, Arthas Menethil, Illidan Stormrage, Tyrande Whisperwind, Khadgar, Varok Saurfang and Magni Bronzebeard.

Imagine the person described below arriving in the world of WoW. What non-player character (NPC) would they become?

Persona: {persona}

Guidelines:
1. Begin your reply with "Name:".
2. Make the NPC specific and true to the game's world.
3. Say how the NPC deals with players in the game."""

TEMPLATES: dict[str, str] = {"instruction": INSTRUCTION, "math": MATH, "knowledge": KNOWLEDGE, "npc": NPC}
PREFIXES: dict[str, str] = {
    "instruction": "User prompt:", "math": "Math problem:", "knowledge": "Title:", "npc": "Name:",
}
# Templates whose prefix is a label in front of the prompt (stripped by default) rather
# than part of the document (kept by default).
LABEL_PREFIX = ("instruction", "math")
RESPOND_BY_DEFAULT = ("instruction", "math")

_LEAD = r"^[\s*#_>`]*"
_PREFIX_RE = {t: re.compile(_LEAD + re.escape(p.rstrip(":")) + r"\s*[*_]*\s*:[*_]*\s*", re.I)
              for t, p in PREFIXES.items()}
_SOLUTION_RE = re.compile(
    r"\b(?:solutions?|answers?|final\s+answer)\s*[*_]*\s*:|\bstep\s*1\b|\\boxed\s*\{", re.I
)
_PERSONA_LABEL = re.compile(r"^[\s*#_>`\"']*(?:new\s+)?persona(?:\s+description)?\s*[*_]*\s*:[*_]*\s*", re.I)
_WORD = re.compile(r"\w+")


class PersonaHubParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where personas come from, how they grow, and what each one is asked to make."""

    template: Template = "instruction"
    personas: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    persona_file: Name | None = None
    texts: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    text_file: Name | None = None
    relations: Annotated[list[Relation], Meta(min_length=1, max_length=4)] | None = None
    expand_iterations: Annotated[int, Meta(ge=0, le=10)] = 0
    dedup_threshold: Annotated[float, Meta(ge=0.5, le=1.0)] = 0.9
    respond: bool | None = None
    responder: GeneratorRef | None = None
    strip_prefix: bool | None = None
    attempts: Annotated[int, Meta(ge=1, le=5)] = 1
    system_prompt: Annotated[str, Meta(max_length=100_000)] | None = SYSTEM_PROMPT


class PersonaHubJob(JobSpecBase, tag="persona-hub", kw_only=True, forbid_unknown_fields=True):
    """A PersonaHub job: one persona-driven prompt (and response) per unique persona."""

    params: PersonaHubParams = msgspec.field(default_factory=PersonaHubParams)


# -- pure parts -------------------------------------------------------------------------


def responds(p: PersonaHubParams) -> bool:
    return p.respond if p.respond is not None else p.template in RESPOND_BY_DEFAULT


def strips(p: PersonaHubParams) -> bool:
    return p.strip_prefix if p.strip_prefix is not None else p.template in LABEL_PREFIX


def text_to_persona_prompt(text: str, relation: str) -> str:
    return TEXT_TO_PERSONA.format(relation=relation, text=text)


def persona_to_persona_prompt(persona: str) -> str:
    return PERSONA_TO_PERSONA.format(persona=persona)


def synthesis_prompt(template: str, persona: str) -> str:
    return TEMPLATES[template].replace("{persona}", persona)


def clean_persona(text: str) -> str:
    """A model's persona answer as one line: label ("Persona:") and wrapping quotes removed."""
    text = _PERSONA_LABEL.sub("", text.strip(), count=1)
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def check_output(template: str, text: str) -> tuple[str | None, str]:
    """(reject reason or None, the text after the template's prefix)."""
    m = _PREFIX_RE[template].match(text)
    if m is None:
        return "missing_prefix", text.strip()
    body = text[m.end():].strip()
    if not body:
        return "missing_prefix", body
    if template == "math" and _SOLUTION_RE.search(body):
        return "has_solution", body
    return None, body


def words(text: str) -> set[str]:
    """The lowercased word 1-grams of a persona, the unit of its MinHash."""
    return set(_WORD.findall(text.lower()))


class PersonaDedup(MinHashIndex):
    """Near-duplicate personas by MinHash LSH over word unigrams, confirmed by exact Jaccard.

    `add` returns None for a new persona (now indexed), or (key, jaccard) of the earliest
    indexed persona it duplicates. Deterministic: fixed MinHash seed, insertion order.
    """

    def __init__(self, threshold: float = 0.9, num_perm: int = MINHASH_PERM):
        super().__init__(threshold, num_perm, words, seed=MINHASH_SEED, weights=LSH_WEIGHTS, confirm=True)


def dedup(personas: list[str], threshold: float = 0.9) -> tuple[list[int], dict[int, int]]:
    """Indices of the personas kept, and {dropped index: index of the kept one it duplicates}."""
    d = PersonaDedup(threshold)
    kept, dropped = [], {}
    for i, persona in enumerate(personas):
        hit = d.add(str(i), persona)
        if hit is None:
            kept.append(i)
        else:
            dropped[i] = int(hit[0])
    return kept, dropped


# -- the recipe --------------------------------------------------------------------------


class Node(msgspec.Struct):
    """One persona in the lineage: `key` is stable across runs, `persona` may be unknown yet."""

    key: str
    source: dict[str, Any]
    persona: str | None = None
    root: str = ""


class PersonaHub(Recipe[PersonaHubJob]):
    name = "persona-hub"
    summary = "Persona-driven prompts (and responses): personas from texts or given, expanded, deduplicated (PersonaHub)."
    Spec = PersonaHubJob
    mixes_not = ("personas are expanded and deduplicated across the job by one generator; "
                 "name a second model as params.responder")
    shared_state = ("the persona lineage and the persona near-duplicate index: stages 1-2 run once per job "
                    "(the job's value 'personas', computed by one shard), then shards split the unique personas",)

    def validate(self, spec: PersonaHubJob, env: Env) -> int | None:
        p = spec.params
        given = {"personas": p.personas, "persona_file": p.persona_file, "texts": p.texts, "text_file": p.text_file}
        named = [k for k, v in given.items() if v is not None]
        if len(named) != 1:
            raise invalid("params.personas", "give exactly one of params.personas, params.persona_file, "
                          f"params.texts and params.text_file (got {named or 'none'})")
        for field in ("persona_file", "text_file"):
            name = given[field]
            if name is not None and name not in env.settings.prompt_files:
                raise invalid(f"params.{field}", f"no prompt file named {name!r} is registered", name)
        if p.relations is not None and p.texts is None and p.text_file is None:
            raise invalid("params.relations", "relations apply to Text-to-Persona: give params.texts or params.text_file")
        if p.responder is not None:
            check_generator(p.responder, env, "params.responder")
            if not responds(p):
                raise invalid("params.responder", "a responder needs params.respond (it is off for this template)")
        if not responds(p) and spec.format != "native":
            raise invalid("format", f"without a response a {p.template} record is no conversation; "
                          "use format 'native' or set params.respond", spec.format)
        if spec.target is not None:
            if p.personas is not None or p.persona_file is not None:
                n = count_prompts(p.personas, p.persona_file, env.settings, "params")
            else:
                n = count_prompts(p.texts, p.text_file, env.settings, "params") * len(set(p.relations or ["read"]))
            n *= 1 + p.expand_iterations
            what = "personas this job can make at most"
            if spec.target > n:
                raise invalid("target", f"target {spec.target} exceeds the {n} {what} (one record per persona)", spec.target)
        return spec.target

    async def run(self, ctx: RecipeContext[PersonaHubJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        params = ctx.sampling(DEFAULT_SAMPLING)
        system = system_turn(p.system_prompt)
        prior = await self._committed(ctx)

        async def personas() -> list[Node]:
            nodes = await self._personas(ctx, p, params, system, prior)
            ctx.check()
            return await self._dedup(ctx, p, nodes, prior)

        # Stages 1-2 run once per job (the dedup sees every persona, in one order); every
        # shard reads their result, then takes the unique personas in chunks.
        unique = await ctx.once("personas", personas, list[Node])
        await self._synthesize(ctx, p, params, system, unique, prior)
        await ctx.drain()
        if ctx.stopped:
            return DONE
        if spec.target is not None and ctx.kept < spec.target:
            return RunOutcome(shortfall=f"made {ctx.kept} of {spec.target}: {len(unique)} unique personas, "
                                        f"{p.attempts} attempt(s) each; see the job's rejects")
        if spec.target is None:
            return RunOutcome(inputs=len(unique), note=f"{ctx.kept} records from {len(unique)} unique personas")
        return DONE

    # -- resume ------------------------------------------------------------------------

    async def _committed(self, ctx: RecipeContext[PersonaHubJob]) -> dict[str, Any]:
        """What earlier runs of this job committed: personas by lineage key, decided
        persona-stage outcomes, lineage keys used by synthesis, and record keys."""
        out: dict[str, Any] = {"persona": {}, "decided": set(), "used": set(), "records": set()}
        committed = await ctx.committed(rejects=True)
        for line in committed.records + committed.rejects:
            node, persona = field_of(line, "persona_id"), field_of(line, "persona")
            key = committed.key(line)
            if not node:
                continue
            if persona:
                out["persona"][node] = persona
            if key.endswith("-p"):
                out["decided"].add(node)
            else:
                out["used"].add(node)
        out["records"] = {committed.key(r) for r in committed.records}
        return out

    # -- 1. personas -------------------------------------------------------------------

    async def _personas(self, ctx: RecipeContext[PersonaHubJob], p: PersonaHubParams, params: dict[str, Any],
                        system: list[dict[str, str]], prior: dict[str, Any]) -> list[Node]:
        if p.personas is not None or p.persona_file is not None:
            given = load_prompts(p.personas, p.persona_file, ctx.env.settings, "params")
            w = len(str(len(given)))
            level = [Node(f"g{i:0{w}d}", {"from": "given", "index": i}, persona.strip() or None)
                     for i, persona in enumerate(given)]
            for n in level:
                if not n.persona and not ctx.is_done(f"{n.key}-p"):
                    await self._persona_reject(ctx, n, "empty_persona", "the given persona is blank")
        else:
            texts = load_prompts(p.texts, p.text_file, ctx.env.settings, "params")
            relations = list(dict.fromkeys(p.relations or ["read"]))
            w = len(str(len(texts)))
            level = [Node(f"t{i:0{w}d}-{rel}", {"from": "text", "index": i, "relation": rel})
                     for i in range(len(texts)) for rel in relations]
            await self._make(ctx, level, lambda n: text_to_persona_prompt(texts[n.source["index"]], n.source["relation"]),
                             params, system, prior)
        nodes = [n for n in level if n.persona]
        for k in range(1, p.expand_iterations + 1):
            if ctx.stopped:
                break
            parents = [n for n in level if n.persona]
            level = [Node(f"{n.root or n.key}-e{k}", {"from": "persona", "parent": n.key, "iteration": k},
                          root=n.root or n.key)
                     for n in parents]
            by_key = {n.key: n for n in parents}
            await self._make(ctx, level, lambda n: persona_to_persona_prompt(by_key[n.source["parent"]].persona or ""),
                             params, system, prior)
            nodes.extend(n for n in level if n.persona)
        return nodes

    async def _make(self, ctx: RecipeContext[PersonaHubJob], level: list[Node], prompt_of: Any, params: dict[str, Any],
                    system: list[dict[str, str]], prior: dict[str, Any]) -> None:
        """Fill `persona` of the nodes of one level by the model (or from committed data)."""
        refusals = refusal_pattern(ctx.spec.filters)
        todo: Iterator[Node] = iter(level)

        async def lane() -> None:
            for node in todo:
                if ctx.stopped:
                    return
                if node.key in prior["persona"]:
                    node.persona = prior["persona"][node.key]
                    continue
                if node.key in prior["decided"] or ctx.is_done(f"{node.key}-p"):
                    continue  # its creation failed in an earlier run
                prompt = prompt_of(node)
                try:
                    c = await ctx.chat([*system, {"role": "user", "content": prompt}], params)
                except ProviderError as exc:
                    await self._persona_reject(ctx, node, "provider_error", error_detail(exc))
                    continue
                persona = clean_persona(c.text)
                if not persona:
                    await self._persona_reject(ctx, node, "empty_persona", None, c.text)
                elif c.finish_reason == "length" and ctx.spec.filters.drop_truncated:
                    await self._persona_reject(ctx, node, "truncated", "the provider stopped at max_tokens", persona)
                elif refusals is not None and (m := refusals.search(persona.lower())):
                    await self._persona_reject(ctx, node, "refusal", m.group(0), persona)
                else:
                    node.persona = persona

        await ctx.lanes(lane)

    async def _persona_reject(self, ctx: RecipeContext[PersonaHubJob], node: Node, reason: str, detail: str | None,
                              text: str | None = None) -> None:
        await ctx.reject(f"{node.key}-p", Verdict("persona", reason, detail),
                         {"persona_id": node.key, "persona_source": node.source,
                          **({"persona_text": text} if text else {})})

    # -- 2. dedup -------------------------------------------------------------------------

    async def _dedup(self, ctx: RecipeContext[PersonaHubJob], p: PersonaHubParams, nodes: list[Node], prior: dict[str, Any]) -> list[Node]:
        d = PersonaDedup(p.dedup_threshold)
        # Personas an earlier run already used stay; new ones are measured against them.
        for n in nodes:
            if n.key in prior["used"] and n.persona:
                d.index(n.key, n.persona)
        by_key = {n.key: n for n in nodes}
        unique = []
        for n in nodes:
            assert n.persona is not None
            if n.key in prior["used"]:
                unique.append(n)
                continue
            if n.key in prior["decided"]:
                continue  # dropped as a duplicate by an earlier run
            hit = d.add(n.key, n.persona)
            if hit is None:
                unique.append(n)
                continue
            other, sim = hit
            assert sim is not None  # confirmed hits carry their Jaccard
            await ctx.reject(f"{n.key}-p", Verdict("persona", "duplicate_persona", f"Jaccard {sim:.3f} with {other}"),
                             {"persona": n.persona, "persona_id": n.key, "persona_source": n.source,
                              "duplicate_of": by_key[other].persona, "duplicate_of_id": other,
                              "jaccard": round(sim, 4)})
        return unique

    # -- 3. synthesis (and 4. response) ------------------------------------------------------

    async def _synthesize(self, ctx: RecipeContext[PersonaHubJob], p: PersonaHubParams, params: dict[str, Any],
                          system: list[dict[str, str]], unique: list[Node], prior: dict[str, Any]) -> None:
        respond = responds(p)
        strip = strips(p)
        responder: Model = ctx.model(p.responder) if p.responder is not None else ctx.generator
        rparams = responder.sampling(DEFAULT_SAMPLING)
        drop_truncated = ctx.spec.filters.drop_truncated

        def keys(n: Node) -> list[str]:
            return [f"{n.key}-{p.template}{a}" for a in range(p.attempts)]

        def pending(n: Node) -> list[str]:
            ks = keys(n)
            if any(k in prior["records"] for k in ks):
                return []
            return [k for k in ks if not ctx.is_done(k)]

        async def restore(_nodes: Sequence[Node], fresh: bool) -> None:
            if not fresh:  # another run tried these personas: read what it committed
                again = await self._committed(ctx)
                prior["records"] |= again["records"]

        todo = ctx.items(unique, prefix="s", key=lambda _i, n: f"s-{n.key}", prepare=restore)

        async def attempt(slot: Slot, n: Node, key: str) -> bool:
            """One try for persona `n`; True when it became a record."""
            assert n.persona is not None
            base: dict[str, Any] = {"persona": n.persona, "persona_id": n.key, "persona_source": n.source,
                                    "template": p.template}
            prompt = synthesis_prompt(p.template, n.persona)
            try:
                c = await ctx.chat([*system, {"role": "user", "content": prompt}], params)
            except ProviderError as exc:
                await slot.reject(key, Verdict.from_error("generate", "provider_error", exc), base)
                return False
            reason, body = check_output(p.template, c.text)
            shown = body if strip else c.text.strip()
            data = {**base, "prompt": shown, "finish_reason": c.finish_reason}
            if c.finish_reason == "length" and drop_truncated:
                await slot.reject(key, Verdict("generate", "truncated", "the synthesis stopped at max_tokens"), data)
                return False
            if reason is not None:
                detail = (f"the output does not start with {PREFIXES[p.template]!r}" if reason == "missing_prefix"
                          else "the math problem comes with a solution or answer")
                await slot.reject(key, Verdict("check", reason, detail), data)
                return False
            if not respond:
                return await slot.offer(Candidate(key=key, data=data, text=c.text, finish_reason=c.finish_reason, served=c.served(),
                                                  sampling=params))
            user = [{"role": "user", "content": body}]
            try:
                r = await responder.chat(user, rparams)
            except ProviderError as exc:
                await slot.reject(key, Verdict.from_error("respond", "provider_error", exc), data)
                return False
            data |= {"response": r.text, "messages": [*user, {"role": "assistant", "content": r.text}]}
            # served: the response's call when the generator (the model meta names) answered;
            # with a separate responder its identity goes in data["responder"] and meta keeps
            # the synthesis call's, so the report never counts it under the generator
            served = r.served()
            if p.responder is not None:
                data["responder"] = {**responder.provenance, "sampling": rparams, "served": served}
                served = c.served()
            return await slot.offer(Candidate(key=key, data=data, text=r.text, finish_reason=r.finish_reason,
                                              sampling=params, served=served))

        async def lane() -> None:
            async for skey, n in todo:
                for key in pending(n):
                    slot = await ctx.slot()
                    if slot is None:
                        return
                    async with slot:
                        if await attempt(slot, n, key):
                            break
                todo.finished(skey)

        await ctx.lanes(lane)


RECIPE = PersonaHub()
