"""The verify stage (pipeline/verify.py) and its verifiers (pipeline/verifiers.py):
verdicts with provenance on records and rejects, the funnel, rejection sampling."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import random
import threading

import pytest

from service.pipeline.stages import Candidate
from service.pipeline.verifiers import ExactVerifier, ExactVerifierSpec, MathVerifierSpec
from service.testing.harness import Call, ScriptedProvider, run_recipe

needs_math = pytest.mark.skipif(importlib.util.find_spec("math_verify") is None,
                                reason="math-verify is not installed (the synthgen[math] extra)")


def _job(verify: dict, prompts: list[str], **extra: object) -> dict:
    return {"recipe": "responses", "generator": {"provider": "m"}, "verify": verify,
            "filters": {"min_words": 0}, "params": {"prompts": prompts}, **extra}


@needs_math
@pytest.mark.parametrize("answer", ["1/2", "0.5", "\\frac{1}{2}", "The answer is $\\boxed{\\frac{1}{2}}$.", "$0.50$"])
def test_math_answers_equal_in_different_forms_pass(answer: str) -> None:
    verifier = MathVerifierSpec().build(None)
    for reference in ("1/2", "0.5", "\\frac{1}{2}"):
        check = asyncio.run(verifier.verify(Candidate(key="k", data={"reference": reference}, text=answer)))
        assert check.passed, (answer, reference, check)


@needs_math
@pytest.mark.parametrize("answer", ["1/3", "0.25", "\\frac{2}{3}", "The answer is $\\boxed{2}$."])
def test_a_wrong_math_answer_is_rejected(answer: str) -> None:
    verifier = MathVerifierSpec().build(None)
    check = asyncio.run(verifier.verify(Candidate(key="k", data={"reference": "1/2"}, text=answer)))
    assert not check.passed and check.reason == "wrong_answer", check


def test_exact_normalises_case_and_spaces_unless_told_not_to() -> None:
    loose = ExactVerifier(ExactVerifierSpec())
    strict = ExactVerifier(ExactVerifierSpec(normalize=False))
    c = Candidate(key="k", data={"reference": "Paris"}, text="  paris \n")
    assert asyncio.run(loose.verify(c)).passed
    assert asyncio.run(strict.verify(c)).reason == "wrong_answer"
    assert asyncio.run(loose.verify(Candidate(key="k", data={}, text="x"))).reason == "no_reference"


def test_regex_verdicts_and_provenance_on_records_and_rejects(redis_url: str) -> None:
    model = ScriptedProvider(lambda call: "ANSWER: 42" if "good" in call.text else "ANSWER: 41")
    done = run_recipe(_job({"verifier": {"kind": "regex", "pattern": r"ANSWER: 42$"}}, ["good one", "bad one"]),
                      redis_url=redis_url, providers={"m": model})

    assert done.job.status == "succeeded" and done.job.progress.kept == 1
    [record] = done.records
    assert record["meta"]["verify"] == {"verifier": "regex", "pattern": "ANSWER: 42$", "passed": True,
                                        "reason": None, "detail": None, "score": 1.0,
                                        "tried": 1, "passed_count": 1}
    [reject] = done.rejects
    assert (reject["stage"], reject["reason"]) == ("verify", "no_match")
    assert reject["meta"]["verify"]["passed"] is False and reject["meta"]["verify"]["verifier"] == "regex"
    assert reject["meta"]["provider"] == "m"
    funnel = {s.stage: (s.entered, s.rejected) for s in done.job.funnel}
    assert funnel["verify"] == (2, 1)
    assert done.job.verification is not None and done.job.verification.pass_at_k == {"1": 0.5}


def test_a_schema_violation_is_a_reject_carrying_the_validation_error(redis_url: str) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
              "required": ["name", "age"], "additionalProperties": False}
    replies = {"ok": '{"name": "Ada", "age": 36}', "neg": '{"name": "Bob", "age": -3}',
               "miss": '```json\n{"name": "Cy"}\n```', "prose": "Sure! Here is a person: Ada, 36."}

    def reply(call: Call) -> str:
        return replies[call.text.split()[-1]]

    done = run_recipe(_job({"verifier": {"kind": "json_schema"}}, [f"person {k}" for k in replies],
                           structured_output={"schema": schema}),
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply)})

    assert [json.loads(r["response"]) for r in done.records] == [{"name": "Ada", "age": 36}]
    rejects = {r["prompt"].split()[-1]: (r["reason"], r["detail"]) for r in done.rejects}
    assert rejects["neg"] == ("schema_invalid", "at age: -3 is less than the minimum of 0")
    assert rejects["miss"] == ("schema_invalid", "at (root): 'age' is a required property")
    assert rejects["prose"][0] == "not_json"


def test_samples_are_refused_by_a_recipe_that_does_not_resample(redis_url: str) -> None:
    from service.domain.errors import InvalidSpec

    with pytest.raises(InvalidSpec) as err:
        run_recipe({"recipe": "magpie", "generator": {"provider": "m"}, "target": 1, "params": {},
                    "verify": {"verifier": {"kind": "regex", "pattern": "x"}, "samples": 2}},
                   redis_url=redis_url, providers={"m": ScriptedProvider(lambda call: "x")})
    assert err.value.errors[0].field == "verify.samples"


def test_structured_output_is_refused_by_a_recipe_that_does_not_send_it(redis_url: str) -> None:
    from service.domain.errors import InvalidSpec

    with pytest.raises(InvalidSpec) as err:
        run_recipe({"recipe": "magpie", "generator": {"provider": "m"}, "target": 1, "params": {},
                    "structured_output": {"schema": {"type": "object"}}},
                   redis_url=redis_url, providers={"m": ScriptedProvider(lambda call: "x")})
    assert err.value.errors[0].field == "structured_output"


def test_a_json_schema_verifier_needs_a_schema_and_a_valid_one(redis_url: str) -> None:
    from service.domain.errors import InvalidSpec

    model = ScriptedProvider(lambda call: "{}")
    with pytest.raises(InvalidSpec) as err:
        run_recipe(_job({"verifier": {"kind": "json_schema"}}, ["x"]), redis_url=redis_url, providers={"m": model})
    assert err.value.errors[0].field == "verify.verifier.schema"
    with pytest.raises(InvalidSpec) as err:
        run_recipe(_job({"verifier": {"kind": "json_schema", "schema": {"type": "nonsense"}}}, ["x"]),
                   redis_url=redis_url, providers={"m": model})
    assert err.value.errors[0].field == "verify.verifier.schema"


def test_the_judge_as_a_verifier(redis_url: str) -> None:
    def reply(call: Call) -> str:
        if "<response>" in call.text:
            return "Fine. Score: 4" if "thorough" in call.text else "Weak. Score: 1"
        return "A thorough answer." if "tides" in call.text else "Meh."

    done = run_recipe(_job({"verifier": {"kind": "judge", "min_score": 3}}, ["Explain tides.", "Explain rain."]),
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply)})
    [record] = done.records
    assert record["meta"]["verify"]["verifier"] == "judge" and record["meta"]["verify"]["score"] == 4.0
    [reject] = done.rejects
    assert (reject["stage"], reject["reason"]) == ("verify", "low_score")


def _one_in_four(seed: int) -> tuple[ScriptedProvider, list[int]]:
    rng = random.Random(seed)
    lock = threading.Lock()
    counts = [0]

    def reply(call: Call) -> str:
        with lock:
            counts[0] += 1
            return "ANSWER: 42" if rng.random() < 0.25 else "ANSWER: 41"

    return ScriptedProvider(reply), counts


def test_rejection_sampling_k4_keeps_as_many_items_as_the_theory_says(redis_url: str) -> None:
    # A provider right 1 time in 4, up to K=4 tries per item until one verifies: an item
    # is kept with p = 1 - (3/4)^4 = 0.684. Over n = 200 items the kept count is
    # Binomial(200, 0.684): mean 136.7, sd 6.58; the check is mean +- 4 sd (a false
    # failure about once in 16,000 runs).
    n, k = 200, 4
    p = 1 - (3 / 4) ** k
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    model, _ = _one_in_four(17)
    done = run_recipe(_job({"verifier": {"kind": "regex", "pattern": "ANSWER: 42$"}, "samples": k},
                           [f"question {i}" for i in range(n)], concurrency=8),
                      redis_url=redis_url, providers={"m": model})

    kept = done.job.progress.kept
    print(f"K=4 rejection sampling: kept {kept} of {n}; theory {mean:.1f} +- {sd:.1f}")
    assert abs(kept - mean) <= 4 * sd, (kept, mean, sd)
    tried = [r["meta"]["verify"]["tried"] for r in done.records]
    assert all(1 <= t <= k for t in tried) and all(r["meta"]["verify"]["tried"] == k for r in done.rejects)
    assert all(r["response"] == "ANSWER: 42" for r in done.records)
    assert {r["reason"] for r in done.rejects} == {"no_match"} and len(done.rejects) == n - kept
    # every candidate is one request, and the funnel's pass@k adds up to what was kept
    assert done.job.progress.requests == sum(tried) + k * len(done.rejects) == len(model.calls)
    v = done.job.verification
    assert v is not None and v.items == n and set(v.pass_at_k) == {"1", "2", "3", "4"}
    assert v.pass_at_k["4"] == round(kept / n, 4)
    assert abs(v.pass_at_k["1"] - 0.25) <= 4 * math.sqrt(0.25 * 0.75 / n)
    assert list(v.pass_at_k.values()) == sorted(v.pass_at_k.values())


def test_parallel_sampling_keeps_all_verified_under_their_own_keys(redis_url: str) -> None:
    model = ScriptedProvider(lambda call: f"ANSWER: {42 if call.params['seed'] % 2 else 41}")
    done = run_recipe(_job({"verifier": {"kind": "regex", "pattern": "42"}, "samples": 4, "mode": "parallel",
                            "keep": "all"}, ["q0", "q1"], generator={"provider": "m", "sampling": {"seed": 10}}),
                      redis_url=redis_url, providers={"m": model})

    assert len(model.calls) == 8  # K calls per item, always, in parallel mode
    ids = sorted(r["id"].split(".", 1)[1] for r in done.records)
    assert ids == ["p0", "p0.s3", "p1", "p1.s3"]  # seeds 10..13: candidates 1 and 3 verify
    assert {r["meta"]["verify"]["passed_count"] for r in done.records} == {2}
    assert done.job.verification is not None and done.job.verification.pass_at_k == {"1": 0.0, "2": 1.0}
