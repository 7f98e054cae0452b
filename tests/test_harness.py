"""The in-process harness (service/testing/harness.py): a recipe's first test, a
scripted in-memory provider and the real test Redis; no API, no worker process."""

from __future__ import annotations

import itertools

from service.providers.base import ProviderError
from service.testing.harness import Call, ScriptedProvider, run_recipe


def test_responses_keeps_answers_and_rejects_a_refusal(redis_url: str) -> None:
    def reply(call: Call) -> str:
        if "forbidden" in call.text:
            return "I'm sorry, but I can't help with that."
        return f"A careful answer to: {call.text}"

    model = ScriptedProvider(reply)
    prompts = ["Explain tides.", "Explain forbidden magic.", "Explain rainbows."]
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "params": {"prompts": prompts}},
                      redis_url=redis_url, providers={"m": model})

    assert done.job.status == "succeeded"
    assert done.job.progress.kept == 2 and done.job.progress.rejected == 1
    assert done.job.note == "kept 2 of 3 (67%; min_yield 50%); most rejects: refusal (1 of 1)"
    assert [r["prompt"] for r in done.records] == ["Explain tides.", "Explain rainbows."]
    assert done.records[0]["response"] == "A careful answer to: Explain tides."
    assert done.records[0]["meta"]["provider"] == "m" and done.records[0]["meta"]["licence"] == "test-only"
    [reject] = done.rejects
    assert reject["reason"] == "refusal" and reject["id"].endswith(".p1")
    assert sorted(c.text for c in model.calls) == sorted(prompts)


def test_a_failed_call_rejects_its_item_and_frees_the_slot_for_the_next(redis_url: str) -> None:
    # Self-Rewarding with target 1: the first prompt's calls fail for good, so its slot
    # must come back (no leak) for the second prompt to make the one pair. (The error
    # budget is opened up: by default two lost calls of a 1-record job fail it.)
    answers = itertools.cycle(["a good answer", "a bad answer"])

    def reply(call: Call) -> str | ProviderError:
        if "alpha" in call.text:
            return ProviderError("upstream 500 after retries", status=500)
        if "<response>" in call.text:
            return "Score: 4" if "good answer" in call.text else "Score: 1"
        return next(answers)

    done = run_recipe({"recipe": "self-rewarding", "generator": {"provider": "m"}, "target": 1, "concurrency": 1,
                       "error_budget": 1.0,
                       "params": {"prompts": ["alpha question", "beta question"], "samples": 2, "judge_repeats": 1}},
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply)})

    assert done.job.status == "succeeded" and done.job.progress.kept == 1
    assert [(r["id"][-3:], r["reason"]) for r in done.rejects] == [(".p0", "provider_error")]
    [pair] = done.records
    assert (pair["prompt"], pair["chosen"], pair["rejected"]) == ("beta question", "a good answer", "a bad answer")
    assert (pair["score_chosen"], pair["score_rejected"]) == (4, 1)
