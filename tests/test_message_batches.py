"""Provider batch mode on the `anthropic` kind (docs/costs.md, "Provider batch mode";
service/providers/anthropic_batch.py): a job whose deadline allows it sends its chat
requests through the fake server's Message Batches API (service/testing/
fake_message_batches.py: create, poll, results by custom_id), batches split at the
provider's limit, priced at the batch discount; expired and canceled requests go online,
errored ones are lost like an online call out of retries; a batcher that restarts waits
on the batch recorded instead of sending its requests again."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import httpx
import pytest

from service.providers.anthropic_batch import MessageBatcher
from service.providers.base import NotAnswered, ProviderError
from service.providers.batches import BatchOptions, split

from support import Api, Fake, MemoryBatchState, Workers, responses_spec, wait_for

DAY = 86400
HEADERS = {"anthropic-version": "2023-06-01"}


def prompts(n: int) -> list[str]:
    tag = uuid.uuid4().hex[:8]
    return [f"Message batch question {tag} {i}: explain topic {i}." for i in range(n)]


def stats(fake: Fake) -> dict[str, Any]:
    out: dict[str, Any] = fake.stats()["message_batches"]
    return out


def body(n: int, provider: str = "claude-batcher", **extra: Any) -> dict[str, Any]:
    return responses_spec(n, generator={"provider": provider}, concurrency=max(n, 1),
                          params={"prompts": prompts(n)}, **extra)


def chat_body(i: int, tag: str = "") -> dict[str, Any]:
    return {"model": "fake-claude", "messages": [{"role": "system", "content": "Be brief."},
                                                 {"role": "user", "content": f"Question {tag}{i}?"}],
            "temperature": 0.5, "seed": 3}


def batcher(session: aiohttp.ClientSession, url: str, state: MemoryBatchState, **options: Any) -> MessageBatcher:
    return MessageBatcher(session=session, base=f"{url}/v1", name="t", model="fake-claude", state=state,
                          options=BatchOptions(poll_seconds=0.05, collect_seconds=0.05, **options))


def test_a_part_is_a_messages_batch_body_within_the_byte_limit() -> None:
    b = MessageBatcher(session=None, base="http://x/v1", name="t", model="m",  # type: ignore[arg-type]
                       options=BatchOptions(), state=MemoryBatchState())
    lines = [(f"c{i}", b._encode(f"c{i}", chat_body(i))) for i in range(10)]
    payload = json.loads(b._pack([line for _, line in lines]))
    first = payload["requests"][0]
    assert [r["custom_id"] for r in payload["requests"]] == [f"c{i}" for i in range(10)]
    # the Messages API body the online call sends: system top-level, max_tokens set, no seed
    assert first["params"]["system"] == "Be brief." and first["params"]["messages"] == [
        {"role": "user", "content": "Question 0?"}]
    assert first["params"]["max_tokens"] > 0 and "seed" not in first["params"]
    limit = sum(len(line) for _, line in lines[:4]) + b.pack_overhead  # four requests fit exactly
    parts = split(lines, 100, limit - b.pack_overhead)
    assert [len(p) for p in parts] == [4, 4, 2]
    assert all(len(b._pack([x for _, x in p])) <= limit for p in parts)


def test_results_are_asked_on_the_providers_own_host_only() -> None:
    """The session carries the key: a results_url elsewhere is not followed."""
    from service.providers.anthropic_batch import _Batch

    b = MessageBatcher(session=None, base="https://api.example.test/v1", name="t", model="m",  # type: ignore[arg-type]
                       options=BatchOptions(), state=MemoryBatchState())
    own = "https://api.example.test/v1/messages/batches/msgbatch_1/results"
    assert b._results_path(_Batch(id="msgbatch_1", processing_status="ended", results_url=own)) == own
    for elsewhere in ("https://evil.example/v1/messages/batches/msgbatch_1/results",
                      "http://api.example.test/v1/messages/batches/msgbatch_1/results", None):
        batch = _Batch(id="msgbatch_1", processing_status="ended", results_url=elsewhere)
        assert b._results_path(batch) == "/messages/batches/msgbatch_1/results"


def test_the_fake_answers_by_custom_id_with_errored_and_expired(fake_url: str, fake: Fake) -> None:
    url = f"{fake_url}/v1/messages/batches"
    reqs = [{"custom_id": f"r{i}", "params": {"model": "fake-claude", "max_tokens": 50,
                                               "messages": [{"role": "user", "content": f"Question {i}?"}]}}
            for i in range(6)]
    assert httpx.post(url, json={"requests": reqs}).status_code == 400  # no anthropic-version
    assert httpx.post(url, json={"requests": reqs + reqs[:1]}, headers=HEADERS).status_code == 400  # a duplicate
    assert httpx.post(url, json={"requests": [{"custom_id": "a b", "params": {}}]}, headers=HEADERS).status_code == 400
    fake.configure(batch_seconds=0.2, batch_expire=True, fail_first=1, fault_endpoints=["messages"])
    b = httpx.post(url, json={"requests": reqs}, headers=HEADERS).json()
    assert b["type"] == "message_batch" and b["processing_status"] == "in_progress" and b["results_url"] is None
    assert b["request_counts"] == {"processing": 6, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    wait_for(lambda: fake.message_batch(b["id"])["processing_status"] == "ended", what="the batch ended")
    b = fake.message_batch(b["id"])
    assert b["request_counts"] == {"processing": 0, "succeeded": 2, "errored": 1, "canceled": 0, "expired": 3}
    lines = [json.loads(x) for x in httpx.get(b["results_url"], headers=HEADERS).text.splitlines()]
    by_id = {x["custom_id"]: x["result"] for x in lines}
    assert sorted(by_id) == [f"r{i}" for i in range(6)]
    assert by_id["r0"]["type"] == "errored" and by_id["r0"]["error"]["error"]["type"] == "api_error"
    assert by_id["r1"]["type"] == "succeeded" and by_id["r1"]["message"]["content"][0]["text"]
    assert by_id["r1"]["message"]["usage"]["input_tokens"] == 2
    assert [by_id[f"r{i}"]["type"] for i in range(3, 6)] == ["expired"] * 3
    assert httpx.get(f"{url}/msgbatch_nope", headers=HEADERS).status_code == 404


def test_a_job_with_a_far_deadline_goes_through_message_batches_at_the_discount(
        alice: Api, fake: Fake, worker: Workers) -> None:
    before, online_before = stats(fake), fake.stats()["by_endpoint"]["messages"]
    batched = alice.wait(alice.submit(body(8, deadline=2 * DAY)).json()["id"])
    after = stats(fake)
    assert batched["status"] == "succeeded" and batched["progress"]["kept"] == 8, batched
    assert after["requests"] - before["requests"] == 8 and after["distinct"] - before["distinct"] == 8
    assert fake.stats()["by_endpoint"]["messages"] == online_before  # nothing sent to /v1/messages
    assert batched["cost"]["batch_calls"] == 8 and batched["cost"]["batch_online"] == 0
    # the same job online (no deadline) costs twice as much: batch_discount = 0.5
    online = alice.wait(alice.submit(body(8)).json()["id"])
    assert online["status"] == "succeeded" and stats(fake)["requests"] == after["requests"]
    assert fake.stats()["by_endpoint"]["messages"] - online_before >= 8 and online["cost"]["batch_calls"] == 0
    assert batched["cost"]["usd"] == pytest.approx(online["cost"]["usd"] / 2, rel=0.05)


def test_batches_are_split_at_the_providers_limit(alice: Api, fake: Fake, worker: Workers) -> None:
    before = stats(fake)
    job = alice.wait(alice.submit(body(10, provider="claude-batcher-small", deadline=2 * DAY)).json()["id"])
    after = stats(fake)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 10
    assert after["requests"] - before["requests"] == 10
    sizes = after["sizes"][before["batches"]:]
    assert len(sizes) >= 3 and max(sizes) == 4 and sum(sizes) == 10


def test_expired_requests_go_online(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(batch_seconds=0.5, batch_expire=True)  # half the requests answered, the rest expired
    before, online_before = stats(fake), fake.stats()["by_endpoint"]["messages"]
    job = alice.wait(alice.submit(body(10, deadline=2 * DAY)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 10
    assert stats(fake)["requests"] - before["requests"] == 10
    assert job["cost"]["batch_calls"] == 5 and job["cost"]["batch_online"] == 5
    assert fake.stats()["by_endpoint"]["messages"] - online_before == 5


def test_canceled_requests_go_online(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(batch_seconds=3.0)
    before = stats(fake)["batches"]
    job_id = alice.submit(body(12, deadline=2 * DAY)).json()["id"]
    wait_for(lambda: stats(fake)["batches"] > before, timeout=60, what="the batch created")
    batch_id = stats(fake)["ids"][-1]
    wait_for(lambda: fake.message_batch(batch_id)["request_counts"]["succeeded"] > 0, what="a request answered")
    r = httpx.post(f"{fake.url}/v1/messages/batches/{batch_id}/cancel", headers=HEADERS)
    assert r.status_code == 200 and r.json()["processing_status"] == "canceling"
    job = alice.wait(job_id)
    counts = fake.message_batch(batch_id)["request_counts"]
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 12
    assert 0 < counts["succeeded"] < 12 and counts["canceled"] == 12 - counts["succeeded"]
    assert job["cost"]["batch_calls"] == counts["succeeded"] and job["cost"]["batch_online"] == counts["canceled"]


def test_errored_requests_are_lost_not_sent_online(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(batch_seconds=0.3, fail_first=2, fault_endpoints=["messages"])
    online_before = fake.stats()["by_endpoint"]["messages"]
    # error_budget: two losses of six are within it (an online call out of retries counts the same)
    job = alice.wait(alice.submit(body(6, deadline=2 * DAY, error_budget=0.5)).json()["id"])
    assert job["status"] == "succeeded", (job.get("error"), job["progress"])
    assert job["progress"]["kept"] == 4 and job["progress"]["rejected_by_reason"] == {"provider_error": 2}
    assert job["cost"]["batch_calls"] == 4 and job["cost"]["batch_online"] == 0
    assert fake.stats()["by_endpoint"]["messages"] == online_before
    rejects = alice.lines(job["id"], "rejects")
    assert len(rejects) == 2 and all("batch request failed" in json.dumps(x) for x in rejects), rejects


def test_a_restarted_batcher_waits_on_the_recorded_batch_without_resending(fake_url: str, fake: Fake) -> None:
    """A worker that recorded its batch and stopped (its poller gone): the next run's
    batcher, on the same state, finds the requests in the batch and waits for it."""
    fake.configure(batch_seconds=1.0)
    state, tag = MemoryBatchState(), uuid.uuid4().hex[:6]

    async def go() -> tuple[list[bytes], int]:
        async with aiohttp.ClientSession(headers=HEADERS) as session:
            first = batcher(session, fake_url, state)
            calls = [asyncio.create_task(first.chat(f"c{i}", chat_body(i, tag))) for i in range(5)]
            while len(state.ids) < 5:  # recorded: the provider took the batch
                await asyncio.sleep(0.02)
            await first.aclose()  # the worker dies; the batch goes on at the provider
            await asyncio.gather(*calls, return_exceptions=True)
            created = stats(fake)["batches"]
            second = batcher(session, fake_url, state)
            assert all([await second.known(f"c{i}") for i in range(5)])
            out = await asyncio.wait_for(asyncio.gather(*(second.chat(f"c{i}", chat_body(i, tag))
                                                          for i in range(5))), 20)
            await second.aclose()
            return list(out), stats(fake)["batches"] - created

    before = stats(fake)
    answers, new_batches = asyncio.run(go())
    after = stats(fake)
    assert new_batches == 0  # nothing sent again
    assert after["requests"] - before["requests"] == 5 and after["distinct"] - before["distinct"] == 5
    assert len(answers) == 5 and all(json.loads(a)["type"] == "message" for a in answers)
    assert state.ids == {}  # every answer taken


def test_a_batcher_maps_each_result_kind(fake_url: str, fake: Fake) -> None:
    """succeeded -> the message; errored -> ProviderError; expired -> NotAnswered."""
    fake.configure(batch_seconds=0.2, batch_expire=True, fail_first=1, fault_endpoints=["messages"])

    async def go() -> list[Any]:
        async with aiohttp.ClientSession(headers=HEADERS) as session:
            b = batcher(session, fake_url, MemoryBatchState())
            out = await asyncio.gather(*(b.chat(f"k{i}", chat_body(i)) for i in range(4)), return_exceptions=True)
            await b.aclose()
            return list(out)

    out = asyncio.run(go())
    assert isinstance(out[0], ProviderError) and "api_error" in str(out[0])
    assert isinstance(out[1], bytes) and json.loads(out[1])["content"][0]["type"] == "text"
    assert all(isinstance(x, NotAnswered) and "expired" in str(x) for x in out[2:])


def test_the_anthropic_kind_takes_batch_settings_with_anthropics_limits() -> None:
    import msgspec

    from service.providers.registry import ProvidersFile

    def load(extra: str) -> Any:
        text = f'[providers.c]\nkind = "anthropic"\nmodels = ["m"]\n{extra}\n'
        return msgspec.toml.decode(text.encode(), type=ProvidersFile).providers["c"]

    cfg = load("batch = true")
    assert (cfg.batch_max_requests, cfg.batch_max_bytes) == (100_000, 256 * 1024 * 1024)
    assert load("").batch is False
    for field, value, says in (("batch_max_requests", 100_001, "<= 100000"),
                               ("batch_max_bytes", 256 * 1024 * 1024 + 1, "<= 268435456"),
                               ("batch_poll_seconds", 0, "> 0")):
        with pytest.raises(msgspec.ValidationError, match=f"{says}.*{field}"):
            load(f"{field} = {value}")


def test_cancelling_the_job_cancels_its_message_batch(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(batch_seconds=5.0)
    before = stats(fake)["batches"]
    job_id = alice.submit(body(10, deadline=2 * DAY)).json()["id"]
    wait_for(lambda: stats(fake)["batches"] > before, timeout=60, what="the batch created")
    batch_id = stats(fake)["ids"][-1]
    assert alice.client.post(f"/v1/jobs/{job_id}/cancel").status_code in (200, 202)
    assert alice.wait(job_id)["status"] == "cancelled"
    wait_for(lambda: fake.message_batch(batch_id)["processing_status"] == "ended", what="the batch ended")
    counts = fake.message_batch(batch_id)["request_counts"]
    assert counts["canceled"] > 0 and counts["succeeded"] < 10
    assert fake.message_batch(batch_id)["cancel_initiated_at"] is not None
