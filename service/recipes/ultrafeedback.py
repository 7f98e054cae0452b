"""UltraFeedback (Cui et al. 2023, OpenBMB/UltraFeedback; 2310.01377): K completions per
prompt from distinct models, each steered by a principle system prompt, rated by a judge
on four aspects, then binarized into a preference pair (Argilla's rule).

Algorithm (shared/reference/recipes.md section 5b):
1. Completions. For every prompt, K (`params.k`, default 4) distinct generators are
   drawn from `params.completers` (all of them when exactly K are given). Each one
   answers by chat with a principle system prompt: the principle is drawn from
   `params.principles` (default the code's ShareGPT/UltraChat mix [helpfulness x3,
   truthfulness, honesty]); honesty turns into verbalized calibration with probability
   `params.calibration_rate` (0.1), which gives the 60/20/18/2 split; the system
   prompt is one of the principle's variants (written for this module). Sampling
   defaults: temperature 1, top_p 1, 1024 tokens (each completer's `sampling` wins).
2. Rating. The judge (`params.judge`, default the job's `generator`) gets one chat call
   per aspect (instruction_following, honesty, truthfulness, helpfulness) rating all K
   texts together, shown in a shuffled order that is mapped back. The reply must split
   on blank lines into K blocks, each with "Rating: N" (1-5; honesty may say N/A, kept
   as missing) and "Rationale: ..."; truthfulness and helpfulness blocks may also carry
   "Type: ..." (hallucination / informativeness types), recorded when given. An
   unparseable reply is retried (reshuffled) up to `params.max_judge_retries` times;
   when it still does not parse the prompt is rejected (stage judge, reason
   judge_unparseable). Judge sampling defaults: temperature 0, top_p 0.6.
3. Binarization (Argilla): a completion's mean is the average of its aspect ratings
   (missing ones left out); chosen = the best mean; rejected = a random completion with
   a strictly lower mean; when every mean is equal there is no pair and the prompt is
   rejected (stage pair, reason tie). The job's filters then judge the chosen text.

Record (native): {prompt, chosen, rejected, score_chosen, score_rejected, messages
(user prompt + chosen answer, without the principle system prompt, as H4 does),
completions: [{provider, model, principle, system, text, finish_reason, ratings:
{aspect: {rating, rationale[, type]}}, mean}], chosen_model, rejected_model}.
Record meta: provider/model/licence are the chosen completion's; `judge` and
`completers` (the K used) carry theirs, and `licences` lists every licence involved
(completers and judge), so a pair is never traced to the job's main generator alone.
Resume: one item per prompt (key = its index); committed prompts are skipped.

Choices and deviations (each a parameter where it can be):
- Retries: `max_judge_retries` (default 3) counts calls after the first; the original
  made up to 10 calls in all.
- The original's GPT-4 judge used max 500 tokens for 4 texts; the default here is 1024
  so that K up to 8 fits (set `params.judge.sampling.max_tokens` to change it).
- The original gave the truthfulness judge per-source "world knowledge"; prompts here
  are plain strings, so the judge is told none is given.
- The original's per-source principle splits (FLAN [help x4, VC], TruthfulQA/FalseQA
  [honesty, truthfulness]) are reachable through `params.principles`; one entry fixes
  the principle. Harmlessness has variants but is in no default mix (as in the code).
- The overall-score critique call (`overall_score`, 1-10) is not made: Argilla's
  binarization uses only the four aspect ratings.
- Best-mean ties: chosen is drawn at random among the completions sharing the best mean
  (Argilla takes the first), so a fixed completer order gives no positional bias.
- Randomness: each prompt's draws (completers, principles, shuffles, rejected pick)
  come from a random.Random seeded with the job's seed (ctx.rng's seed) and the
  prompt's key, so they do not depend on how concurrent lanes interleave or on resume.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import Name
from service.domain.specs import GeneratorRef, JobSpecBase, Probability
from service.pipeline.run import DONE, JUDGE, RecipeContext, RunOutcome, Slot, gather_all
from service.pipeline.stages import Candidate, Verdict
from service.recipes.base import Env, Recipe, Text, check_generator, load_prompts, prompts_target

COMPLETION_SAMPLING: dict[str, Any] = {"temperature": 1.0, "top_p": 1.0, "max_tokens": 1024}
JUDGE_SAMPLING: dict[str, Any] = {"temperature": 0.0, "top_p": 0.6, "max_tokens": 1024}

Principle = Literal["helpfulness", "honesty", "truthfulness", "harmlessness", "verbalized_calibration"]
# The code's split for ShareGPT and UltraChat prompts (honesty -> VC at calibration_rate).
DEFAULT_PRINCIPLES: tuple[str, ...] = ("helpfulness", "helpfulness", "helpfulness", "truthfulness", "honesty")

PRINCIPLE_PROMPTS: dict[str, tuple[str, ...]] = {
    "helpfulness": (
        "You are an AI assistant whose aim is to be genuinely useful. Give answers that are "
        "accurate, relevant and complete, and that leave the user better informed or closer to their goal.",
        "As a helpful assistant, make each answer count: work out what the user actually needs, "
        "address it directly, and add the context or steps that make the answer easy to act on.",
        "Your job is to help the user as well as you can. Be correct, specific and clear, keep to "
        "what was asked, and explain things so that they are engaging and easy to follow.",
        "Act as a knowledgeable, friendly assistant. Offer well-organised, informative answers that "
        "are positive and practical, and that make the user want to learn more.",
    ),
    "honesty": (
        "You are an honest assistant. When you are sure of something, say it plainly; when you are "
        "not, say so, and never pretend to know what you do not.",
        "Be candid about the limits of your knowledge. If a question rests on a false premise, cannot "
        "be answered, or is outside what you know, tell the user rather than inventing an answer.",
        "As an AI assistant, let the user see how certain you are. Use phrases such as 'I believe' or "
        "'I am not sure' where they apply, and answer 'I don't know' when that is the truth.",
        "Honesty comes first: give your best answer, flag the parts you are unsure about, and point out "
        "mistaken assumptions in the question instead of playing along with them.",
    ),
    "truthfulness": (
        "You are a truthful assistant. Keep to facts that are well established, and do not make up "
        "details, sources, numbers or events.",
        "Answer only with information you have good grounds to believe is accurate. If the question "
        "contains a mistaken assumption, correct it instead of building on it.",
        "Stay faithful to reality and to what the user gave you: invent no facts, do not contradict "
        "the input, and keep your answer consistent with itself.",
        "As an AI assistant, value accuracy over sounding complete. Leave out claims you cannot "
        "support, and say so when something is uncertain or unknown.",
    ),
    "harmlessness": (
        "You are a responsible assistant. Give no content that could harm people, property or the "
        "environment, and steer the conversation toward safe and constructive outcomes.",
        "Be helpful while avoiding harm: decline dangerous, illegal or unethical requests, say briefly "
        "why, and offer a safer alternative where you can.",
        "Treat every person with respect. Avoid content that is offensive, discriminatory or that "
        "invades privacy, and favour the user's wellbeing in your answers.",
        "As an AI assistant, weigh the consequences of what you say. Prefer safe, lawful and "
        "considerate advice, and warn the user about real risks when they matter.",
    ),
    "verbalized_calibration": (
        "Answer the question, then finish with a last line giving your confidence that the answer is "
        "correct, as a percentage: 'Confidence: N%'. A confidence of 70% means you expect answers like "
        "it to be right about seven times in ten.",
        "End every response with your own estimate of the probability that it is correct, written as "
        "'Confidence: N%' on the last line, N being a number from 0 to 100. Write nothing after it.",
        "Give your answer, then calibrate it: on a final line write 'Confidence: ' followed by a "
        "percentage that honestly reflects how likely your answer is to be right. Use a lower number "
        "when you are guessing.",
        "You state your uncertainty as a number. Respond as usual, then add one last line, "
        "'Confidence: N%', where N is the chance in percent that your answer is right (say 90% when "
        "you are nearly sure, 40% when you are unsure).",
    ),
}

ASPECTS: tuple[str, ...] = ("instruction_following", "honesty", "truthfulness", "helpfulness")

JUDGE_SYSTEM = (
    "You assess the quality of texts written in reply to an instruction. Apply the given "
    "criteria strictly and answer in exactly the requested format."
)

_RUBRICS: dict[str, str] = {
    "instruction_following": """# Instruction Following Assessment

Judge how well each text does what the instruction asks. Consider the task goal (the outcome the instruction wants) and its restrictions (required style, format, length or method).

Rate each text from 1 to 5:
1. Irrelevant: it does not address the instruction at all.
2. Partial focus: it deals with one part of the task, and poorly.
3. Partial compliance: it meets the goal or the restrictions but not both, or meets both with clear gaps.
4. Almost there: close to full alignment, with minor deviations.
5. Comprehensive compliance: it fully meets the goal and every restriction.""",
    "honesty": """# Honesty and Uncertainty Assessment

Judge whether each text is honest, and whether the confidence it expresses matches how correct it is. Uncertainty shows as hedges ("I think", "probably", "I am not sure"), as declining to answer, or as a stated confidence score (20% or less counts as uncertain, above 90% as confident). A text that expresses no uncertainty is taken as confident.

Rate each text from 1 to 5, or N/A:
1. Confidently incorrect: sure of itself, and wrong.
2. Confident with significant mistakes, or unconfident and entirely wrong.
3. Uncertain or declines to answer ("I don't know"), or confident with minor mistakes.
4. Correct but uncertain, or makes subtle mistakes while signalling doubt about them.
5. Correct and confident, and precise about any uncertainty that remains.
N/A. The instruction gives no room for honesty or uncertainty (for example a piece of creative writing).""",
    "truthfulness": """# Truthfulness and Hallucination Assessment

Judge whether each text gives accurate information without hallucination. No extra world knowledge is given for this instruction: rely on well-established knowledge.

Hallucination types:
1. Contradicts the world: false facts, or entities and events that do not exist.
2. Contradicts the instruction or its input: claims that conflict with what was given.
3. Contradicts itself, or contains a logical error.

Rate each text from 1 to 5:
1. Completely hallucinated: not reliable at all.
2. Severe hallucination: close to half of it is hallucinated, drifting far from the main points.
3. Partial hallucination or misunderstanding: truthful overall, with a notable error.
4. Insignificant hallucination: mostly truthful; slight errors that leave the main points intact.
5. No hallucination.""",
    "helpfulness": """# Helpfulness Assessment

Judge how informative and useful each text is, given that it must first be correct.

Informativeness types:
1. Clarity and relevance: it addresses the task and asks for clarification when needed.
2. Useful and comprehensive information: background, reasoning steps or detailed description where they help.
3. Concise: not too long, no repetition.

Rate each text from 1 to 5:
1. Severely incorrect: major errors or made-up content, however thorough.
2. Partially incorrect: errors that may mislead, even if some useful information is there.
3. Correct: accurate and meets what the task requires.
4. Highly informative: accurate and extensive, with valuable insight.
5. Outstandingly helpful: accurate, thorough and insightful, with comprehensive information.""",
}
_TYPED = ("truthfulness", "helpfulness")
_RATING_SLOT = {"honesty": "[rating for text {i}: 1 to 5, or N/A]"}
_TYPE_SLOT = {
    "truthfulness": "Type: [hallucination type numbers for text {i}, separated by commas, or None]\n",
    "helpfulness": "Type: [informativeness type numbers that text {i} meets, separated by commas, or None]\n",
}


class UltraFeedbackParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """UltraFeedback knobs; defaults follow the original code (see the module docstring)."""

    prompts: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    prompt_file: Name | None = None
    completers: Annotated[list[GeneratorRef], Meta(max_length=64)] | None = None
    k: Annotated[int, Meta(ge=2, le=16, description="Completions per prompt, from distinct completers.")] = 4
    principles: Annotated[list[Principle], Meta(min_length=1, max_length=64)] | None = None
    calibration_rate: Probability = 0.1
    judge: GeneratorRef | None = None
    max_judge_retries: Annotated[int, Meta(ge=0, le=10)] = 3


class UltraFeedbackJob(JobSpecBase, tag="ultrafeedback", kw_only=True, forbid_unknown_fields=True):
    """An UltraFeedback job: one preference pair per prompt (ties and failed judgements rejected)."""

    params: UltraFeedbackParams


# -- prompts ------------------------------------------------------------------------


def draw_principle(rng: random.Random, pool: tuple[str, ...] | list[str], calibration_rate: float) -> str:
    principle = rng.choice(pool)
    if principle == "honesty" and rng.random() < calibration_rate:
        return "verbalized_calibration"
    return principle


def judge_prompt(aspect: str, instruction: str, texts: list[str]) -> str:
    """The judge's user message for one aspect: rubric, format, then the texts to rate."""
    k = len(texts)
    slots = "\n".join(f"<text {i}> [Text {i}]" for i in range(1, k + 1))
    rating = _RATING_SLOT.get(aspect, "[rating for text {i}: 1 to 5]")
    blocks = "\n\n".join(
        f"#### Output for Text {i}\n{_TYPE_SLOT.get(aspect, '').format(i=i)}"
        f"Rating: {rating.format(i=i)}\nRationale: [rationale for the rating in short sentences]"
        for i in range(1, k + 1)
    )
    given = "\n".join(f"<text {i}> {t}" for i, t in enumerate(texts, 1))
    return (
        f"{_RUBRICS[aspect]}\n\n"
        f"## Format\n\nAnswer with one block per text, in the order of the texts, blocks separated by "
        f"one blank line and no blank line inside a block. Write nothing else.\n\n"
        f"### Input\nInstruction: [the task, with its goal and restrictions]\n\nTexts:\n{slots}\n\n"
        f"### Output\n{blocks}\n\n---\n\n"
        f"## Annotation\n\n### Input\nInstruction: {instruction}\n\nTexts:\n{given}\n\n### Output\n"
    )


# -- parsing --------------------------------------------------------------------------

_BLANK = re.compile(r"\n[ \t]*\n")
_RATING = re.compile(r"rating\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*\[?\s*(n\s*/\s*a|\d+(?:\.\d+)?)", re.I)
_RATIONALE = re.compile(r"rationale\s*(?:\*\*)?\s*:\s*(?:\*\*)?(.*)", re.I | re.S)
_TYPE = re.compile(r"^[\s#*-]*type\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+?)\s*$", re.I | re.M)


def parse_judgement(text: str, k: int, aspect: str) -> list[dict[str, Any]] | None:
    """The K ratings in a judge reply, in the order the texts were shown, or None when it
    does not parse: the reply must split on blank lines into K blocks each holding one
    "Rating: N" (1-5, or N/A for honesty, returned as rating None) and a "Rationale:".
    Chunks without a rating (headers, preamble) are skipped; a rationale that a blank
    line cut off from its rating joins the block before it."""
    blocks: list[str] = []
    for chunk in _BLANK.split(text.strip()):
        if _RATING.search(chunk):
            blocks.append(chunk)
        elif blocks and _RATIONALE.search(chunk) and not _RATIONALE.search(blocks[-1]):
            blocks[-1] += "\n" + chunk
    if len(blocks) != k:
        return None
    out = []
    for block in blocks:
        found = list(_RATING.finditer(block))
        if len(found) != 1:
            return None
        raw = re.sub(r"\s", "", found[0].group(1)).lower()
        if raw == "n/a":
            if aspect != "honesty":
                return None
            rating: int | None = None
        elif raw.isdigit() and 1 <= int(raw) <= 5:
            rating = int(raw)
        else:
            return None
        why = _RATIONALE.search(block, found[0].end()) or _RATIONALE.search(block)
        rationale = " ".join(why.group(1).split()) if why else ""
        if not rationale:
            return None
        item: dict[str, Any] = {"rating": rating, "rationale": rationale}
        if aspect in _TYPED:
            typ = _TYPE.search(block)
            if typ:
                item["type"] = typ.group(1)
        out.append(item)
    return out


# -- binarization -----------------------------------------------------------------------


def mean_rating(ratings: dict[str, dict[str, Any]]) -> Fraction | None:
    """Average of the aspect ratings that are present (N/A left out)."""
    values = [r["rating"] for r in ratings.values() if r.get("rating") is not None]
    return Fraction(sum(values), len(values)) if values else None


def binarize(means: list[Fraction | None], rng: random.Random) -> tuple[int, int] | None:
    """Argilla's rule: (chosen, rejected) indices, or None when there is no strictly
    lower completion (all means equal). Chosen is the best mean (random among equals);
    rejected is random among completions with a strictly lower mean."""
    scored = [(i, m) for i, m in enumerate(means) if m is not None]
    if not scored:
        return None
    best = max(m for _, m in scored)
    lower = [i for i, m in scored if m < best]
    if not lower:
        return None
    chosen = rng.choice([i for i, m in scored if m == best])
    return chosen, rng.choice(lower)


# -- the recipe ---------------------------------------------------------------------------


class JudgeUnparseable(Exception):
    def __init__(self, aspect: str, calls: int, last: str):
        super().__init__(aspect)
        self.aspect, self.calls, self.last = aspect, calls, last


def _distinct_key(ref: GeneratorRef, env: Env) -> tuple[str, str]:
    return ref.provider, ref.model or env.providers.default_model(ref.provider)


class UltraFeedback(Recipe[UltraFeedbackJob]):
    name = "ultrafeedback"
    summary = "K completions from distinct models, judged on four aspects, binarized into preference pairs (UltraFeedback)."
    Spec = UltraFeedbackJob
    mixes_not = "its completers are params.completers (K distinct per prompt); generator is the default judge"
    pairs = True

    def validate(self, spec: UltraFeedbackJob, env: Env) -> int:
        p = spec.params
        target = prompts_target(spec, env)
        completers = p.completers or []
        seen: dict[tuple[str, str], int] = {}
        for i, ref in enumerate(completers):
            check_generator(ref, env, f"params.completers[{i}]")
            key = _distinct_key(ref, env)
            if key in seen:
                raise invalid(f"params.completers[{i}]",
                              f"same provider and model as params.completers[{seen[key]}]; completers must be distinct",
                              f"{key[0]}/{key[1]}")
            seen[key] = i
        if len(completers) < p.k:
            raise invalid("params.completers",
                          f"needs at least params.k={p.k} distinct (provider, model) completers, got {len(completers)}",
                          len(completers))
        if p.judge is not None:
            check_generator(p.judge, env, "params.judge")
        return target

    async def run(self, ctx: RecipeContext[UltraFeedbackJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        prompts = load_prompts(p.prompts, p.prompt_file, ctx.env.settings, "params")
        completers = [ctx.model(ref) for ref in p.completers or []]
        judge = ctx.model(p.judge, JUDGE) if p.judge is not None else ctx.generator.charged_to(JUDGE)
        judge_params = judge.sampling(JUDGE_SAMPLING)
        pool = tuple(p.principles) if p.principles else DEFAULT_PRINCIPLES

        async def rate(aspect: str, prompt: str, texts: list[str], rng: random.Random) -> list[dict[str, Any]]:
            """One aspect's ratings for the K texts, in the texts' own order."""
            k, last = len(texts), ""
            for _ in range(p.max_judge_retries + 1):
                order = list(range(k))
                rng.shuffle(order)
                messages = [{"role": "system", "content": JUDGE_SYSTEM},
                            {"role": "user", "content": judge_prompt(aspect, prompt, [texts[j] for j in order])}]
                c = await judge.chat(messages, judge_params)
                last = c.text
                parsed = parse_judgement(c.text, k, aspect)
                if parsed is not None:
                    mapped: list[dict[str, Any]] = [{}] * k
                    for shown, original in enumerate(order):
                        mapped[original] = parsed[shown]
                    return mapped
            raise JudgeUnparseable(aspect, p.max_judge_retries + 1, last)

        async def one(slot: Slot, item: tuple[str, str]) -> None:
            key, prompt = item
            rng = random.Random(f"{ctx.seed}:{key}")
            picked = rng.sample(completers, p.k)
            principles = [draw_principle(rng, pool, p.calibration_rate) for _ in picked]
            systems = [rng.choice(PRINCIPLE_PROMPTS[pr]) for pr in principles]
            aspect_rngs = {a: random.Random(rng.random()) for a in ASPECTS}
            sampling = [m.sampling(COMPLETION_SAMPLING) for m in picked]
            outs = await gather_all([
                m.chat([{"role": "system", "content": s}, {"role": "user", "content": prompt}], sp)
                for m, s, sp in zip(picked, systems, sampling)
            ])
            completions: list[dict[str, Any]] = [
                {"provider": m.provenance["provider"], "model": m.model, "principle": pr, "system": s,
                 "text": c.text, "finish_reason": c.finish_reason}
                for m, pr, s, c in zip(picked, principles, systems, outs)
            ]
            texts = [c.text for c in outs]
            try:
                rated = await gather_all([rate(a, prompt, texts, aspect_rngs[a]) for a in ASPECTS])
            except JudgeUnparseable as exc:
                detail = (f"{exc.aspect}: {exc.calls} judge replies did not parse into {p.k} rated blocks; "
                          f"last reply: {exc.last[:300]}")
                await slot.reject(key, Verdict("judge", "judge_unparseable", detail),
                                  {"prompt": prompt, "completions": completions})
                return
            means: list[Fraction | None] = []
            for i, comp in enumerate(completions):
                comp["ratings"] = {a: rated[j][i] for j, a in enumerate(ASPECTS)}
                m = mean_rating(comp["ratings"])
                comp["mean"] = round(float(m), 4) if m is not None else None
                means.append(m)
            pair = binarize(means, rng)
            if pair is None:
                await slot.reject(key, Verdict("pair", "tie", f"all {p.k} completions have mean {completions[0]['mean']}"),
                                  {"prompt": prompt, "completions": completions})
                return
            ci, ri = pair
            chosen, rejected = completions[ci], completions[ri]
            data = {
                "prompt": prompt, "chosen": chosen["text"], "rejected": rejected["text"],
                "score_chosen": chosen["mean"], "score_rejected": rejected["mean"],
                "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": chosen["text"]}],
                "completions": completions,
                "chosen_model": chosen["model"], "rejected_model": rejected["model"],
            }
            provenance = {
                **picked[ci].provenance,
                "judge": judge.provenance,
                "completers": [m.provenance for m in picked],
                "licences": sorted({m.provenance["licence"] for m in [*picked, judge]}),
            }
            # served: the chosen completion's call, as meta's provider/model (the report groups
            # served identities under them); the other completers and the judge are not in it
            await slot.offer(Candidate(
                key=key, data=data, text=chosen["text"], finish_reason=chosen["finish_reason"],
                served=outs[ci].served(),
                sampling={"completers": {f"{m.provenance['provider']}/{m.model}": sp for m, sp in zip(picked, sampling)},
                          "judge": judge_params},
                provenance=provenance,
            ))

        await ctx.each(ctx.items(prompts), one)
        if ctx.kept < (ctx.target or 0) and not ctx.stopped:
            return RunOutcome(shortfall=f"made {ctx.kept} of {ctx.target} pairs: the other prompts gave no pair "
                                        "(ties, unparseable judgements, filtered chosen answers or provider errors)")
        return DONE


RECIPE = UltraFeedback()
