"""Orca: system messages from the query's collection pool, multiple-choice-only messages
kept away from other queries, the system message on every record, task sampling."""

from __future__ import annotations

import random
from typing import Any

import pytest

from service.recipes import orca
from service.recipes.orca import MULTIPLE_CHOICE_ONLY, POOLS, SYSTEM_MESSAGES, Item, pool_for

from support import Api, Fake, LocalApi, Workers, wait_for

BY_TEXT = {text: sid for sid, text in SYSTEM_MESSAGES.items()}
COLLECTIONS = ("cot", "niv2", "t0", "flan2021")


def mixed_queries(n: int) -> list[dict[str, Any]]:
    """n queries cycling through the collections, half of them multiple-choice (in every
    collection, so multiple choice outside flan2021 is exercised too), with tasks."""
    out = []
    for i in range(n):
        out.append({"query": f"Query {i:03d}: which answer fits item {i}? Options: (A) one (B) two",
                    "collection": COLLECTIONS[i % 4], "multiple_choice": (i // 4) % 2 == 0,
                    "task": f"task-{i % 7}"})
    return out


def chat_requests(fake: Fake, n: int) -> dict[str, list[dict[str, str]]]:
    """The messages the fake server received, by the user turn's text."""
    out = {}
    for req in fake.requests(n):
        if req["endpoint"] == "chat":
            msgs = req["body"]["messages"]
            out[msgs[-1]["content"]] = msgs
    return out


def expected_system_ids(queries: list[dict[str, Any]], seed: int) -> dict[str, int]:
    """Query -> system id as the recipe's schedule draws them for this seed."""
    items = [Item(q["query"], q["collection"], q["multiple_choice"], q.get("task")) for q in queries]
    return {items[i].query: sid for i, sid in orca.schedule(items, "auto", random.Random(seed))}


def submit(alice: Api, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    spec = {"recipe": "orca", "generator": {"provider": "fake"}, "params": params, **extra}
    r = alice.submit(spec)
    assert r.status_code == 202, r.text
    return alice.wait(r.json()["id"])


# -- pure parts -----------------------------------------------------------------------


def test_sixteen_system_messages_and_the_papers_pools() -> None:
    assert sorted(SYSTEM_MESSAGES) == list(range(1, 17))
    assert SYSTEM_MESSAGES[1] == "" and all(SYSTEM_MESSAGES[i] for i in range(2, 17))
    assert len(set(SYSTEM_MESSAGES.values())) == 16
    for sid in MULTIPLE_CHOICE_ONLY:
        assert "multiple-choice" in SYSTEM_MESSAGES[sid] and "first give the correct answer" in SYSTEM_MESSAGES[sid]
    assert "Part #:" in SYSTEM_MESSAGES[15] and "\nUsage:" in SYSTEM_MESSAGES[15]
    assert "five year old" in SYSTEM_MESSAGES[4] and "teacher" in SYSTEM_MESSAGES[13]
    assert "translate" in SYSTEM_MESSAGES[14] and "definition" in SYSTEM_MESSAGES[9]
    assert all("step by step" in SYSTEM_MESSAGES[i] for i in (7, 11, 12))
    assert pool_for("cot", False) == pool_for("cot", True) == (6, 11, 16)
    assert pool_for("niv2", True) == (1, 2, 5, 7, 9, 12, 13, 14, 15)
    assert pool_for("t0", False) == (1, 2, 3, 5, 7)
    assert pool_for("flan2021", True) == (8, 10) and pool_for("flan2021", False) == (3, 4, 7)
    # 8 and 10 are only in the multiple-choice pool.
    assert {k for k, pool in POOLS.items() if MULTIPLE_CHOICE_ONLY & set(pool)} == {"flan2021-mc"}


def test_empty_system_message_means_no_system_turn_by_default() -> None:
    assert orca.build_messages(1, "Q?") == [{"role": "user", "content": "Q?"}]
    assert orca.build_messages(1, "Q?", "empty") == [{"role": "system", "content": ""}, {"role": "user", "content": "Q?"}]
    assert orca.build_messages(9, "Q?", "omit")[0] == {"role": "system", "content": SYSTEM_MESSAGES[9]}


def test_schedule_is_a_permutation_in_given_order_without_tasks() -> None:
    items = [Item(f"q{i}", "t0", False) for i in range(30)]
    got = list(orca.schedule(items, "auto", random.Random(3)))
    assert [i for i, _ in got] == list(range(30))
    assert {sid for _, sid in got} <= set(POOLS["t0"])


def test_task_sampling_draws_each_query_once_and_picks_tasks_uniformly() -> None:
    # Task "big" has 60 queries, "small" 3. Sampling a task first puts the small
    # task's queries early; sampling queries uniformly would spread them out
    # (mean position about 31).
    items = [Item(f"b{i}", "niv2", False, "big") for i in range(60)] + [
        Item(f"s{i}", "niv2", False, "small") for i in range(3)]
    positions = []
    for seed in range(200):
        order = [i for i, _ in orca.schedule(items, "auto", random.Random(seed))]
        assert sorted(order) == list(range(63))
        positions += [order.index(i) for i in (60, 61, 62)]
    assert sum(positions) / len(positions) < 8
    a = list(orca.schedule(items, "tasks", random.Random(5)))
    assert a == list(orca.schedule(items, "tasks", random.Random(5)))
    assert [i for i, _ in orca.schedule(items, "given", random.Random(5))] == list(range(63))


def test_schedule_never_gives_multiple_choice_only_messages_to_other_items() -> None:
    rng = random.Random(0)
    items = [Item(f"q{i}", rng.choice(COLLECTIONS), rng.random() < 0.5, rng.choice([None, "a", "b"]))
             for i in range(3000)]
    seen: dict[tuple[str, bool], set[int]] = {}
    for i, sid in orca.schedule(items, "auto", random.Random(1)):
        it = items[i]
        assert sid in pool_for(it.collection, it.multiple_choice)
        assert sid not in MULTIPLE_CHOICE_ONLY or (it.collection == "flan2021" and it.multiple_choice)
        seen.setdefault((it.collection, it.multiple_choice), set()).add(sid)
    assert seen[("flan2021", True)] == {8, 10} and seen[("flan2021", False)] == {3, 4, 7}
    assert seen[("niv2", False)] == set(POOLS["niv2"])


# -- through the service ----------------------------------------------------------------


def test_system_messages_sent_and_stored_respect_pools_and_multiple_choice(local: LocalApi, fake: Fake) -> None:
    queries = mixed_queries(80)
    job = submit(local, {"queries": queries}, seed=7, concurrency=4)
    assert job["status"] == "succeeded", job
    assert job["progress"]["target"] == 80 and job["progress"]["kept"] == 80
    by_query = {q["query"]: q for q in queries}

    sent = chat_requests(fake, 200)
    assert set(sent) == set(by_query)
    ids_sent = {}
    for query, msgs in sent.items():
        q = by_query[query]
        sid = BY_TEXT[msgs[0]["content"]] if msgs[0]["role"] == "system" else 1
        ids_sent[query] = sid
        assert sid in pool_for(q["collection"], q["multiple_choice"])
        if not (q["collection"] == "flan2021" and q["multiple_choice"]):
            assert sid not in MULTIPLE_CHOICE_ONLY, (q, sid)
        if sid == 1:
            assert msgs == [{"role": "user", "content": query}]  # empty message: no system turn
    mc_flan = [ids_sent[q["query"]] for q in queries if q["collection"] == "flan2021" and q["multiple_choice"]]
    assert set(mc_flan) == {8, 10}
    assert 1 in ids_sent.values()

    assert ids_sent == expected_system_ids(queries, 7)

    records = local.lines(job["id"])
    assert len(records) == 80
    for rec in records:
        q = by_query[rec["question"]]
        sid = rec["system_id"]
        assert sid == ids_sent[rec["question"]]
        assert rec["system"] == SYSTEM_MESSAGES[sid]
        assert rec["collection"] == q["collection"] and rec["multiple_choice"] == q["multiple_choice"]
        assert rec["task"] == q["task"]
        assert rec["messages"][-2:] == [{"role": "user", "content": rec["question"]},
                                        {"role": "assistant", "content": rec["response"]}]
        if sid == 1:
            assert len(rec["messages"]) == 2 and rec["system"] == ""
        else:
            assert rec["messages"][0] == {"role": "system", "content": rec["system"]}
        assert rec["meta"]["provider"] == "fake" and rec["meta"]["seed"] == 7

    # Same seed, other concurrency, smaller target: the same (query, system) pairs, the
    # first ones of the same schedule (FLAN-1M is a subset of FLAN-5M).
    small = submit(local, {"queries": queries}, seed=7, concurrency=1, target=12)
    assert small["status"] == "succeeded" and small["progress"]["kept"] == 12
    pairs = {(r["question"], r["system_id"]) for r in records}
    small_pairs = {(r["question"], r["system_id"]) for r in local.lines(small["id"])}
    assert len(small_pairs) == 12 and small_pairs <= pairs


def test_prompt_file_queries_share_the_params_collection(local: LocalApi, fake: Fake) -> None:
    job = submit(local, {"prompt_file": "eval-prompts", "collection": "cot"}, seed=3)
    assert job["status"] == "succeeded" and job["progress"]["target"] == 5 and job["progress"]["kept"] == 5
    records = local.lines(job["id"])
    assert {r["question"] for r in records} == {f"Registered prompt {i}" for i in range(5)}
    assert all(r["collection"] == "cot" and r["multiple_choice"] is False and "task" not in r for r in records)
    assert all(r["system_id"] in (6, 11, 16) and r["messages"][0]["content"] == r["system"] for r in records)


def test_empty_system_turn_option_and_filter_rejects(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[{"match": "Query 003:", "replies": ["I'm sorry, but I cannot help with that."]}])
    queries = [{"query": f"Query {i:03d}: define term {i}.", "collection": "t0"} for i in range(12)]
    job = submit(local, {"queries": queries, "empty_system": "empty"}, seed=2, concurrency=3,
                 format="sharegpt")
    assert job["status"] == "succeeded", job
    assert job["progress"]["target"] == 12 and job["progress"]["kept"] == 11
    assert job["progress"]["rejected_by_reason"] == {"refusal": 1} and job["note"]
    (reject,) = local.lines(job["id"], "rejects")
    assert reject["question"].startswith("Query 003:") and reject["system"] == SYSTEM_MESSAGES[reject["system_id"]]
    sent = chat_requests(fake, 50)
    assert all(msgs[0]["role"] == "system" for msgs in sent.values())
    empties = [q for q, msgs in sent.items() if msgs[0]["content"] == ""]
    assert empties, "seed 2 should draw the empty system message at least once"
    for rec in local.lines(job["id"]):
        conv = rec["conversations"]
        assert [c["from"] for c in conv] == ["system", "human", "gpt"]
        assert conv[0]["value"] == rec["meta"]["fields"]["system"]
        assert rec["meta"]["fields"]["system_id"] in POOLS["t0"]


@pytest.mark.parametrize(("params", "extra", "field"), [
    ({}, {}, "params.queries"),
    ({"queries": [{"query": "x"}], "prompt_file": "eval-prompts"}, {}, "params.queries"),
    ({"queries": [{"query": "a"}, {"query": "b"}]}, {"target": 3}, "target"),
    ({"queries": [{"query": "a", "collection": "dialog"}]}, {}, "params.queries[0].collection"),
    ({"queries": [{"query": "a", "answer": "b"}]}, {}, "params.queries[0].answer"),
    ({"queries": [{"query": ""}]}, {}, "params.queries[0].query"),
    ({"prompt_file": "unregistered"}, {}, "params.prompt_file"),
    ({"queries": [{"query": "a"}], "order": "random"}, {}, "params.order"),
])
def test_invalid_orca_specs_name_the_field(local: LocalApi, params: dict[str, Any], extra: dict[str, Any], field: str) -> None:
    r = local.submit({"recipe": "orca", "generator": {"provider": "fake"}, "params": params, **extra})
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_killed_worker_resumes_with_the_same_schedule(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.05)
    queries = mixed_queries(120)
    (first,) = workers.start(1)
    r = alice.submit({"recipe": "orca", "generator": {"provider": "fake"}, "params": {"queries": queries},
                      "seed": 11, "concurrency": 4})
    job_id = r.json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 20, what="progress before the kill")
    workers.kill(first)
    assert alice.job(job_id)["progress"]["kept"] < 120
    workers.start(1)
    job = alice.wait(job_id, timeout=90)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 120, job
    records = alice.lines(job_id)
    assert len(records) == 120 and len({r["id"] for r in records}) == 120
    assert {r["question"]: r["system_id"] for r in records} == expected_system_ids(queries, 11)
