"""One job on several workers: shards split the inputs, share the target and the
recipes' shared state (store/shards.py). In process: `run_recipe(..., workers=3)`
runs three workers' `execute` at once on one job, interleaved on one event loop,
against the real test Redis; tests/faults/ does it with processes and SIGKILLs."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import redis

from service.pipeline.text import RougePool
from service.testing.harness import Call, Finished, ScriptedProvider, following_formats, run_recipe


def run(spec: dict[str, Any], redis_url: str, reply: Any = None, workers: int = 3) -> Finished:
    # A little latency: the shards' calls overlap, as they would on several machines.
    return run_recipe(spec, redis_url=redis_url, workers=workers,
                      providers={"m": ScriptedProvider(reply or following_formats(), latency=0.005)})


def job_hash(redis_url: str, job_id: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in redis.Redis.from_url(redis_url).hgetall(f"sg:job:{job_id}").items()
            if k != b"spec"}


def test_three_shards_split_the_inputs_and_make_each_record_once(redis_url: str) -> None:
    prompts = [f"Explain item number {i} in one sentence." for i in range(300)]
    done = run({"recipe": "responses", "generator": {"provider": "m"}, "parallelism": 3, "concurrency": 4,
                "params": {"prompts": prompts}}, redis_url, lambda c: f"An answer about {c.text}")
    assert done.job.status == "succeeded" and done.job.progress.kept == 300
    assert sorted(r["prompt"] for r in done.records) == sorted(prompts)
    assert len({r["id"] for r in done.records}) == 300
    assert (done.job.shards.parallelism, done.job.shards.ended, done.job.shards.running) == (3, 3, 0)
    raw = job_hash(redis_url, done.job.id)
    assert [raw.get(f"runs:{k}") for k in range(3)] == ["1", "1", "1"]  # each shard claimed by one worker
    assert raw["tix"] == "0"  # every target ticket spent or given back
    chunks = redis.Redis.from_url(redis_url).hgetall(f"sg:job:{done.job.id}:chunks")
    assert not [f for f in chunks if b":o:" in f or b":f:" in f], chunks  # every chunk done


def test_shards_never_overshoot_a_target_below_the_inputs(redis_url: str) -> None:
    # 4 shards x 8 lanes over 400 prompts for 50 records: target tickets keep the
    # requests at exactly 50 (without them each shard would keep its lanes busy).
    model = ScriptedProvider(lambda c: f"An answer about {c.text}", latency=0.005)
    done = run_recipe({"recipe": "responses", "generator": {"provider": "m"}, "parallelism": 4, "concurrency": 8,
                       "target": 50, "params": {"prompts": [f"Prompt {i} asks something." for i in range(400)]}},
                      redis_url=redis_url, providers={"m": model}, workers=4)
    assert done.job.status == "succeeded" and done.job.progress.kept == 50
    assert len(model.calls) == 50 and done.job.progress.requests == 50


TASKS = [
    "Summarize the main causes of the French Revolution for a history class",
    "Suggest three healthy breakfast ideas that take under ten minutes",
    "Explain why the sky looks blue during the day",
    "Compose a haiku about autumn leaves falling in a quiet park",
    "List the steps needed to change a flat bicycle tire",
    "Translate the greeting good morning into Spanish and French",
    "Describe how a bill becomes law in a parliamentary democracy",
    "Give advice to a student preparing for a job interview",
    "Compare renting an apartment with buying a house",
    "Outline a weekly exercise routine for a beginner runner",
    "Recommend strategies for reducing household food waste",
    "Argue for or against school uniforms in public schools",
]


def near_duplicates() -> Any:
    """Self-Instruct bootstrap replies: every call lists the same 12 tasks in the same
    order, worded a little differently per call (ROUGE-L between two wordings of one
    task > 0.7, between two tasks far lower): every shard's first candidates are the
    same tasks, and only the shared pool stops two shards accepting one task twice."""
    calls = itertools.count()
    tails = ["", " please", " in detail", " briefly", " for me"]

    def reply(call: Call) -> str:
        if "Come up with a list" in call.text:
            n = next(calls)
            base = call.text.count("\n") - 1
            lines = [task + tails[n % len(tails)] + "." for task in TASKS]
            return "".join(f" {line}\n{base + i}." for i, line in enumerate(lines, 1))
        if "classification" in call.text:
            return " No"
        return "Input: something\nOutput: an answer"
    return reply


def test_self_instruct_novelty_holds_across_shards(redis_url: str) -> None:
    done = run({"recipe": "self-instruct", "generator": {"provider": "m"}, "target": 12, "parallelism": 3,
                "concurrency": 4, "error_budget": 1.0, "params": {"demos": 4}}, redis_url, near_duplicates())
    assert done.job.progress.kept == 12, done.job
    kept = [r["instruction"] for r in done.records]
    pool = RougePool()
    for text in kept:  # every kept task is novel against every other one, whichever shard took it
        best, _, _ = pool.nearest(text)
        assert best <= 0.7, (text, best)
        pool.add(text)
    assert done.job.progress.rejected_by_reason.get("rouge", 0) > 0
    raw = job_hash(redis_url, done.job.id)
    assert sum(1 for k in raw if k.startswith("runs:")) == 3
    assert len(redis.Redis.from_url(redis_url).lrange(f"sg:job:{done.job.id}:pool:accepted", 0, -1)) == 12


def test_magpie_duplicates_across_shards_are_rejected_as_duplicates(redis_url: str) -> None:
    # Every instruction comes twice in a row: shards that do not share what they took
    # would both answer it, and one answer would vanish at commit, counted nowhere.
    instructions = itertools.cycle([f"Tell me about the history of topic {i // 2} in detail?" for i in range(30)])
    model = ScriptedProvider(lambda c: next(instructions) if c.endpoint == "completions"
                             else f"A long helpful answer to {c.text}", latency=0.005)
    done = run_recipe({"recipe": "magpie", "generator": {"provider": "m"}, "target": 15, "parallelism": 3,
                       "concurrency": 4, "params": {"template": "chatml"}},
                      redis_url=redis_url, providers={"m": model}, workers=3)
    assert done.job.status == "succeeded" and done.job.progress.kept == 15
    kept = [r["instruction"] for r in done.records]
    assert len(set(kept)) == 15
    dup = next(o for o in done.job.outcomes if o.reason == "duplicate")
    written = sum(1 for c in model.calls if c.endpoint == "completions")
    assert written == 15 + dup.attempts  # every instruction written is kept or rejected as a duplicate
    assert not {r["instruction"] for r in done.rejects if r["reason"] == "duplicate"} - set(kept)


def test_evol_instruct_chains_stay_whole_across_shards(redis_url: str) -> None:
    seeds = [f"Describe how invention number {i} changed daily life." for i in range(30)]
    done = run({"recipe": "evol-instruct", "generator": {"provider": "m"}, "target": 90, "parallelism": 3,
                "concurrency": 4, "params": {"instructions": seeds, "rounds": 3, "eliminate": []}}, redis_url)
    assert done.job.status == "succeeded" and done.job.progress.kept == 90
    by_id = {r["id"]: r for r in done.records}
    assert Counter(r["round"] for r in done.records) == {1: 30, 2: 30, 3: 30}
    per_chain = Counter((r["seed_id"], r["round"]) for r in done.records)
    assert set(per_chain.values()) == {1}  # one evolution per chain and round, whichever shard made it
    for r in done.records:
        if r["round"] > 1:  # each round evolves its own chain's previous round
            parent = by_id[r["parent_id"]]
            assert parent["round"] == r["round"] - 1 and parent["seed_id"] == r["seed_id"]


def test_ultrafeedback_fans_out_each_prompt_once_across_shards(redis_url: str) -> None:
    prompts = [f"Question {i}: how do plants grow toward light?" for i in range(40)]
    model = ScriptedProvider(following_formats(), models=["model-0", "model-1", "model-2"], latency=0.005)
    done = run_recipe({"recipe": "ultrafeedback", "generator": {"provider": "m"}, "parallelism": 3,
                       "concurrency": 4,
                       "params": {"prompts": prompts, "k": 3,
                                  "completers": [{"provider": "m", "model": f"model-{i}"} for i in range(3)]}},
                      redis_url=redis_url, providers={"m": model}, workers=3)
    assert done.job.status == "succeeded", done.job
    outcomes = Counter(r["prompt"] for r in done.records + done.rejects)
    assert set(outcomes) == set(prompts) and set(outcomes.values()) == {1}  # each prompt: one pair or one reject
    answers = [c for c in model.calls if not re.search(r"rating|Rating|Score", c.text)]
    assert Counter(c.text for c in answers).most_common(1)[0][1] <= 3  # 3 completions per prompt, not per shard


def test_persona_hub_makes_and_dedups_personas_once_for_all_shards(redis_url: str) -> None:
    # Text-to-Persona: the model writes a persona per text (sampled: another shard's
    # call would write another one), 30 texts giving 10 distinct personas. Stages 1-2 run
    # once for the job, then the shards split the 10 unique personas.
    texts = [f"A field report number {i} on coral bleaching in reef region {i % 10}." for i in range(30)]
    made = itertools.count()

    def reply(c: Call) -> str:
        if "What kind of person" in c.text:
            region = re.search(r"reef region (\d+)", c.text)
            assert region is not None
            return f"A marine biologist who surveys the corals of reef region {region.group(1)} every spring."
        next(made)
        return f"User prompt: As that biologist, ask about reef health survey number {c.text[-20:]}"

    model = ScriptedProvider(reply, latency=0.005)
    done = run_recipe({"recipe": "persona-hub", "generator": {"provider": "m"}, "parallelism": 3, "concurrency": 4,
                       "params": {"texts": texts, "template": "instruction", "respond": False}},
                      redis_url=redis_url, providers={"m": model}, workers=3)
    assert done.job.status == "succeeded", done.job
    asked = [c for c in model.calls if "What kind of person" in c.text]
    assert len(asked) == 30  # one persona per text for the whole job, not one per shard
    dup = [r for r in done.rejects if r["reason"] == "duplicate_persona"]
    assert len(dup) == 20 and len({r["persona_id"] for r in dup}) == 20
    assert next(made) == 10 and done.job.progress.kept == 10  # one synthesis per unique persona
    assert len({r["persona_id"] for r in done.records}) == 10
