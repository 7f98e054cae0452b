"""UltraChat (shared/reference/recipes.md 5a): user simulator + assistant dialogues.

Through the real service: turns alternate starting with the user, round counts stay in
the sector's range, a dialogue whose assistant says "I do not have emotions" is
rejected whole, and the user simulator and the assistant can be different models or
providers. Pure helpers (turn cleaning, subtopic parsing, the phrase rule, plans) get
unit tests.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from service.recipes import ultrachat
from service.recipes.ultrachat import (
    DEFAULT_META_TOPICS,
    NO_EMOTIONS,
    SECTOR_ROUNDS,
    UltraChatParams,
    clean_turn,
    draw_plans,
    parse_subtopics,
)

from support import Api, Fake, LocalApi, Workers, wait_for

SIM = "playing the part of a human user"  # in the simulator's system prompt
FOLLOW_UPS = ["User: Could you give me a concrete example of that?", "**Human:** Why does that matter in practice?"]
OPENINGS = [f"Opening question {i}: how do tides form on planet {i}?" for i in range(6)]


def spec(params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"recipe": "ultrachat", "generator": {"provider": "fake"}, "seed": 3, "concurrency": 3,
            "params": params, **extra}


def run_job(alice: Api, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = alice.submit(body)
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"])
    return job, alice.lines(job["id"])


def assert_dialogue(rec: dict[str, Any], lo: int, hi: int) -> None:
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["user", "assistant"] * rec["rounds"], roles
    assert lo <= rec["rounds"] <= hi
    assert all(m["content"].strip() for m in rec["messages"])
    assert rec["prompt"] == rec["messages"][0]["content"]


def test_world_dialogues_alternate_from_the_user_within_3_to_7_rounds(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": SIM, "replies": FOLLOW_UPS}], served_model="fake-model-2026-01",
                   system_fingerprint="fp_uc")
    job, records = run_job(local, spec({"sector": "world", "openings": OPENINGS}))
    assert job["status"] == "succeeded", job
    assert job["progress"]["target"] == 6 and job["progress"]["kept"] == 6
    assert {r["id"] for r in records} == {f"{job['id']}.d{i}_0" for i in range(6)}  # keys from the seed index
    for rec in records:
        assert_dialogue(rec, 3, 7)
        assert rec["sector"] == "world" and rec["opening"] == OPENINGS[rec["seed_index"]]
        assert rec["messages"][0]["content"] == OPENINGS[rec["seed_index"]]
        for m in rec["messages"][2::2]:  # simulated user turns: role labels stripped
            assert m["content"] in ("Could you give me a concrete example of that?", "Why does that matter in practice?")
        assert rec["user_simulator"]["model"] == "fake-model" and rec["meta"]["model"] == "fake-model"
        assert rec["meta"]["served"] == {"model": "fake-model-2026-01", "system_fingerprint": "fp_uc"}
    assert len({r["rounds"] for r in records}) > 1  # drawn per dialogue
    # The simulator saw the dialogue so far as a transcript, under its "act as the user" instructions.
    sim = [q["body"] for q in fake.requests(500) if SIM in q["body"]["messages"][0]["content"]]
    assert len(sim) == sum(r["rounds"] - 1 for r in records)
    assert sim[0]["messages"][0]["role"] == "system"
    assert "User: Opening question" in sim[0]["messages"][1]["content"] and "\n\nAssistant: " in sim[0]["messages"][1]["content"]
    # The assistant saw real chat turns, no instructions.
    asst = [q["body"] for q in fake.requests(500) if SIM not in q["body"]["messages"][0]["content"]]
    assert len(asst) == sum(r["rounds"] for r in records)
    assert all(b["messages"][0]["content"] in OPENINGS and b["messages"][-1]["role"] == "user" for b in asst)


def test_rounds_override_and_writing_and_materials_ranges(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": SIM, "replies": FOLLOW_UPS},
        {"match": "wants an AI assistant to write", "replies": ["Request: Write a haiku about autumn leaves for my class."]},
        {"match": "Below is a passage of text", "replies": ["What does the text say about the harbour?"]},
    ])
    job, records = run_job(local, spec({"openings": OPENINGS[:3], "min_rounds": 2, "max_rounds": 2}))
    assert job["status"] == "succeeded" and len(records) == 3
    assert all(r["rounds"] == 2 and len(r["messages"]) == 4 for r in records)

    job, records = run_job(local, spec({"sector": "writing", "topics": ["a haiku"], "dialogues_per_seed": 5}))
    assert job["status"] == "succeeded" and job["progress"]["target"] == 5 and len(records) == 5, job
    assert {r["id"] for r in records} == {f"{job['id']}.d0_{j}" for j in range(5)}
    for rec in records:
        assert_dialogue(rec, *SECTOR_ROUNDS["writing"])
        assert rec["messages"][0]["content"] == "Write a haiku about autumn leaves for my class."
        assert rec["topic"] == "a haiku"

    passages = ["The harbour of the old town was rebuilt in 1820 after a storm destroyed its walls.",
                "Bees communicate the direction of flowers through a waggle dance inside the hive."]
    job, records = run_job(local, spec({"sector": "materials", "passages": passages, "dialogues_per_seed": 2}))
    assert job["status"] == "succeeded" and len(records) == 4, job
    for rec in records:
        assert_dialogue(rec, *SECTOR_ROUNDS["materials"])
        first = rec["messages"][0]["content"]
        assert passages[rec["passage_index"]] in first and "What does the text say about the harbour?" in first
        assert rec["opening"] == "What does the text say about the harbour?"


def test_default_world_topics_go_meta_topic_to_subtopic_to_question(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": SIM, "replies": FOLLOW_UPS},
        {"match": "specific subtopics within", "replies": ["Here are some:\n1. Volcano formation\n2. Ocean currents\n3. Glacier retreat"]},
        {"match": "is curious about", "replies": ["Question: What should I know about this subject?"]},
    ])
    job, records = run_job(local, spec({}, target=3))
    assert job["status"] == "succeeded" and len(records) == 3, job
    for rec in records:
        assert_dialogue(rec, 3, 7)
        assert rec["topic"] in DEFAULT_META_TOPICS and rec["subtopic"] in ("Volcano formation", "Ocean currents", "Glacier retreat")
        assert rec["messages"][0]["content"] == "What should I know about this subject?"
    asked = [q["body"]["messages"][0]["content"] for q in fake.requests(500)
             if "is curious about" in q["body"]["messages"][0]["content"]]
    assert len(asked) == 3 and all(any(s in a for s in ("Volcano formation", "Ocean currents", "Glacier retreat")) for a in asked)


def test_a_dialogue_where_the_assistant_has_no_emotions_is_rejected_whole(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": SIM, "replies": ["User: And how does that make you feel?"]},
        {"match": "rainy days.*make you feel", "replies": ["As an assistant I do NOT have emotions, but rain is lovely."]},
    ])
    openings = ["Tell me about rainy days in London.", "Explain how photosynthesis works in plants."]
    job, records = run_job(local, spec({"openings": openings, "min_rounds": 3, "max_rounds": 3}))
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 1 and job["progress"]["rejected_by_reason"] == {"no_emotions": 1}
    assert job["note"] and "1 of 2" in job["note"]
    assert [r["opening"] for r in records] == [openings[1]]
    (reject,) = local.lines(job["id"], "rejects")
    assert reject["id"] == f"{job['id']}.d0_0" and reject["stage"] == "filter" and reject["reason"] == "no_emotions"
    assert reject["detail"].startswith("assistant turn 2")
    # The whole dialogue goes, and it stops at the offending turn: no third round was asked for.
    assert [m["role"] for m in reject["messages"]] == ["user", "assistant"] * 2
    rainy = [q for q in fake.requests(500) if "rainy days" in q["body"]["messages"][0]["content"]
             or "rainy days" in q["body"]["messages"][-1]["content"]]
    assert len(rainy) == 3  # assistant, simulator, assistant
    assert not any(NO_EMOTIONS.search(m["content"]) for r in records for m in r["messages"])


def test_sigkill_then_restart_resumes_by_seed_index_with_the_same_plans(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.03, scripts=[{"match": SIM, "replies": FOLLOW_UPS}])
    openings = [f"Resume question {i}: what shapes the climate of region {i}?" for i in range(16)]
    (first,) = workers.start(1)
    r = alice.submit(spec({"openings": openings}, concurrency=2, seed=11))
    job_id = r.json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 3, what="some dialogues")
    workers.kill(first)
    assert alice.job(job_id)["progress"]["kept"] < 16
    workers.start(1)
    job = alice.wait(job_id, timeout=90)
    assert job["status"] == "succeeded", job
    records = alice.lines(job_id)
    assert job["progress"]["kept"] == 16 == len(records) == len({r["id"] for r in records})
    assert sorted(r["opening"] for r in records) == sorted(openings)
    # Both workers drew the same per-dialogue plan from the job's seed.
    plans = draw_plans(UltraChatParams(openings=openings), len(openings), random.Random(11))
    assert {r["seed_index"]: r["rounds"] for r in records} == {pl.seed: pl.rounds for pl in plans}


@pytest.mark.parametrize(("sim_ref", "sim_model"), [
    ({"provider": "fake", "model": "fake-model-2"}, "fake-model-2"),
    ({"provider": "chatonly"}, "fake-chat"),
])
def test_user_simulator_and_assistant_are_different_models(local: LocalApi, fake: Fake,
                                                           sim_ref: dict[str, Any], sim_model: str) -> None:
    fake.configure(scripts=[
        {"match": SIM, "replies": FOLLOW_UPS},
        {"match": "is curious about", "replies": ["How did the printing press change Europe?"]},
    ])
    body = spec({"topics": ["The printing press", "Medieval trade routes"], "subtopics": 0,
                 "min_rounds": 2, "max_rounds": 3, "user_simulator": sim_ref})
    job, records = run_job(local, body)
    assert job["status"] == "succeeded" and len(records) == 2, job
    sent = [q["body"] for q in fake.requests(500)]
    simulator = [b for b in sent if SIM in b["messages"][0]["content"] or "is curious about" in b["messages"][0]["content"]]
    assistant = [b for b in sent if b not in simulator]
    assert len(simulator) == sum(r["rounds"] for r in records)  # opening + (rounds - 1) follow-ups each
    assert len(assistant) == sum(r["rounds"] for r in records)
    assert {b["model"] for b in simulator} == {sim_model}
    assert {b["model"] for b in assistant} == {"fake-model"}
    assert all(b["temperature"] == 0.9 and b["stop"] == ultrachat.SIMULATOR_STOP for b in simulator)
    for rec in records:
        assert rec["meta"]["provider"] == "fake" and rec["meta"]["model"] == "fake-model"
        assert rec["user_simulator"]["model"] == sim_model and rec["user_simulator"]["provider"] == sim_ref["provider"]
        assert rec["opening"] == "How did the printing press change Europe?"


@pytest.mark.parametrize(("params", "extra", "field"), [
    ({"min_rounds": 5, "max_rounds": 4, "openings": ["hi"]}, {}, "params.min_rounds"),
    ({"min_rounds": 8, "openings": ["hi"]}, {}, "params.min_rounds"),  # above world's default max 7
    ({"sector": "writing", "max_rounds": 1, "topics": ["a poem"]}, {}, "params.max_rounds"),
    ({"user_simulator": {"provider": "nope"}}, {}, "params.user_simulator.provider"),
    ({"user_simulator": {"provider": "fake", "model": "gpt-9"}}, {}, "params.user_simulator.model"),
    ({"passages": ["Some text."]}, {}, "params.passages"),  # passages need sector materials
    ({"sector": "materials"}, {}, "params.passages"),
    ({"sector": "materials", "topics": ["x"]}, {}, "params.topics"),
    ({"openings": ["a"], "topics": ["b"]}, {}, "params.topics"),
    ({"openings": ["a", "b"], "dialogues_per_seed": 2}, {"target": 5}, "target"),
    ({"sector": "space"}, {}, "params.sector"),
    ({"openings": []}, {}, "params.openings"),
])
def test_invalid_ultrachat_specs_name_the_field(local: LocalApi, params: dict[str, Any], extra: dict[str, Any], field: str) -> None:
    r = local.submit(spec(params, **extra))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


# -- pure helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "turn"), [
    ("User: Can you explain more?", "Can you explain more?"),
    ("**User:** Sure, but why?", "Sure, but why?"),
    ("[Human]: hi there", "hi there"),
    ("User's next message: What about X?", "What about X?"),
    ('"How does it work?"', "How does it work?"),
    ("Question: Why is the sky blue?", "Why is the sky blue?"),
    ("What is it?\nAssistant: It is a thing.\nUser: ok", "What is it?"),
    ("Assistant: I will answer my own question.", ""),
    ("Users often say this: it depends.", "Users often say this: it depends."),
])
def test_clean_turn_strips_role_labels(raw: str, turn: str) -> None:
    assert clean_turn(raw) == turn


def test_parse_subtopics_drops_headers_markers_and_repeats() -> None:
    text = "Here are 4 subtopics:\n1. Volcanoes\n2) Ocean currents.\n- **Glaciers**\n* volcanoes\nPlate tectonics"
    assert parse_subtopics(text, 10) == ["Volcanoes", "Ocean currents", "Glaciers", "Plate tectonics"]
    assert parse_subtopics(text, 2) == ["Volcanoes", "Ocean currents"]
    assert parse_subtopics("1. Volcanoes\n2. Ocean cur", 5, truncated=True) == ["Volcanoes"]


@pytest.mark.parametrize(("text", "hit"), [
    ("I do not have emotions, but I can help.", True),
    ("Honestly, I don't have opinions on this.", True),
    ("As an AI, I DON'T HAVE PERSONAL OPINIONS.", True),
    ("I don’t have emotions like humans do.", True),
    ("I do not have personal emotions.", True),
    ("Many people do not have opinions on this.", False),
    ("I don't have the data.", False),
])
def test_no_emotions_phrases(text: str, hit: bool) -> None:
    assert bool(NO_EMOTIONS.search(text)) is hit


def test_plans_draw_rounds_in_each_sector_range_reproducibly() -> None:
    for sector, (lo, hi) in SECTOR_ROUNDS.items():
        p = UltraChatParams(sector=sector, dialogues_per_seed=3)
        plans = draw_plans(p, 200, random.Random(1))
        rounds = [pl.rounds for pl in plans]
        assert len(plans) == 600 and set(rounds) == set(range(lo, hi + 1))
        assert draw_plans(p, 200, random.Random(1)) == plans
    plans = draw_plans(UltraChatParams(min_rounds=4, max_rounds=4), 10, random.Random(0))
    assert {pl.rounds for pl in plans} == {4}
    # Dialogues of one topic take consecutive (different) subtopics.
    p = UltraChatParams(dialogues_per_seed=3)
    for i in range(5):
        picks = [pl.subtopic % 5 for pl in draw_plans(p, 5, random.Random(2)) if pl.seed == i]
        assert len(set(picks)) == 3


@pytest.mark.slow
def test_ultrachat_on_embedded_smollm2(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "ultrachat", "concurrency": 1, "seed": 5,
                      "generator": {"provider": "local", "sampling": {"max_tokens": 64, "temperature": 0}},
                      "filters": {"drop_truncated": False},
                      "params": {"openings": ["What is the tallest mountain in Europe?"], "min_rounds": 2, "max_rounds": 2}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=600)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 1, job
    (rec,) = alice.lines(job["id"])
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "user", "assistant"]
    assert all(m["content"].strip() for m in rec["messages"])
    assert not rec["messages"][2]["content"].lower().startswith(("user:", "human:"))
    assert rec["meta"]["model"] == "smollm2-135m-instruct" and rec["user_simulator"]["provider"] == "local"
