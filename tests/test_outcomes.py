"""How jobs end, for every recipe (service/pipeline/outcome.py), and the funnel that
explains every request: in-process (service/testing/harness.py), scripted providers
answering in each recipe's format, the real test Redis."""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from typing import Any, Callable

import pytest

from service.domain.errors import InvalidSpec
from service.recipes.self_instruct import INSTANCE_STOP
from service.testing.harness import Call, Finished, ScriptedProvider, following_formats, run_recipe

from support import Fake, LocalApi, adjust_example, examples, responses_spec

JUDGE_MARK = "STAGE-JUDGE"
RUBRIC = JUDGE_MARK + " Question: {prompt}\nAnswer: {response}\nEnd with 'Score: N'."
# One spec per recipe: its first example in docs/recipes.md, on the scripted providers.
SPECS: dict[str, dict[str, Any]] = {}
for _name, _spec, _ in examples():
    SPECS.setdefault(_name, adjust_example(_spec))


def providers(reply: Callable[[Call], str]) -> dict[str, ScriptedProvider]:
    """The test stack's provider names (docs examples use them), all scripted by `reply`."""
    return {"fake": ScriptedProvider(reply, models=["fake-model", "fake-model-2"]),
            "chatonly": ScriptedProvider(reply, models=["fake-chat"], supports_raw=False)}


def run(spec: dict[str, Any], redis_url: str, reply: Callable[[Call], str] | None = None) -> Finished:
    return run_recipe(spec, redis_url=redis_url, providers=providers(reply or following_formats()))


def passes_one() -> Callable[[Call], str]:
    """Format-following replies, whose judge stage passes the first candidate it sees
    and no other: every job keeps exactly one record."""
    follow = following_formats()
    judged = itertools.count()

    def reply(call: Call) -> str:
        if JUDGE_MARK in call.text:
            return "Score: 5" if next(judged) == 0 else "Score: 0"
        return follow(call)

    return reply


def spec_for(recipe: str, **changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(SPECS[recipe])
    spec.pop("min_yield", None)
    spec.update(changes)
    return spec


def assert_funnel_adds_up(done: Finished) -> None:
    outcomes = done.job.outcomes
    assert sum(o.requests for o in outcomes) == done.job.progress.requests > 0
    kept = [o for o in outcomes if (o.stage, o.reason) == ("kept", "kept")]
    assert sum(o.attempts for o in kept) == done.job.progress.kept


@pytest.mark.parametrize("recipe", sorted(SPECS))
def test_an_explicit_target_short_by_a_reject_fails_for_every_recipe(redis_url: str, recipe: str) -> None:
    spec = spec_for(recipe, target=2, judge={"rubric": RUBRIC, "min_score": 3})
    done = run(spec, redis_url, passes_one())
    assert done.job.status == "failed" and done.job.progress.kept == 1, (done.job.error, done.job.outcomes)
    assert done.job.error is not None and done.job.error.type.endswith("/target-not-reached")
    judge_rejects = next(o.attempts for o in done.job.outcomes if (o.stage, o.reason) == ("judge", "low_score"))
    assert judge_rejects >= 1 and f"low_score ({judge_rejects} of " in (done.job.error.detail or "")
    assert_funnel_adds_up(done)


@pytest.mark.parametrize("recipe", sorted(SPECS))
def test_the_same_spec_reaching_its_target_succeeds(redis_url: str, recipe: str) -> None:
    done = run(spec_for(recipe, target=2), redis_url)
    assert done.job.status == "succeeded" and done.job.progress.kept == 2, (done.job.error, done.job.outcomes)
    assert_funnel_adds_up(done)
    # Provenance: every record names the call that wrote its text.
    for rec in done.records:
        meta = rec["meta"]
        if meta["finish_reason"] == "given":  # an Evol-Instruct seed's own output: no call wrote it
            assert recipe == "evol-instruct" and meta["provider"] == "seed" and meta["sampling"] is None
        else:
            # (a tool call's answer ends "tool_calls", as OpenAI's API says)
            assert meta["finish_reason"] == ("tool_calls" if recipe == "tool-calls" else "stop") and meta["sampling"], meta
    if recipe == "self-instruct":  # the instance call wrote input/output, not the bootstrap call
        assert all(r["meta"]["sampling"]["temperature"] == 0.0 and r["meta"]["sampling"]["stop"] == INSTANCE_STOP
                   for r in done.records)


def refuse_some(refused: set[str]) -> Callable[[Call], str]:
    def reply(call: Call) -> str:
        if any(p in call.text for p in refused):
            return "I'm sorry, but I can't help with that."
        return f"A careful, complete answer to: {call.text}"

    return reply


PROMPTS = [f"Explain topic number {i} in plain words." for i in range(4)]


def test_without_a_target_min_yield_decides(redis_url: str) -> None:
    spec = {"recipe": "responses", "generator": {"provider": "fake"}, "params": {"prompts": PROMPTS}}
    one_refused = refuse_some({"number 0"})
    done = run(spec, redis_url, one_refused)
    assert done.job.status == "succeeded" and done.job.progress.kept == 3
    assert done.job.note == "kept 3 of 4 (75%; min_yield 50%); most rejects: refusal (1 of 1)"

    done = run({**spec, "min_yield": 0.8}, redis_url, one_refused)
    assert done.job.status == "failed" and done.job.progress.kept == 3
    assert done.job.error is not None and done.job.error.type.endswith("/target-not-reached")
    assert done.job.error.detail == "kept 3 of 4 (75%; min_yield 80%); most rejects: refusal (1 of 1)"

    done = run(spec, redis_url, refuse_some({"number 0", "number 1", "number 2"}))
    assert done.job.status == "failed" and done.job.progress.kept == 1


def test_min_yield_with_a_target_is_refused_naming_it(redis_url: str) -> None:
    spec = {"recipe": "responses", "generator": {"provider": "fake"}, "target": 2, "min_yield": 0.5,
            "params": {"prompts": PROMPTS}}
    with pytest.raises(InvalidSpec) as err:
        run(spec, redis_url)
    assert [e.field for e in err.value.errors] == ["min_yield"]


@pytest.mark.parametrize("recipe,reason", [("ultrafeedback", "judge_unparseable"), ("self-rewarding", "unscored"),
                                           ("persona-hub", "missing_prefix"), ("responses", "refusal")])
def test_a_job_with_zero_records_is_never_succeeded(redis_url: str, recipe: str, reason: str) -> None:
    # A model that ignores the recipes' formats (no Rating: blocks, no Score: line, no
    # template prefix) and refuses plain prompts: nothing is kept, and no target was set.
    spec = spec_for(recipe)
    spec.pop("target", None)
    done = run(spec, redis_url, lambda call: "I'm sorry, but I can't help with that." if recipe == "responses"
               else "Here is a thoughtful reply about the question you asked, in several words.")
    assert done.job.progress.kept == 0 and done.job.status == "failed", done.job
    assert done.job.error is not None and f"{reason} " in (done.job.error.detail or "")


def test_a_self_repeating_model_shows_where_every_request_went(redis_url: str) -> None:
    # Magpie: the model writes the same instruction every time, so after the first one
    # every attempt is an exact duplicate, stored once (rejects are keyed by content).
    spec = {"recipe": "magpie", "generator": {"provider": "fake"}, "target": 3, "concurrency": 4,
            "params": {"template": "chatml"}}
    done = run(spec, redis_url, lambda call: "How do tides work?" if call.endpoint == "completions"
               else "Tides come from the pull of the moon and the sun on the oceans of the earth.")
    job = done.job
    assert job.status == "failed" and job.progress.kept == 1
    dup = next(o for o in job.outcomes if o.reason == "duplicate")
    assert job.progress.rejected_by_reason == {"duplicate": 1} and len(done.rejects) == 1
    assert dup.attempts == dup.requests == job.progress.requests - 2 > 50  # one call per duplicate
    assert {(o.stage, o.reason): (o.attempts, o.requests) for o in job.outcomes}[("kept", "kept")] == (1, 2)
    assert_funnel_adds_up(done)
    assert f"most rejects: duplicate ({dup.attempts} of {dup.attempts})" in (job.error.detail if job.error else "")


def test_a_self_repeating_self_instruct_model_adds_up(redis_url: str) -> None:
    # Self-Instruct: every bootstrap call proposes the same instruction: ROUGE rejects.
    spec = {"recipe": "self-instruct", "generator": {"provider": "fake"}, "target": 2, "concurrency": 3}
    follow = following_formats()
    def reply(call: Call) -> str:
        if call.prompt.startswith("Come up with a list of"):
            return " Explain how a steam engine turns heat into motion."
        return follow(call)

    done = run(spec, redis_url, reply)
    job = done.job
    assert job.status == "failed" and job.progress.kept == 1
    attempts = Counter({(o.stage, o.reason): o.attempts for o in job.outcomes})
    assert attempts[("novelty", "rouge")] > 10 and job.progress.rejected_by_reason == {"rouge": 1}
    assert_funnel_adds_up(done)


def test_evol_instruct_reaches_every_depth_for_a_small_target_at_high_concurrency(redis_url: str) -> None:
    seeds = [f"Describe the history of invention number {i} and why it mattered." for i in range(10)]
    spec = {"recipe": "evol-instruct", "generator": {"provider": "fake"}, "target": 20, "concurrency": 32,
            "params": {"instructions": seeds, "rounds": 4, "include_seeds": True}}
    done = run(spec, redis_url)
    assert done.job.status == "succeeded" and done.job.progress.kept == 20
    rounds = Counter(r["round"] for r in done.records)
    assert set(rounds) == {0, 1, 2, 3, 4}, rounds
    assert all(r["meta"]["sampling"] is not None and r["meta"]["finish_reason"] == "stop" for r in done.records)


def test_mix_on_orca_draws_each_query_from_the_weighted_generators(redis_url: str) -> None:
    queries = [{"query": f"Question {i}: which is larger, {i} or {i + 1}?", "collection": "cot"} for i in range(16)]
    spec = {"recipe": "orca", "generator": {"provider": "fake"}, "seed": 3,
            "mix": [{"provider": "fake", "model": "fake-model", "weight": 1},
                    {"provider": "fake", "model": "fake-model-2", "weight": 1}],
            "params": {"queries": queries}}
    done = run(spec, redis_url)
    assert done.job.status == "succeeded" and done.job.progress.kept == 16
    models = Counter(r["meta"]["model"] for r in done.records)
    assert set(models) == {"fake-model", "fake-model-2"}, models
    again = run(spec, redis_url)  # the same seed draws the same generator for each query
    assert {r["question"]: r["meta"]["model"] for r in again.records} == \
        {r["question"]: r["meta"]["model"] for r in done.records}
    assert done.job.generators.keys() == {"fake/fake-model", "fake/fake-model-2"}


@pytest.mark.parametrize("recipe", ["ultrachat", "ultrafeedback", "magpie", "persona-hub"])
def test_mix_is_refused_naming_mix_where_it_cannot_apply(redis_url: str, recipe: str) -> None:
    spec = spec_for(recipe, mix=[{"provider": "fake", "model": "fake-model-2"}])
    with pytest.raises(InvalidSpec) as err:
        run(spec, redis_url)
    assert [e.field for e in err.value.errors] == ["mix"]


def test_retried_requests_are_charged_to_the_outcome_they_served(local: LocalApi, fake: Fake) -> None:
    # Over HTTP, three 429s are retried: six requests for three records, all in the funnel.
    fake.configure(rate_limit_first=3, retry_after=0.01)
    job = local.wait(local.submit(responses_spec(3, concurrency=1)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["retries"] == 3, job
    rows = {(o["stage"], o["reason"]): (o["attempts"], o["requests"]) for o in job["outcomes"]}
    assert rows == {("kept", "kept"): (3, 6)} and job["progress"]["requests"] == 6
