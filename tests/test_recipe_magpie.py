"""Magpie: instructions from the pre-query template alone (raw completion), answers by chat."""

from __future__ import annotations

from typing import Any

import pytest

from service.recipes import magpie

from support import Api, Fake, LocalApi, Workers

LLAMA3_PRE_QUERY = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
SMOLLM_PRE_QUERY = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\n"
)


def spec(target: int, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"recipe": "magpie", "target": target, "concurrency": 2, "seed": 5,
                           "generator": {"provider": "fake"}, "params": params or {}}
    out.update(extra)
    return out


def sent(fake: Fake, endpoint: str) -> list[dict[str, Any]]:
    return [q["body"] for q in fake.requests(1000) if q["endpoint"] == endpoint]


# -- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "family"), [
    ("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3"),
    ("llama3.1-70b", "llama-3"),
    ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5"),
    ("Qwen/Qwen2-72B-Instruct", "qwen2"),
    ("google/gemma-2-9b-it", "gemma-2"),
    ("google/gemma-1.1-7b-it", "gemma-1.1"),
    ("microsoft/Phi-3-mini-128k-instruct", "phi-3"),
    ("mistralai/Mistral-7B-Instruct-v0.3", "mistral"),
    ("smollm2-135m-instruct", "chatml"),
    ("fake-model", None),
    ("gpt-4o", None),
])
def test_family_is_detected_from_the_model_id(model: str, family: str | None) -> None:
    assert magpie.detect_family(model) == family


def test_pre_query_templates_follow_the_reference_table() -> None:
    pre = {name: f.pre_query for name, f in magpie.FAMILIES.items()}
    assert pre == {
        "llama-3": LLAMA3_PRE_QUERY,
        "qwen2": "<|im_start|>user\n",
        "qwen2.5": "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                   "<|im_end|>\n<|im_start|>user\n",
        "gemma-2": "<bos><start_of_turn>user\n\n",
        "gemma-1.1": "<bos><start_of_turn>user\n",
        "phi-3": "<s> <|user|>\n",
        "mistral": "<s> [INST] ",
        "chatml": SMOLLM_PRE_QUERY,
    }


def test_stop_strings_carry_turn_tokens_role_marker_and_newline_unless_disabled() -> None:
    fam = magpie.FAMILIES["llama-3"]
    stops = magpie.stop_strings(fam, True, ["###"])
    assert {"<|eot_id|>", "<|start_header_id|>", "assistant", "\n", "###"} <= set(stops)
    assert "\n" not in magpie.stop_strings(fam, False, [])
    assert {"Assistant", "assistant", "<|im_end|>"} <= set(magpie.stop_strings(magpie.FAMILIES["qwen2"], True, []))
    assert magpie.stop_strings(None, False, []) == ["assistant"]


def test_conversation_renders_in_the_family_format_ending_with_the_user_header() -> None:
    msgs = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}]
    assert magpie.render(magpie.FAMILIES["llama-3"], "S", msgs) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nQ1<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\n")
    assert magpie.render(magpie.FAMILIES["chatml"], "S", msgs) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n"
        "<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\n")
    # No system role: the system text opens the first user message.
    assert magpie.render(magpie.FAMILIES["gemma-2"], "S", msgs) == (
        "<bos><start_of_turn>user\nS\n\nQ1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
        "<start_of_turn>user\n")
    assert magpie.render(magpie.FAMILIES["mistral"], None, msgs) == "<s>[INST] Q1 [/INST] A1</s>[INST] "


@pytest.mark.parametrize(("text", "inst", "reason"), [
    ("  What is a prime number?  ", "What is a prime number?", None),
    (" \n ", "", "empty"),
    ("Here are some questions:", "Here are some questions:", "trailing_colon"),
    ("Fix this code: print(x)", "Fix this code: print(x)", None),
])
def test_clean_instruction(text: str, inst: str, reason: str | None) -> None:
    assert magpie.clean_instruction(text) == (inst, reason)


def test_duplicates_are_found_after_normalizing_whitespace_and_case() -> None:
    assert magpie.normalize("  What IS   the capital\nof Peru? ") == magpie.normalize("what is the capital of peru?")


# -- through the service -----------------------------------------------------------------------

QUESTIONS = [
    "What is the boiling point of water at the top of Mount Everest?\nA second line the stop string cuts off.",
    "How do vaccines train the immune system?",
    "Why do cats purr when they are content?",
]


def test_instruction_prompt_is_the_pre_query_template_and_nothing_else(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"endpoint": "completions", "replies": QUESTIONS}])
    r = local.submit(spec(3, {"template": "llama-3"}))
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 3, job
    records = local.lines(job["id"])
    assert {rec["instruction"] for rec in records} == {q.split("\n")[0] for q in QUESTIONS}
    for rec in records:
        assert rec["template"] == "llama-3" and rec["turns"] == 1
        assert rec["response"] and "output" not in rec
        assert rec["messages"] == [{"role": "user", "content": rec["instruction"]},
                                   {"role": "assistant", "content": rec["response"]}]
        assert rec["meta"]["sampling"]["temperature"] == 0.0
        assert rec["meta"]["sampling"]["instruction_sampling"]["temperature"] == 1.0
    completions = sent(fake, "completions")
    assert len(completions) == 3
    for body in completions:
        assert body["prompt"] == LLAMA3_PRE_QUERY  # no user text at all
        assert body["temperature"] == 1.0 and body["top_p"] == 1.0 and body["max_tokens"] == 256
        assert {"\n", "assistant", "<|eot_id|>", "<|end_of_text|>"} <= set(body["stop"])
    chats = sent(fake, "chat")
    assert len(chats) == 3
    for body in chats:
        assert [m["role"] for m in body["messages"]] == ["user"]
        assert body["temperature"] == 0.0 and body["max_tokens"] == 1024


@pytest.mark.parametrize(("body", "field"), [
    (spec(2, {"template": "llama-3"}, generator={"provider": "chatonly"}), "generator.provider"),
    (spec(2), "params.template"),  # fake-model: no known family
    (spec(2, generator={"provider": "fake", "model": "fake-model-2"}), "params.template"),
    (spec(2, {"template": "llama-3", "custom_template": "USER: "}), "params.custom_template"),
    (spec(2, {"custom_template": "USER: ", "turns": 2}), "params.turns"),
    (spec(2, {"template": "vicuna"}), "params.template"),
    ({**spec(2, {"template": "llama-3"}), "target": None}, "target"),
])
def test_unrunnable_magpie_specs_get_422_naming_the_field(local: LocalApi, body: dict[str, Any], field: str) -> None:
    r = local.submit({k: v for k, v in body.items() if v is not None})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    if field == "generator.provider":
        assert "raw completion" in problem["errors"][0]["message"]
    if field == "params.template" and body["params"] == {}:
        assert "params.template" in problem["errors"][0]["message"]


def test_trailing_colon_empty_and_duplicate_instructions_are_rejected(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"endpoint": "completions", "cycle": False, "replies": [
        "Here are some interesting questions:",
        "\nA question hidden behind a newline?",  # early stopping leaves nothing
        "What is the capital of Peru?",
        "  what is the   CAPITAL of peru? ",
        "Name one noble gas.",
    ]}])
    job = local.wait(local.submit(spec(2, {"template": "chatml"}, concurrency=1)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    assert {rec["instruction"] for rec in local.lines(job["id"])} == {"What is the capital of Peru?", "Name one noble gas."}
    rejects = {x["reason"]: x for x in local.lines(job["id"], "rejects")}
    assert set(rejects) == {"trailing_colon", "empty", "duplicate"}, rejects
    assert rejects["trailing_colon"]["stage"] == "instruction"
    assert rejects["trailing_colon"]["instruction"] == "Here are some interesting questions:"
    assert rejects["empty"]["stage"] == "instruction"
    assert rejects["duplicate"]["stage"] == "dedup"
    assert rejects["duplicate"]["instruction"] == "what is the   CAPITAL of peru?"
    assert job["progress"]["rejected_by_reason"] == {"trailing_colon": 1, "empty": 1, "duplicate": 1}
    assert all(b["prompt"] == SMOLLM_PRE_QUERY for b in sent(fake, "completions"))


def test_multi_turn_conversations_alternate_user_and_assistant(local: LocalApi, fake: Fake) -> None:
    follow_ups = ["Can you give a concrete example of that?", "How would that differ in winter?"]
    firsts = ["How do plants make food from sunlight?", "What causes the ocean tides?"]
    fake.configure(scripts=[
        {"match": "<\\|im_start\\|>assistant", "endpoint": "completions", "replies": follow_ups},
        {"endpoint": "completions", "replies": firsts},
    ], served_model="fake-model-2026-01", system_fingerprint="fp_mp")
    job = local.wait(local.submit(spec(2, {"template": "chatml", "turns": 3})).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    records = local.lines(job["id"])
    assert {rec["instruction"] for rec in records} == set(firsts)
    for rec in records:
        msgs = rec["messages"]
        assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
        assert all(m["content"].strip() for m in msgs)
        assert msgs[0]["content"] == rec["instruction"] and msgs[1]["content"] == rec["response"]
        assert msgs[2]["content"] in follow_ups and msgs[4]["content"] in follow_ups
        assert rec["turns"] == 3 and rec["template"] == "chatml"
        assert rec["meta"]["served"] == {"model": "fake-model-2026-01", "system_fingerprint": "fp_mp"}
    completions = sent(fake, "completions")
    assert sum(b["prompt"] == SMOLLM_PRE_QUERY for b in completions) == 2
    later = [b["prompt"] for b in completions if b["prompt"] != SMOLLM_PRE_QUERY]
    assert len(later) == 4  # turns 2 and 3 of two conversations
    for prompt in later:
        assert prompt.startswith(f"<|im_start|>system\n{magpie.MT_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n")
        assert prompt.endswith("<|im_end|>\n<|im_start|>user\n")
        assert any(f"<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n" in prompt for q in firsts)
    longest = max(later, key=len)
    assert longest.count("<|im_start|>assistant\n") == 2
    # Answers come by chat, with the whole conversation and no system message.
    chats = [b["messages"] for b in sent(fake, "chat")]
    assert sorted(len(m) for m in chats) == [1, 1, 3, 3, 5, 5]
    assert all(m[0]["role"] == "user" for m in chats)


def test_a_bad_follow_up_turn_drops_the_conversation(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "<\\|start_header_id\\|>assistant", "endpoint": "completions", "cycle": False,
         "replies": ["Here are my follow-up questions:", "And how does that work at night?"]},
        {"endpoint": "completions", "cycle": False,
         "replies": ["How do solar panels store energy?", "What is a leap year?"]},
    ])
    job = local.wait(local.submit(spec(1, {"template": "llama-3", "turns": 2}, concurrency=1)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    [rec] = local.lines(job["id"])
    assert [m["content"] for m in rec["messages"][::2]] == ["What is a leap year?", "And how does that work at night?"]
    [rej] = local.lines(job["id"], "rejects")
    assert (rej["stage"], rej["reason"], rej["detail"]) == ("instruction", "trailing_colon", "user turn 2")
    assert rej["instruction"] == "How do solar panels store energy?"
    assert [m["role"] for m in rej["messages"]] == ["user", "assistant"]


def test_custom_template_without_early_stopping(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"endpoint": "completions", "replies": ["Sort this list:\n3, 1, 2\nin ascending order."]}])
    custom = "### Instruction:\n\n"
    job = local.wait(local.submit(spec(
        1, {"custom_template": custom, "early_stopping": False, "stop": ["###"]},
        generator={"provider": "fake", "sampling": {"max_tokens": 60}})).json()["id"])
    assert job["status"] == "succeeded", job
    [rec] = local.lines(job["id"])
    assert rec["instruction"] == "Sort this list:\n3, 1, 2\nin ascending order."
    assert rec["template"] == "custom"
    [body] = sent(fake, "completions")
    assert body["prompt"] == custom and "\n" not in body["stop"] and {"###", "assistant"} <= set(body["stop"])
    [chat] = sent(fake, "chat")
    assert chat["max_tokens"] == 60


def test_output_formats_carry_the_conversation(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"endpoint": "completions", "replies": ["Why is the sea salty?"]}])
    job = local.wait(local.submit(spec(1, {"template": "qwen2"}, format="alpaca")).json()["id"])
    [rec] = local.lines(job["id"])
    assert rec["instruction"] == "Why is the sea salty?" and rec["input"] == "" and rec["output"].strip()


@pytest.mark.slow
def test_magpie_on_embedded_smollm2(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "magpie", "target": 3, "concurrency": 1, "seed": 11,
                      "generator": {"provider": "local", "model": "smollm2-135m-instruct",
                                    "sampling": {"max_tokens": 48}},
                      "filters": {"drop_truncated": False},
                      "params": {"template": "auto", "instruction_sampling": {"max_tokens": 64}}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=600)
    assert job["status"] == "succeeded", job
    records = alice.lines(job["id"])
    assert len(records) == 3
    for rec in records:
        assert rec["instruction"].strip() and "\n" not in rec["instruction"]
        assert not rec["instruction"].endswith(":")
        assert rec["response"].strip() and rec["template"] == "chatml"
        assert rec["meta"]["provider"] == "local" and rec["meta"]["model"] == "smollm2-135m-instruct"
    assert len({magpie.normalize(rec["instruction"]) for rec in records}) == 3
    print("\n".join(f"{rec['instruction']!r} -> {rec['response'][:80]!r}" for rec in records))
