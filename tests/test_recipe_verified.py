"""Verified data through the service: the reasoning and tool-calls recipes, structured
outputs and reasoning models against the fake provider (real HTTP), and both recipes
sharded in the harness."""

from __future__ import annotations

import importlib.util
import json

import jsonschema
import pytest

from service.providers.base import Completion
from service.testing.harness import Call, ScriptedProvider, run_recipe

from support import Fake, LocalApi, responses_spec

needs_math = pytest.mark.skipif(importlib.util.find_spec("math_verify") is None,
                                reason="math-verify is not installed (the synthgen[math] extra)")

PERSON = {"type": "object", "properties": {"name": {"type": "string", "minLength": 2},
                                           "age": {"type": "integer", "minimum": 18}},
          "required": ["name", "age"], "additionalProperties": False}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "minLength": 1},
                                                    "unit": {"enum": ["c", "f"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}
CONVERT = {"type": "function", "function": {
    "name": "convert", "description": "Convert an amount between currencies",
    "parameters": {"type": "object", "properties": {"amount": {"type": "number", "minimum": 1},
                                                    "to": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "EUR"}},
                   "required": ["amount", "to"]}}}


def test_structured_output_goes_as_response_format_and_is_verified(local: LocalApi, fake: Fake) -> None:
    # The fake honours response_format with an instance of the schema, except where a
    # rule scripts a reply: topic 1's breaks the schema and is a reject carrying the error.
    fake.configure(scripts=[{"match": "topic 1 ", "replies": ['{"name": "Al", "age": 12}']}])
    spec = responses_spec(3, structured_output={"schema": PERSON, "name": "person"},
                          verify={"verifier": {"kind": "json_schema"}}, filters={"min_words": 0})
    job = local.wait(local.submit(spec).json()["id"])

    records = local.lines(job["id"])
    assert len(records) == 2 and job["progress"]["rejected_by_reason"] == {"schema_invalid": 1}
    for r in records:
        jsonschema.validate(json.loads(r["response"]), PERSON)
        assert r["meta"]["structured_output"] == "response_format" and r["meta"]["verify"]["passed"] is True
    [reject] = local.lines(job["id"], "rejects")
    assert reject["detail"] == "at age: 12 is less than the minimum of 18"
    sent = [q["body"] for q in fake.requests(10)]
    assert all(b["response_format"] == {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON,
                                                                               "strict": True}} for b in sent)
    assert "JSON Schema" not in json.dumps([b["messages"] for b in sent])


def test_structured_output_goes_in_the_prompt_to_a_provider_without_response_format(local: LocalApi,
                                                                                       fake: Fake) -> None:
    fake.configure(scripts=[{"match": "topic 0 ", "replies": ['{"name": "Ada", "age": 36}']},
                            {"match": "topic 1 ", "replies": ['{"name": "Bob"}']}])
    spec = responses_spec(2, generator={"provider": "plain"}, structured_output={"schema": PERSON},
                          verify={"verifier": {"kind": "json_schema"}}, filters={"min_words": 0})
    job = local.wait(local.submit(spec).json()["id"])

    [record] = local.lines(job["id"])
    assert record["meta"]["structured_output"] == "prompt"
    [reject] = local.lines(job["id"], "rejects")
    assert (reject["reason"], reject["detail"]) == ("schema_invalid", "at (root): 'age' is a required property")
    for q in fake.requests(10):
        assert "response_format" not in q["body"]
        assert "valid against this JSON Schema" in q["body"]["messages"][-1]["content"]


def test_reasoning_content_is_kept_apart_counted_and_an_empty_answer_rejected(local: LocalApi, fake: Fake) -> None:
    fake.configure(reasoning_content=True, scripts=[
        {"match": "topic 0 ", "replies": ["<think>Tides follow the moon's pull on the oceans.</think>The moon's gravity."]},
        {"match": "topic 1 ", "replies": ["<think>Let me think about rain for a very long time and never stop"
                                          "</think>"]},
        {"match": "topic 2 ", "replies": ["<think>Short.</think>\n\nWind is moving air."]},
    ])
    job = local.wait(local.submit(responses_spec(3)).json()["id"])

    records = {r["prompt"].split(":")[0]: r for r in local.lines(job["id"])}
    assert set(records) == {"Question number 0", "Question number 2"}
    assert records["Question number 0"]["reasoning"] == "Tides follow the moon's pull on the oceans."
    assert records["Question number 0"]["response"] == "The moon's gravity."
    assert records["Question number 2"]["response"] == "Wind is moving air."
    [reject] = local.lines(job["id"], "rejects")
    assert (reject["stage"], reject["reason"]) == ("filter", "empty_answer")
    # the fake reports the thinking's words as reasoning_tokens: 8 + 13 + 1
    assert job["progress"]["tokens_reasoning"] == 22


def test_inline_think_blocks_are_split_too(redis_url: str) -> None:
    model = ScriptedProvider(lambda call: "<think>2 and 2 make 4.</think>4" if "2+2" in call.text else
                             "<think>I keep thinking")
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"},
                       "params": {"prompts": ["What is 2+2?", "What is 3+3?"]}},
                      redis_url=redis_url, providers={"m": model})
    [record] = done.records
    assert (record["reasoning"], record["response"]) == ("2 and 2 make 4.", "4")
    [reject] = done.rejects
    assert reject["reason"] == "empty_answer"
    assert done.job.progress.tokens_reasoning == 5 + 3  # words of each thinking (no usage reported)


ARITHMETIC = [("What is 12 + 30?", "42"), ("What is 7 * 6?", "42"), ("What is 100 - 1?", "99"),
              ("What is 1/4 + 1/4?", "1/2"), ("What is 9 * 9?", "81"), ("What is 2^10?", "1024")]


@needs_math
def test_reasoning_keeps_verified_traces_sharded(redis_url: str) -> None:
    # The teacher is right on even items, answers in another form on the fraction, and
    # is wrong on odd items; with samples 2 the wrong ones are tried twice.
    answers = {"What is 12 + 30?": "12 + 30 = \\boxed{42}", "What is 7 * 6?": "It is 43.",
               "What is 100 - 1?": "\\boxed{99}", "What is 1/4 + 1/4?": "That is \\boxed{0.5}",
               "What is 9 * 9?": "\\boxed{80}", "What is 2^10?": "\\boxed{1024}"}

    def reply(call: Call) -> Completion:
        q = call.text.split("\n\n")[0]
        return Completion(text=answers[q], finish_reason="stop", tokens_in=5, tokens_out=5, model=call.model,
                          reasoning=f"Working out {q}", tokens_reasoning=3)

    model = ScriptedProvider(reply, latency=0.01)
    done = run_recipe({"recipe": "reasoning", "generator": {"provider": "m"}, "parallelism": 2, "min_yield": 0.1,
                       "verify": {"verifier": {"kind": "math"}, "samples": 2},
                       "params": {"items": [{"prompt": p, "answer": a} for p, a in ARITHMETIC]}},
                      redis_url=redis_url, providers={"m": model}, workers=2)

    assert done.job.status == "succeeded"
    kept = sorted(r["prompt"] for r in done.records)
    assert kept == ["What is 1/4 + 1/4?", "What is 100 - 1?", "What is 12 + 30?", "What is 2^10?"]
    assert all(r["reasoning"].startswith("Working out") and r["meta"]["verify"]["tried"] == 1 for r in done.records)
    assert sorted((r["reason"], r["meta"]["verify"]["tried"]) for r in done.rejects) == [("wrong_answer", 2)] * 2
    assert len(model.calls) == 4 + 2 * 2
    assert "put your final answer within \\boxed{}" in model.calls[0].text
    assert done.job.verification is not None and done.job.verification.pass_at_k == {"1": round(4 / 6, 4)}
    assert done.job.progress.tokens_reasoning == 3 * 8


def test_reasoning_needs_a_verify_stage_and_one_check_per_item(redis_url: str) -> None:
    from service.domain.errors import InvalidSpec

    model = ScriptedProvider(lambda call: "x")
    base = {"recipe": "reasoning", "generator": {"provider": "m"}}
    with pytest.raises(InvalidSpec) as err:
        run_recipe({**base, "params": {"items": [{"prompt": "p", "answer": "1"}]}},
                   redis_url=redis_url, providers={"m": model})
    assert err.value.errors[0].field == "verify"
    with pytest.raises(InvalidSpec) as err:
        run_recipe({**base, "verify": {"verifier": {"kind": "exact"}},
                    "params": {"items": [{"prompt": "p", "answer": "1", "tests": "assert True"}]}},
                   redis_url=redis_url, providers={"m": model})
    assert err.value.errors[0].field == "params.items[0]"


def test_tool_calls_on_the_fake_provider_validate_against_their_schemas(local: LocalApi, fake: Fake) -> None:
    # Unscripted, the fake answers a request with tools by calling the first tool with
    # arguments made from its schema; the semantic check's prompt is scripted a score.
    fake.configure(scripts=[{"match": "Do the calls, with these arguments", "replies": ["Right tool. Score: 5"]}])
    spec = {"recipe": "tool-calls", "generator": {"provider": "fake"}, "format": "openai",
            "params": {"tools": [WEATHER, CONVERT], "queries_per_tool": 3}}
    job = local.wait(local.submit(spec).json()["id"])

    assert job["status"] == "succeeded" and job["progress"]["kept"] == 6, job
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in (WEATHER, CONVERT)}
    for r in local.lines(job["id"]):
        user, assistant = r["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant" and assistant["content"] is None
        for call in assistant["tool_calls"]:
            assert call["type"] == "function"
            jsonschema.validate(json.loads(call["function"]["arguments"]), schemas[call["function"]["name"]])
        assert r["meta"]["semantic"]["score"] == 5
    calls = [q["body"] for q in fake.requests(50) if "tools" in q["body"]]
    assert len(calls) == 6 and all(b["tool_choice"] == "auto" and len(b["tools"]) == 2 for b in calls)


def test_tool_calls_format_checks_reject_with_the_error_sharded(redis_url: str) -> None:
    def call(name: str, args: str) -> list[dict]:
        return [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]

    def reply(c: Call) -> Completion | str:
        if "Do the calls" in c.text:
            return "Score: 1" if "Oslo" in c.text else "Score: 4"
        if c.params.get("tools"):
            q = c.text
            calls = (call("get_weather", '{"city": "Paris", "unit": "c"}') if "q1" in q else
                     call("get_weather", '{"city": "Paris", "unit": "kelvin"}') if "q2" in q else
                     call("get_time", "{}") if "q3" in q else
                     call("get_weather", "{city: Paris") if "q4" in q else
                     call("get_weather", '{"city": "Oslo", "unit": "c"}') if "q5" in q else None)
            return Completion(text="" if calls else "I can't call anything.", finish_reason="tool_calls",
                              tokens_in=1, tokens_out=1, model=c.model, tool_calls=calls)
        n = c.text.split("request number ")[1].split()[0]
        return f"Weather please, q{n}"

    done = run_recipe({"recipe": "tool-calls", "generator": {"provider": "m"}, "parallelism": 2,
                       "min_yield": 0.1, "params": {"tools": [WEATHER], "queries_per_tool": 6}},
                      redis_url=redis_url, providers={"m": ScriptedProvider(reply, latency=0.01)}, workers=2)

    [record] = done.records
    assert record["query"] == "Weather please, q1" and record["id"].endswith(".t000q0000")
    got = {r["query"][-2:]: (r["stage"], r["reason"], r["detail"]) for r in done.rejects}
    assert got["q2"] == ("format", "schema_invalid", "get_weather: at unit: 'kelvin' is not one of ['c', 'f']")
    assert got["q3"] == ("format", "unknown_tool", "no tool named 'get_time' was offered")
    assert got["q4"][:2] == ("format", "not_json")
    assert got["q5"] == ("semantic", "mismatch", "score 1.0")
    assert got["q6"][:2] == ("format", "no_call")
