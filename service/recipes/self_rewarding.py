"""Self-Rewarding (Yuan et al. 2024, arXiv 2401.10020): one model samples several
responses to a prompt, judges each of them itself, and the best and worst become a
preference pair for DPO.

Algorithm (shared/reference/recipes.md section 6), per prompt:
1. `samples` responses (default 4) from the job's generator by chat, temperature 0.7,
   top_p 0.9 (the generator's `sampling` in the spec overrides these).
2. The same model judges every response `judge_repeats` times (default 3) with the
   additive 5-point prompt (`judge_prompt`): five +1 criteria, the question and answer
   as `User: ... <response>...</response>`, a justification of up to 100 words, and a
   closing `Score: <total points>`.
3. `parse_score` reads the last `Score: N` of a judgement; N must be an integer 0..5
   (`Score: 4/5` counts as 4; another denominator, a fraction or a number out of range
   does not). An unparseable judgement is dropped from the sample's average; a sample
   whose judgements are all unparseable has no score and takes no part in pairing.
4. `pick_pair`: chosen = highest mean, rejected = lowest mean (the first sample wins
   among equals, so the choice does not depend on the order replies arrive). Equal
   scores (max == min) give no pair: the prompt is rejected with reason "tie"; fewer
   than two scored samples give reason "unscored" (both at stage "pair").
5. The pair is offered to the job's filters, which judge the chosen response (the one
   training imitates); the rejected response is kept as the model wrote it.

Record (format native): {prompt, chosen, rejected, score_chosen, score_rejected,
chosen_index, rejected_index, samples: [{text, scores, mean, finish_reason}],
judgements (per sample, the judge's texts; unless keep_judgements is false)}.
The scores are means rounded to 4 decimals; `meta.sampling` holds the response
sampling plus the judge's under "judge".

Prompts come from the caller as in the `responses` recipe (inline `prompts` or a
registered `prompt_file`); `target` defaults to the number of prompts. Prompts are
taken in order, one target slot each, so a prompt that ties frees its slot for the
next one. When the prompts run out first: with the default target the job succeeds
if the pairs reach `min_yield` of the prompts, its note stating the shortfall (ties are
expected: the paper discards them); with an explicit target it fails with
target-not-reached, since the caller asked for that many pairs (pipeline/outcome.py). The work is bounded by the prompt list
(samples * (1 + judge_repeats) calls per prompt), so the generic per-record request
budget is not applied.

Choices where the paper is silent or this service differs (the paper's code is not
public, so there is no paper/code disagreement to settle):
- Judge sampling: the paper averages three judgements, which only makes sense if
  they are sampled, and gives no separate judge temperature; the judge uses the
  response sampling (temperature 0.7, top_p 0.9) with max_tokens 256 (the
  justification is at most 100 words). `judge_sampling` overrides it; temperature 0
  makes the repeats identical.
- Prompts: the paper makes new prompts each iteration with a fixed 8-shot Llama-2-Chat
  model and the Self-Instruct filters; here the caller brings the prompts (run the
  self-instruct recipe first to generate some). Seed-model training (IFT/EFT) and the
  DPO iterations themselves are out of scope: this recipe makes one iteration's pairs.
- A failed provider call (after the provider's retries) rejects the whole prompt with
  reason provider_error, as in the other recipes; a fatal one stops the job.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service.domain.spec_parts import Name
from service.domain.specs import JobSpecBase, Sampling
from service.pipeline.judge import judge_prompt, parse_score
from service.pipeline.run import DONE, Model, RecipeContext, RunOutcome, Slot, gather_all
from service.pipeline.stages import Candidate, Verdict
from service.providers.base import Completion
from service.recipes.base import Env, Recipe, Text, load_prompts, prompts_target

SAMPLING: dict[str, Any] = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 1024}
JUDGE_SAMPLING: dict[str, Any] = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 256}
def mean_score(scores: list[int | None] | list[float | None]) -> float | None:
    """The average of the parseable judgements; None when there is none."""
    valid = [s for s in scores if s is not None]
    return sum(valid) / len(valid) if valid else None


def pick_pair(means: list[float | None]) -> tuple[int, int] | str:
    """(chosen, rejected) sample indices: first max vs first min among scored samples.
    A reason instead when there is no pair: "unscored" (< 2 scored) or "tie"."""
    scored = [(m, i) for i, m in enumerate(means) if m is not None]
    if len(scored) < 2:
        return "unscored"
    best = max(scored, key=lambda t: (t[0], -t[1]))
    worst = min(scored, key=lambda t: (t[0], t[1]))
    if best[0] == worst[0]:
        return "tie"
    return best[1], worst[1]


class SelfRewardingParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Self-Rewarding knobs; defaults follow the paper (N = 4, 3 judgements)."""

    prompts: Annotated[list[Text], Meta(min_length=1, max_length=1_000_000)] | None = None
    prompt_file: Name | None = None
    samples: Annotated[int, Meta(ge=2, le=16, description="Responses sampled per prompt.")] = 4
    judge_repeats: Annotated[int, Meta(ge=1, le=10, description="Judgements averaged per response.")] = 3
    judge_sampling: Sampling = msgspec.field(default_factory=Sampling)
    keep_judgements: bool = True


class SelfRewardingJob(JobSpecBase, tag="self-rewarding", kw_only=True, forbid_unknown_fields=True):
    """A Self-Rewarding job: at most one preference pair per prompt."""

    params: SelfRewardingParams


class SelfRewarding(Recipe[SelfRewardingJob]):
    name = "self-rewarding"
    summary = "The model samples N responses, judges them itself (5-point additive), best vs worst -> pairs."
    Spec = SelfRewardingJob
    pairs = True
    mixes = True  # per prompt: the drawn model samples and judges its own responses

    def validate(self, spec: SelfRewardingJob, env: Env) -> int:
        return prompts_target(spec, env, unit="prompts (one pair per prompt at most)")

    async def run(self, ctx: RecipeContext[SelfRewardingJob]) -> RunOutcome:
        spec = ctx.spec
        p = spec.params
        prompts = load_prompts(p.prompts, p.prompt_file, ctx.env.settings, "params")
        judge_params = p.judge_sampling.over(JUDGE_SAMPLING)

        async def judged(model: Model, params: dict[str, Any], prompt: str) -> tuple[Completion, list[str]]:
            c = await model.chat([{"role": "user", "content": prompt}], params)
            ask = [{"role": "user", "content": judge_prompt("additive5", prompt, c.text)}]
            judgements = await gather_all([model.chat(ask, judge_params) for _ in range(p.judge_repeats)])
            return c, [j.text for j in judgements]

        async def one(slot: Slot, item: tuple[str, str]) -> None:
            key, prompt = item
            model = ctx.pick(key)
            params = model.sampling(SAMPLING)
            results = await gather_all([judged(model, params, prompt) for _ in range(p.samples)])
            samples, texts, means = [], [], []
            for c, judgements in results:
                scores = [parse_score(j) for j in judgements]
                mean = mean_score(scores)
                means.append(mean)
                samples.append({"text": c.text, "scores": [s for s in scores if s is not None],
                                "mean": None if mean is None else round(mean, 4),
                                "finish_reason": c.finish_reason})
                texts.append(judgements)
            data: dict[str, Any] = {"prompt": prompt}
            pair = pick_pair(means)
            if isinstance(pair, str):
                data["samples"] = samples
                if p.keep_judgements:
                    data["judgements"] = texts
                detail = ("all sampled responses got the same score" if pair == "tie"
                          else "fewer than 2 responses got a parseable score")
                await slot.reject(key, Verdict("pair", pair, detail), data)
                return
            hi, lo = pair
            data.update({
                "chosen": samples[hi]["text"], "rejected": samples[lo]["text"],
                "score_chosen": samples[hi]["mean"], "score_rejected": samples[lo]["mean"],
                "chosen_index": hi, "rejected_index": lo, "samples": samples,
            })
            if p.keep_judgements:
                data["judgements"] = texts
            # served: the chosen sample's call (the text training imitates), not its judgements
            await slot.offer(Candidate(
                key=key, data=data, text=samples[hi]["text"], finish_reason=samples[hi]["finish_reason"],
                served=results[hi][0].served(),
                provenance=model.provenance,
                sampling={**params, "judge": judge_params},
            ))

        await ctx.each(ctx.items(prompts), one)
        if ctx.stopped:
            return DONE
        await ctx.drain()
        target = ctx.target or 0
        if ctx.kept < target:
            return RunOutcome(shortfall=f"made {ctx.kept} of {target} pairs from {len(prompts)} prompts; the "
                                        "others tied, were unscored, filtered or failed (see the job's rejects)")
        return DONE


RECIPE = SelfRewarding()
