"""The judge stage: LLM-as-judge scores each candidate; those below min_score are
rejected (reason low_score), and the score and rationale are stored on the record.

The default rubric is the additive 5-point prompt of Self-Rewarding LMs (Yuan et al.
2024): one point each for relevance, covering a substantial part of the question,
answering its basic elements usefully, being written from an assistant's perspective
and well organised, and being expertly tailored and insightful; the judge ends with
"Score: <points>". A custom rubric is any text with {prompt} and {response} that asks
for the same closing "Score: N" line. `repeats` judgements are averaged; one that
cannot be parsed is retried up to max_retries times, then left out of the average;
a candidate with no parsed judgement is rejected (reason judge_unparseable).
"""

from __future__ import annotations

import re
from typing import Any

from service.domain.specs import JudgeSpec
from service.pipeline.stages import Candidate, Verdict
from service.providers.base import ProviderError

ADDITIVE_5 = """Review the user's question and the response below, and score the response with this additive 5-point system. Points add up:
- Add 1 point if the response is relevant to the question and gives some information related to it, even if incomplete or partly off-topic.
- Add a 2nd point if it addresses a substantial part of the question but does not fully resolve it or answer it directly.
- Add a 3rd point if it answers the basic elements of the question in a useful way, whether or not it reads like an assistant wrote it.
- Add a 4th point if it is clearly written from an AI assistant's perspective, addresses the question directly and comprehensively, and is well organised and helpful, even if it could be more concise or focused.
- Add a 5th point if it is impeccably tailored to the question by an expert assistant, with no extraneous information, and reflects expert knowledge in a high-quality, engaging and insightful answer.

User: {prompt}
<response>{response}</response>

After examining the question and the response:
- Briefly justify your total score, in up to 100 words.
- Conclude with the score in the format: "Score: <total points>"."""

_SCORE = re.compile(r"score\s*[:=]\s*\**\s*(\d+(?:\.\d+)?)", re.I)


def judge_prompt(rubric: str, prompt: str, response: str) -> str:
    template = ADDITIVE_5 if rubric == "additive5" else rubric
    return template.replace("{prompt}", prompt).replace("{response}", response)


def parse_score(text: str, maximum: float = 5.0) -> tuple[float, str] | None:
    """The last "Score: N" of a judgement (N within 0..maximum) and the text before it."""
    matches = list(_SCORE.finditer(text))
    if not matches:
        return None
    m = matches[-1]
    value = float(m.group(1))
    if not 0 <= value <= maximum:
        return None
    return value, text[: m.start()].strip()


class JudgeStage:
    """Scores candidates with the job's judge model (by default its generator)."""

    name = "judge"

    def __init__(self, spec: JudgeSpec, run: Any):
        self.spec = spec
        self.model = run.model(spec.generator) if spec.generator else run.generator
        self.params = self.model.sampling({"temperature": 0.0, "max_tokens": 400})
        self.maximum = 5.0 if spec.rubric == "additive5" else 100.0

    async def _one(self, text: str) -> tuple[float, str] | None:
        for _ in range(self.spec.max_retries + 1):
            c = await self.model.chat([{"role": "user", "content": text}], self.params)
            parsed = parse_score(c.text, self.maximum)
            if parsed is not None:
                return parsed
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
