"""500 concurrent submissions with Idempotency-Keys, half of them repeats, and 500 reads,
all at once against a real API process beyond its Redis pool (issue 12, fault test 4):
no 5xx, one job per key, and the tenant's list holds exactly those jobs."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx
import pytest

from support import KEYS, Api, responses_spec

pytestmark = pytest.mark.faults


def test_a_burst_of_1000_posts_and_gets_has_no_5xx_and_one_job_per_key(api_url: str, alice: Api) -> None:
    known = alice.submit(responses_spec(1)).json()["id"]
    time.sleep(0.01)  # the burst's jobs are created after `known`, to the millisecond

    async def burst() -> list[tuple[str, str | None, httpx.Response]]:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=api_url, limits=limits, timeout=120,
                                     headers={"Authorization": f"Bearer {KEYS['alice']}"}) as c:
            async def post(key: str) -> tuple[str, str | None, httpx.Response]:
                return "post", key, await c.post("/v1/jobs", json=responses_spec(1), headers={"Idempotency-Key": key})

            async def get() -> tuple[str, str | None, httpx.Response]:
                return "get", None, await c.get(f"/v1/jobs/{known}")

            calls = [post(f"burst-{i % 250}") for i in range(500)] + [get() for _ in range(500)]
            return await asyncio.gather(*calls)

    since = alice.job(known)["created_at"]
    results = asyncio.run(burst())
    statuses = [r.status_code for _, _, r in results]
    assert not [s for s in statuses if s >= 500], sorted(set(statuses))
    ids: dict[str, set[str]] = defaultdict(set)
    for kind, key, r in results:
        if kind == "get":
            assert r.status_code == 200
        else:
            assert r.status_code in (200, 202), r.text
            ids[key].add(r.json()["id"])
    assert len(ids) == 250 and all(len(v) == 1 for v in ids.values())
    made: set[str] = set()
    cursor = None
    while True:  # no job was made twice, nor half-made: the tenant's jobs since the burst are these
        page = alice.client.get("/v1/jobs", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        made |= {j["id"] for j in page["data"] if j["created_at"] >= since}
        if not (cursor := page["next_cursor"]):
            break
    assert made - {known} == {i for v in ids.values() for i in v}
    for (job_id,) in ids.values():  # queued jobs would otherwise wait for later tests' workers
        alice.client.post(f"/v1/jobs/{job_id}/cancel")
    alice.client.post(f"/v1/jobs/{known}/cancel")
