"""The embedded SmolLM2 through the whole service (slow: a real model on the CPU)."""

from __future__ import annotations

import pytest

from support import Api, Workers

pytestmark = pytest.mark.slow


def test_self_instruct_on_embedded_smollm2(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "self-instruct", "target": 2, "concurrency": 1, "seed": 7,
                      "generator": {"provider": "local"}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=600)
    assert job["status"] == "succeeded", job
    records = alice.lines(job["id"])
    assert len(records) == 2
    for rec in records:
        assert len(rec["instruction"].split()) > 3 and rec["output"].strip()
        assert rec["meta"]["provider"] == "local" and rec["meta"]["model"] == "smollm2-135m-instruct"
    assert job["progress"]["tokens_out"] > 0 and job["progress"]["requests"] >= 4


def test_responses_on_embedded_smollm2_by_chat(alice: Api, worker: Workers) -> None:
    r = alice.submit({"recipe": "responses", "concurrency": 1, "generator": {"provider": "local",
                      "sampling": {"max_tokens": 64, "temperature": 0}},
                      "filters": {"drop_truncated": False},
                      "params": {"prompts": ["What is the capital of France?", "Name a primary colour."]}})
    job = alice.wait(r.json()["id"], timeout=300)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    records = alice.lines(job["id"])
    assert all(rec["response"].strip() and rec["messages"][-1]["role"] == "assistant" for rec in records)
    assert {rec["prompt"] for rec in records} == {"What is the capital of France?", "Name a primary colour."}
    assert all(rec["meta"]["sampling"]["temperature"] == 0 for rec in records)
