"""The embedded SmolLM2 through the whole service, and the worker's start-up model check
(slow: a real model on the CPU)."""

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
                      # This tests the chat path, not the model's quality: at temperature 0 the 135M model
                      # may loop ("la Femme, la Femme, ...") or not depending on the CPU kernels llama.cpp
                      # picked, and the repetition checks rightly reject a loop.
                      "filters": {"drop_truncated": False, "max_word_repeat": 1000, "max_sentence_repeat": 1000,
                                  "max_repeated_ngram_fraction": 1},
                      "params": {"prompts": ["What is the capital of France?", "Name a primary colour."]}})
    job = alice.wait(r.json()["id"], timeout=300)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 2, job
    records = alice.lines(job["id"])
    assert all(rec["response"].strip() and rec["messages"][-1]["role"] == "assistant" for rec in records)
    assert {rec["prompt"] for rec in records} == {"What is the capital of France?", "Name a primary colour."}
    assert all(rec["meta"]["sampling"]["temperature"] == 0 for rec in records)


def test_model_check_passes_on_this_build() -> None:
    from service.providers.local import check_model, default_model_path

    assert check_model(default_model_path(), 1) is None


def test_a_model_that_cannot_run_fails_its_jobs_with_the_cause(tmp_path) -> None:
    """A model the worker cannot run is a fatal provider error naming why, not a crash."""
    import asyncio

    from service.providers import local
    from service.providers.base import ProviderError

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    local.start_probe(str(broken), 1)
    local._probes[str(broken)].done.wait(120)
    assert "exited with status" in (local._probes[str(broken)].error or "")

    class Stats:
        def request(self, *a): pass
        def retry(self, *a): pass
        def tokens(self, *a): pass

    provider = local.LocalLlama(name="local", models=[], model_path=str(broken), n_ctx=256, n_threads=1,
                                licence="x", stats=Stats())
    with pytest.raises(ProviderError) as err:
        asyncio.run(provider.complete("Hello", model="m", params={"max_tokens": 1}))
    assert err.value.fatal and "unusable on this machine" in str(err.value)
    assert "SIGILL" in local._explain(-4, "") and "LLAMA_CPU=baseline" in local._explain(-4, "")
    assert "SIGSEGV" in local._explain(-11, "") and "AMX" in local._explain(-11, "")


def test_reasoning_on_embedded_smollm2_reports_its_pass_rate(alice: Api, worker: Workers) -> None:
    # A 135M model is a weak arithmetician: the test checks the pipeline (traces made,
    # verified by math-verify against the references, the pass rate in the report),
    # not the model; min_yield 0 lets the job succeed whatever it gets right.
    items = [{"prompt": "What is 2 + 3?", "answer": "5"}, {"prompt": "What is 10 - 4?", "answer": "6"},
             {"prompt": "What is 3 * 3?", "answer": "9"}, {"prompt": "What is 1 + 1?", "answer": "2"}]
    r = alice.submit({"recipe": "reasoning", "concurrency": 1, "min_yield": 0, "seed": 3,
                      "generator": {"provider": "local", "sampling": {"max_tokens": 96, "temperature": 0.2}},
                      "filters": {"drop_truncated": False, "max_word_repeat": 1000, "max_sentence_repeat": 1000,
                                  "max_repeated_ngram_fraction": 1},
                      "verify": {"verifier": {"kind": "math"}},
                      "params": {"items": items}})
    assert r.status_code == 202, r.text
    job = alice.wait(r.json()["id"], timeout=600)
    assert job["status"] == "succeeded", job
    report = alice.client.get(f"/v1/jobs/{job['id']}/report").json()
    v = report["verification"]
    kept = job["progress"]["kept"]
    print(f"reasoning on SmolLM2-135M: pass rate {v['pass_at_k'].get('1', 0):.0%} ({kept} of {v['items']})")
    assert v["items"] == 4 and v["pass_at_k"].get("1", 0.0) == kept / 4
    assert job["progress"]["requests"] == 4
    lines = alice.lines(job["id"]) + alice.lines(job["id"], "rejects")
    assert len(lines) == 4
    for line in lines:
        assert line["meta"]["verify"]["verifier"] == "math" and line["reference"] in {"5", "6", "9", "2"}
