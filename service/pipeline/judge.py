"""The judge stage: LLM-as-judge scores each candidate; those below min_score are
rejected (reason low_score), and the score and rationale are stored on the record.

The default rubric is the additive 5-point prompt of Self-Rewarding LMs (Yuan et al.
2024), shared with the self-rewarding recipe: one point each for relevance, covering a
substantial part of the question, answering its basic elements usefully, being written
from an assistant's perspective and well organised, and being expertly tailored and
insightful; the judge ends with "Score: <points>" (a whole number 0..5). A custom rubric is any text with {prompt} and {response} that asks
for the same closing "Score: N" line. `repeats` judgements are averaged; one that
cannot be parsed is retried up to max_retries times, then left out of the average;
a candidate with no parsed judgement is rejected (reason judge_unparseable).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from msgspec import Meta

from service.domain.errors import invalid
from service.domain.spec_parts import GeneratorRef
from service.pipeline.stages import Candidate, Stage, StageSpec, Verdict
from service.providers.base import ProviderError


class JudgeSpec(StageSpec, kw_only=True, forbid_unknown_fields=True):
    """LLM-as-judge pass: score every candidate, keep those at or above min_score."""

    generator: GeneratorRef | None = None
    rubric: Annotated[str, Meta(
        min_length=1, max_length=20_000,
        description="'additive5' (default), or a prompt with {prompt} and {response} asking for a closing 'Score: N'.",
    )] = "additive5"
    min_score: Annotated[float, Meta(ge=0, le=100)] = 3.0
    repeats: Annotated[int, Meta(ge=1, le=10)] = 1
    max_retries: Annotated[int, Meta(ge=0, le=10)] = 2

    def generators(self) -> list[tuple[str, GeneratorRef]]:
        return [("judge.generator", self.generator)] if self.generator is not None else []

    def check(self, env: Any) -> None:
        if self.rubric != "additive5" and ("{prompt}" not in self.rubric or "{response}" not in self.rubric):
            raise invalid("judge.rubric", "a custom rubric must contain {prompt} and {response}")

    def build(self, ctx: Any) -> Stage:
        return JudgeStage(self, ctx)


ADDITIVE_5 = """\
Assess how well the response below answers the user's question. Use an additive scale \
from 0 to 5 points: start at 0 and add one point for each of these conditions the \
response meets.

- +1 point if the response is relevant to the question and gives some information \
related to it, even when it is incomplete or contains some material that does not belong.
- +1 point if the response covers a substantial portion of what the user asked, even \
when it does not settle the question completely or give a direct answer.
- +1 point if the response deals with the basic elements of the question in a useful \
way, whether or not it reads like an AI assistant's reply or like text from a blog or \
a search result.
- +1 point if the response is plainly written from an AI Assistant's point of view, \
takes up the user's question directly and comprehensively, and is well organised and \
helpful, even when its clarity, concision or focus could be slightly better.
- +1 point if the response is impeccably fitted to the user's question with nothing \
extraneous, shows expert knowledge, and gives an engaging, insightful, high-quality answer.

User: {prompt}
<response>{response}</response>

Once you have read the question and the response:
- Briefly justify your total score, up to 100 words.
- End with the score in exactly this format: "Score: <total points>"

Judge the response strictly by the conditions above."""

# "Score: 4", "score:3", "**Score:** 4", "Score: 4/5", "Score: 4.0"; the last one wins.
_SCORE = re.compile(r"\bscore\s*[:=][\s*]*(\d+(?:\.\d+)?)(?:\s*/\s*(\d+))?", re.IGNORECASE)
_FIELD = re.compile(r"\{(prompt|response)\}")


def judge_prompt(rubric: str, prompt: str, response: str) -> str:
    """The rubric ('additive5' or a custom template) filled in one pass, so braces in
    the question or the response are kept as they are."""
    template = ADDITIVE_5 if rubric == "additive5" else rubric
    values = {"prompt": prompt, "response": response}
    return _FIELD.sub(lambda m: values[m.group(1)], template)


def parse_score(text: str, maximum: float = 5, integer: bool = True) -> float | None:
    """The last `Score: N` of a judgement (N within 0..maximum, whole when `integer`;
    an explicit `/D` must be `/maximum`), else None."""
    matches = list(_SCORE.finditer(text))
    if not matches:
        return None
    m = matches[-1]
    if m.group(2) is not None and float(m.group(2)) != maximum:
        return None
    value = float(m.group(1))
    if (integer and not value.is_integer()) or not 0 <= value <= maximum:
        return None
    return value


def rationale(text: str) -> str:
    """What the judge wrote before its last Score line."""
    matches = list(_SCORE.finditer(text))
    return (text[: matches[-1].start()] if matches else text).strip()


class JudgeStage:
    """Scores candidates with the job's judge model (by default its generator)."""

    name = "judge"

    def __init__(self, spec: JudgeSpec, run: Any):
        self.spec = spec
        self.model = run.model(spec.generator, "judge") if spec.generator else run.generator.charged_to("judge")
        self.params = self.model.sampling({"temperature": 0.0, "max_tokens": 400})
        self.additive = spec.rubric == "additive5"

    async def _one(self, text: str) -> tuple[float, str] | None:
        for _ in range(self.spec.max_retries + 1):
            c = await self.model.chat([{"role": "user", "content": text}], self.params)
            score = parse_score(c.text, 5 if self.additive else 100, integer=self.additive)
            if score is not None:
                return score, rationale(c.text)
        return None

    async def check(self, c: Candidate) -> Verdict | None:
        text = judge_prompt(self.spec.rubric, c.prompt_text(), c.text)
        try:
            results = [await self._one(text) for _ in range(self.spec.repeats)]
        except ProviderError as exc:
            return Verdict(self.name, "judge_error", str(exc)[:300])
        scored = [r for r in results if r is not None]
        if not scored:
            return Verdict(self.name, "judge_unparseable", f"{len(results)} judgements without a Score line")
        score = sum(s for s, _ in scored) / len(scored)
        c.annotations["judge"] = {
            "score": round(score, 3), "scores": [s for s, _ in scored], "rationale": scored[-1][1][-1000:],
            "model": self.model.label, "rubric": "additive5" if self.spec.rubric == "additive5" else "custom",
        }
        if score < self.spec.min_score:
            return Verdict(self.name, "low_score", f"score {score:g} < min_score {self.spec.min_score:g}")
        return None
