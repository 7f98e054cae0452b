"""Provider batch mode (docs/costs.md, service/providers/openai_batch.py): a job whose
deadline allows it sends its chat requests to a `batch = true` provider through the
OpenAI Batch API of the fake server (upload, batch, poll, output file by custom_id),
files split at the provider's limits, priced at the batch discount; expiry and cancel
keep the answered lines and send the rest online; without the deadline, online."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from test_estimates import estimate

from service.providers.openai_batch import split

from support import Api, Fake, MemoryBatchState, Workers, responses_spec, wait_for

DAY = 86400


def prompts(n: int) -> list[str]:
    tag = uuid.uuid4().hex[:8]
    return [f"Batched question {tag} {i}: explain topic {i}." for i in range(n)]


def batch_stats(fake: Fake) -> dict[str, Any]:
    out: dict[str, Any] = fake.stats()["batches"]
    return out


def body(n: int, provider: str = "batcher", **extra: Any) -> dict[str, Any]:
    return responses_spec(n, generator={"provider": provider}, concurrency=max(n, 1),
                          params={"prompts": prompts(n)}, **extra)


def test_split_keeps_files_within_the_request_and_byte_limits() -> None:
    lines = [(f"c{i}", b"x" * 100 + b"\n") for i in range(10)]
    assert [len(f) for f in split(lines, 4, 10_000)] == [4, 4, 2]
    assert [len(f) for f in split(lines, 100, 303)] == [3, 3, 3, 1]  # 3 x 101 bytes fit in 303
    assert [cid for f in split(lines, 3, 250) for cid, _ in f] == [c for c, _ in lines]  # order kept, none lost
    assert split([("big", b"y" * 500)], 10, 100) == [[("big", b"y" * 500)]]  # alone; the provider refuses it


def test_a_job_with_a_far_deadline_goes_through_batches_at_the_discount(alice: Api, fake: Fake,
                                                                         worker: Workers) -> None:
    before = batch_stats(fake)
    online_before = fake.stats()["requests"]
    batched = alice.wait(alice.submit(body(8, deadline=2 * DAY)).json()["id"])
    after = batch_stats(fake)
    assert batched["status"] == "succeeded" and batched["progress"]["kept"] == 8
    assert after["requests"] - before["requests"] == 8 and after["distinct"] - before["distinct"] == 8
    assert batched["cost"]["batch_calls"] == 8 and batched["cost"]["batch_online"] == 0  # nothing sent online
    # the same job online (no deadline) costs twice as much: batch_discount = 0.5
    online = alice.wait(alice.submit(body(8)).json()["id"])
    assert online["status"] == "succeeded" and batch_stats(fake)["requests"] == after["requests"]
    assert fake.stats()["requests"] - online_before >= 8 and online["cost"]["batch_calls"] == 0
    assert batched["cost"]["usd"] == pytest.approx(online["cost"]["usd"] / 2, rel=0.05)


def test_a_near_deadline_goes_online(alice: Api, fake: Fake, worker: Workers) -> None:
    before = batch_stats(fake)
    job = alice.wait(alice.submit(body(4, deadline=3600)).json()["id"])
    assert job["status"] == "succeeded" and batch_stats(fake)["requests"] == before["requests"]


def test_files_are_split_at_the_providers_limit(alice: Api, fake: Fake, worker: Workers) -> None:
    before = batch_stats(fake)
    job = alice.wait(alice.submit(body(10, provider="batcher-small", deadline=2 * DAY)).json()["id"])
    after = batch_stats(fake)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 10
    assert after["requests"] - before["requests"] == 10
    sizes = after["sizes"][before["files"]:]
    assert len(sizes) >= 3 and max(sizes) == 4 and sum(sizes) == 10  # at most 4 a file (the lanes' timing decides the rest)


def test_an_expired_batch_keeps_its_answers_and_sends_the_rest_online(alice: Api, fake: Fake,
                                                                      worker: Workers) -> None:
    fake.configure(batch_seconds=0.5, batch_expire=True)  # half the lines answered, then expired
    before = batch_stats(fake)
    job = alice.wait(alice.submit(body(10, deadline=2 * DAY)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 10
    assert batch_stats(fake)["requests"] - before["requests"] == 10
    assert job["cost"]["batch_calls"] == 5 and job["cost"]["batch_online"] == 5


def test_a_cancelled_batch_keeps_its_answers_and_sends_the_rest_online(alice: Api, fake: Fake, fake_url: str,
                                                                       worker: Workers) -> None:
    fake.configure(batch_seconds=3.0)
    before = batch_stats(fake)["batches"]
    job_id = alice.submit(body(12, deadline=2 * DAY)).json()["id"]
    wait_for(lambda: batch_stats(fake)["batches"] > before, what="the batch created")
    batch_id = batch_stats(fake)["ids"][-1]
    wait_for(lambda: httpx.get(f"{fake_url}/v1/batches/{batch_id}").json()["request_counts"]["completed"] > 0,
             what="a line answered")
    assert httpx.post(f"{fake_url}/v1/batches/{batch_id}/cancel").status_code == 200
    job = alice.wait(job_id)
    answered = httpx.get(f"{fake_url}/v1/batches/{batch_id}").json()["request_counts"]["completed"]
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 12
    assert 0 < answered < 12
    assert job["cost"]["batch_calls"] == answered and job["cost"]["batch_online"] == 12 - answered


def test_cancelling_the_job_cancels_its_batch_at_the_provider(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(batch_seconds=5.0)
    before = batch_stats(fake)["batches"]
    job_id = alice.submit(body(10, deadline=2 * DAY)).json()["id"]
    wait_for(lambda: batch_stats(fake)["batches"] > before, what="the batch created")
    batch_id = batch_stats(fake)["ids"][-1]
    assert alice.client.post(f"/v1/jobs/{job_id}/cancel").status_code in (200, 202)
    assert alice.wait(job_id)["status"] == "cancelled"
    wait_for(lambda: fake.batch(batch_id)["status"] == "cancelled", what="the batch cancelled")
    assert fake.batch(batch_id)["request_counts"]["completed"] < 10


def test_requests_arriving_while_a_batch_uploads_get_a_batch_of_their_own(fake_url: str, fake: Fake) -> None:
    """A regression: the requests that came while the previous batch was uploading were
    never sent (the bench's 1000-record job stopped at 727)."""
    import asyncio

    import aiohttp

    from service.providers.openai_batch import Batcher, BatchOptions

    fake.configure(batch_seconds=0.1)

    async def go() -> list[bytes]:
        async with aiohttp.ClientSession() as session:
            b = Batcher(session=session, base=f"{fake_url}/v1", name="t", model="fake-model",
                        options=BatchOptions(poll_seconds=0.05, collect_seconds=0.05), state=MemoryBatchState())
            send = b._send

            async def slow_send(data: bytes) -> str:
                await asyncio.sleep(0.3)  # an upload that takes a while
                return await send(data)

            b._send = slow_send  # type: ignore[method-assign]

            def ask(i: int) -> "asyncio.Task[bytes]":
                return asyncio.create_task(b.chat(f"c{i}", {"model": "fake-model", "messages": [
                    {"role": "user", "content": f"Question {i}?"}]}))

            first = [ask(i) for i in range(3)]
            await asyncio.sleep(0.15)  # the first batch is uploading now
            later = [ask(i) for i in range(3, 5)]
            out = await asyncio.wait_for(asyncio.gather(*first, *later), 20)
            await b.aclose()
            assert b.uploads == 2
            return out

    answers = asyncio.run(go())
    assert len(answers) == 5 and all(b'"choices"' in a for a in answers)


def test_an_estimate_of_a_batch_job_samples_online(alice: Api, fake: Fake, worker: Workers) -> None:
    before = batch_stats(fake)["requests"]
    est = estimate(alice, body(30, deadline=2 * DAY))
    assert est["status"] == "succeeded" and batch_stats(fake)["requests"] == before


@pytest.mark.parametrize("deadline, says", [
    ("2020-01-01T00:00:00Z", "has passed"), ("2099-01-01T00:00:00", "needs its zone"),
    ("tomorrow", "not an ISO 8601 time"), (-5, "deadline"), ("x" * 65, "deadline"),
])
def test_a_bad_deadline_is_refused_naming_it(alice: Api, deadline: object, says: str) -> None:
    r = alice.submit(body(2, deadline=deadline))
    assert r.status_code in (400, 422) and "deadline" in r.text and says in r.text, r.text


def test_a_deadline_time_far_enough_batches(alice: Api, fake: Fake, worker: Workers) -> None:
    job = alice.wait(alice.submit(body(3, deadline="2099-01-01T00:00:00+00:00")).json()["id"])
    assert job["status"] == "succeeded" and job["cost"]["batch_calls"] == 3
