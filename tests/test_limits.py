"""The fleet-wide provider limits against real Redis: the EXCHANGE script (store/limits.py)
through its store methods, and the worker's lanes (worker/limiter.py). Two `FleetLimiter`s
with their own Redis clients stand for two worker processes; every test uses buckets of
its own (a fresh provider name), so no test sees another's window or circuit."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any, Awaitable, Callable, TypeVar

import httpx
import pytest
import redis

from service import defaults
from service.domain.limits import Limits
from service.providers import base
from service.providers.base import FAILED, OK, THROTTLED, ProviderError
from service.store import limits as store_limits
from service.store.limits import LimitStore, Release, bucket_key
from service.store.redis import async_client
from service.worker.limiter import FleetLimiter

from support import Fake

T = TypeVar("T")


def limits(concurrency: int = 4, **kw: Any) -> Limits:
    base_ = {"circuit_failures": 3, "circuit_seconds": 0.0, "circuit_cooldown": 0.3, "circuit_wait": 30.0}
    return Limits(concurrency=concurrency, **{**base_, **kw})


def provider() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


def run(redis_url: str, fn: Callable[..., Awaitable[T]], n_limiters: int = 2, **kw: Any) -> T:
    """fn(store, limiter, limiter, ...) on a fresh loop: a LimitStore and `n_limiters`
    FleetLimiters, each with its own Redis client (a worker process each)."""
    async def go() -> T:
        client = async_client(redis_url)
        limiters = [FleetLimiter(redis_url, **kw) for _ in range(n_limiters)]
        try:
            return await fn(LimitStore(client), *limiters)
        finally:
            for lim in limiters:
                await lim.aclose()
            await client.aclose()

    return asyncio.run(go())


def test_outcome_names_agree_between_providers_and_store() -> None:
    for name in ("OK", "THROTTLED", "FAILED", "REFUSED", "NONE"):
        assert getattr(base, name) == getattr(store_limits, name)


def test_concurrency_is_never_exceeded_by_many_acquirers_in_two_processes(redis_url: str) -> None:
    p, cap = provider(), 5
    lim = limits(cap)

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> tuple[int, int, int]:
        holding = peak = done = 0
        lanes = [a.for_job("job_a").lane(p, "m", lim), a.for_job("job_b").lane(p, "m", lim),
                 b.for_job("job_a").lane(p, "m", lim), b.for_job("job_c").lane(p, "m", lim)]

        async def attempt(lane: Any) -> None:
            nonlocal holding, peak, done
            async with lane.hold(10) as h:
                holding += 1
                peak = max(peak, holding)
                await asyncio.sleep(random.uniform(0, 0.004))
                holding -= 1
                h.settle(OK)
            done += 1

        async def worker(lane: Any) -> None:
            for _ in range(60):
                await attempt(lane)

        await asyncio.gather(*(worker(lane) for lane in lanes for _ in range(12)))
        for lane in lanes:
            await lane.aclose()
        snap = {(s.provider, s.model): s for s in await store.snapshot()}[(p, "m")]
        return peak, done, snap.inflight

    peak, done, left = run(redis_url, go)
    assert done == 4 * 12 * 60
    assert peak == cap, f"peak {peak} in flight against a limit of {cap}"
    assert left == 0  # every permit given back
    conn = redis.Redis.from_url(redis_url)
    assert not conn.hgetall(bucket_key(store_limits.bucket_id(p, "m"), ":jobs"))


def test_round_trips_per_request(redis_url: str) -> None:
    """The figure docs/operations.md quotes: EXCHANGE calls per provider request, with
    the limit binding (two processes, 16 attempts each against 8 permits) and not."""
    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter, cap: int, each: int) -> float:
        p = provider()
        lanes = [a.for_job("job_x").lane(p, "m", limits(cap)), b.for_job("job_x").lane(p, "m", limits(cap))]
        n = 0

        async def worker(lane: Any) -> None:
            nonlocal n
            for _ in range(400 // each):
                async with lane.hold(10) as h:
                    await asyncio.sleep(random.uniform(0.002, 0.010))  # the provider's latency
                    h.settle(OK, tokens=12)
                n += 1

        await asyncio.gather(*(worker(lane) for lane in lanes for _ in range(each)))
        for lane in lanes:
            await lane.aclose()
        return (a.calls + b.calls) / n

    serial = run(redis_url, lambda s, a, b: go(s, a, b, 1000, 1))
    free = run(redis_url, lambda s, a, b: go(s, a, b, 1000, 16))
    bound = run(redis_url, lambda s, a, b: go(s, a, b, 8, 16))
    print(f"\nEXCHANGE calls per request: {serial:.2f} one attempt at a time per process, {free:.2f} with 16 "
          f"at a time, {bound:.2f} with 32 attempting against 8 permits (two processes each)")
    assert serial <= 1.1 and free <= 1.1 and bound <= 1.5


def test_rpm_paces_sends_across_workers(redis_url: str) -> None:
    p = provider()
    lim = limits(100, rpm=600)  # 10 a second; a second's burst ahead of the pace

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> list[float]:
        sent: list[float] = []
        lanes = [a.for_job("j").lane(p, "m", lim), b.for_job("j").lane(p, "m", lim)]

        async def one(lane: Any) -> None:
            async with lane.hold(1) as h:
                sent.append(time.monotonic())
                h.settle(OK)

        await asyncio.gather(*(one(lanes[i % 2]) for i in range(30)))
        for lane in lanes:
            await lane.aclose()
        return sorted(sent)

    sent = run(redis_url, go)
    t0 = sent[0]
    # GCRA: the k-th send is no earlier than (k - 10) / 10 s (11 go at once: the burst).
    for k, t in enumerate(sent):
        assert t - t0 >= (k - 10) * 0.1 - 0.05, (k, t - t0)
    assert 1.8 <= sent[-1] - t0 < 3.5, sent[-1] - t0


def test_tpm_counts_estimates_and_takes_back_what_the_answer_did_not_use(redis_url: str) -> None:
    p = provider()
    lim = limits(100, tpm=6000)  # 100 tokens a second

    async def go(store: LimitStore, *_: Any) -> tuple[list[float], list[float], str]:
        # 100 tokens now, 100 within the second's burst, the third paced a second out.
        first = await store.exchange(p, "m", "j", lim, asks=[100, 100, 100])
        delays = [d for _, d in first.granted]
        # Each answer reports 10 tokens: 270 of the 300 estimated come back to the bucket.
        rel = [Release(pid, OK, estimate=100, tokens=10) for pid, _ in first.granted]
        second = await store.exchange(p, "m", "j", lim, releases=rel, asks=[100, 100])
        over = await store.exchange(p, "m", "j", lim, asks=[100] * 4)
        return delays, [d for _, d in second.granted], over.reason

    delays, after, reason = run(redis_url, go)
    assert delays == [0.0, 0.0, 1.0]  # the estimate paces: 100 tokens = 1 s at 6000 tpm
    # Reconciled: 30 tokens used of 300 held, so two more go within 0.3 s (unreconciled,
    # the next would wait 2 s and be denied).
    assert len(after) == 2 and after[0] == 0.0 and after[1] <= 0.31, after
    assert reason == "tpm"


def test_a_429_halves_the_shared_window_once_and_successes_widen_it(redis_url: str) -> None:
    p = provider()
    lim = limits(8)

    async def go(store: LimitStore, *_: Any) -> list[int]:
        a = await store.exchange(p, "m", "ja", lim, asks=[1] * 6)  # worker A: 6 in flight
        ids = [pid for pid, _ in a.granted]
        seen = []
        # One 429 halves the window for everybody: worker B, another job, gets only 4 - 5 < 0.
        first = await store.exchange(p, "m", "ja", lim, releases=[Release(ids[0], THROTTLED)])
        seen.append(first.window)
        b = await store.exchange(p, "m", "jb", lim, asks=[1])
        seen.append(len(b.granted))
        # The other 429s of that burst were sent under the old window: no second halving.
        more = await store.exchange(p, "m", "ja", lim, releases=[Release(i, THROTTLED) for i in ids[1:4]])
        seen.append(more.window)
        # Successes creep back: a window's worth (4) of them adds one.
        ok = await store.exchange(p, "m", "ja", lim, releases=[Release(i, OK) for i in ids[4:]])
        c = await store.exchange(p, "m", "ja", lim, asks=[1, 1])
        seen.append(ok.window)
        grown = await store.exchange(p, "m", "ja", lim, releases=[Release(pid, OK) for pid, _ in c.granted])
        seen.append(grown.window)
        return seen

    first, b_got, after_burst, after_two_ok, after_four_ok = run(redis_url, go)
    assert first == 4 and b_got == 0 and after_burst == 4
    assert after_two_ok == 4 and after_four_ok == 5


def test_retry_after_pauses_every_worker(redis_url: str) -> None:
    p = provider()
    lim = limits(8)

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> tuple[str, float, float]:
        got = await store.exchange(p, "m", "j1", lim, asks=[1])
        paused = await store.exchange(p, "m", "j1", lim, asks=[1],
                                      releases=[Release(got.granted[0][0], THROTTLED, retry_after=0.6)])
        lane = b.for_job("j2").lane(p, "m", lim)  # another worker, another job
        start = time.monotonic()
        async with lane.hold(1) as h:
            waited = time.monotonic() - start
            h.settle(OK)
        await lane.aclose()
        return paused.reason, paused.wait, waited

    reason, hint, waited = run(redis_url, go)
    assert reason == "paused" and 0.5 <= hint <= 0.6
    assert 0.5 <= waited < 1.5, waited


def test_a_busy_worker_handing_permits_on_stops_for_another_workers_retry_after(redis_url: str) -> None:
    """A lane whose successful attempts pass their permits straight on (no round trip)
    still respects a pause another worker's 429 set: within LIMIT_HANDOFF_SECONDS."""
    p = provider()
    lim = limits(8)

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> tuple[int, int, float]:
        lane = a.for_job("busy").lane(p, "m", lim)
        starts: list[float] = []
        stop = asyncio.Event()

        async def worker() -> None:
            while not stop.is_set():
                async with lane.hold(1) as h:
                    starts.append(time.monotonic())
                    await asyncio.sleep(0.01)
                    h.settle(OK)

        runners = [asyncio.create_task(worker()) for _ in range(4)]
        await asyncio.sleep(0.5)
        calls_before, started_before = a.calls, len(starts)
        other = await store.exchange(p, "m", "other", lim, asks=[1])  # another worker's attempt gets a 429
        await store.exchange(p, "m", "other", lim, releases=[Release(other.granted[0][0], THROTTLED, retry_after=0.6)])
        paused_at = time.monotonic()
        await asyncio.sleep(0.5)
        quiet = [t for t in starts if paused_at + defaults.LIMIT_HANDOFF_SECONDS + 0.05 < t < paused_at + 0.55]
        stop.set()
        await asyncio.gather(*runners)
        await lane.aclose()
        return started_before, len(quiet), (a.calls - calls_before) / max(1, len(starts) - started_before)

    handed, during_pause, _ = run(redis_url, go)
    assert handed > 50  # busy: 4 attempts of 10 ms for 0.5 s
    assert during_pause == 0, f"{during_pause} attempts started during another worker's Retry-After"


def test_permits_of_a_dead_holder_expire(redis_url: str) -> None:
    p = provider()
    lim = limits(3)

    async def go(store: LimitStore, *_: Any) -> tuple[int, int, int]:
        dead = await store.exchange(p, "m", "jdead", lim, asks=[1] * 3, permit_ttl=0.5)  # never renewed
        blocked = await store.exchange(p, "m", "jlive", lim, asks=[1])
        await asyncio.sleep(0.6)
        freed = await store.exchange(p, "m", "jlive", lim, asks=[1] * 3)
        return len(dead.granted), len(blocked.granted), len(freed.granted)

    assert run(redis_url, go) == (3, 0, 3)
    conn = redis.Redis.from_url(redis_url)
    assert conn.hgetall(bucket_key(store_limits.bucket_id(p, "m"), ":jobs")) == {b"jlive": b"3"}


def test_renewed_permits_outlive_their_ttl(redis_url: str) -> None:
    p = provider()
    lim = limits(1)

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> int:
        lane = a.for_job("j1").lane(p, "m", lim)
        async with lane.hold(1) as h:
            await asyncio.sleep(1.2)  # 2.4 x the ttl: the pump renews every ttl / 3
            other = await store.exchange(p, "m", "j2", lim, asks=[1], permit_ttl=0.5)
            h.settle(OK)
        await lane.aclose()
        return len(other.granted)

    assert run(redis_url, go, permit_ttl=0.5) == 0


def test_the_breaker_opens_half_opens_and_closes(redis_url: str) -> None:
    p = provider()
    lim = limits(4, circuit_failures=3, circuit_seconds=0.2, circuit_cooldown=0.3)

    async def go(store: LimitStore, *_: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        g = await store.exchange(p, "m", "j1", lim, asks=[1] * 4)
        ids = [pid for pid, _ in g.granted]
        # Three failures in a row but within 0.2 s: a burst of bad luck, not an outage.
        quick = await store.exchange(p, "m", "j1", lim, releases=[Release(i, FAILED, "http_503") for i in ids[:3]])
        out["quick"] = quick.circuit
        await asyncio.sleep(0.25)
        opened = await store.exchange(p, "m", "j1", lim, asks=[1], releases=[Release(ids[3], FAILED, "error")])
        out["opened"] = (opened.circuit, opened.reason, opened.granted, opened.why)
        out["waits"] = await store.waits(["j1", "j2"])
        await asyncio.sleep(0.35)
        probe = await store.exchange(p, "m", "j1", lim, asks=[1, 1])
        other = await store.exchange(p, "m", "j2", lim, asks=[1])
        out["probe"] = (len(probe.granted), probe.reason, probe.circuit, other.granted, other.reason)
        # The probe fails: open again, twice the cooldown.
        again = await store.exchange(p, "m", "j1", lim, asks=[1],
                                     releases=[Release(probe.granted[0][0], FAILED, "error")])
        out["again"] = (again.circuit, again.wait)
        await asyncio.sleep(0.65)
        probe2 = await store.exchange(p, "m", "j1", lim, asks=[1])
        closed = await store.exchange(p, "m", "j1", lim, asks=[1, 1],
                                      releases=[Release(probe2.granted[0][0], OK)])
        out["closed"] = (closed.circuit, len(closed.granted))
        out["waits_after"] = await store.waits(["j1", "j2"])
        return out

    out = run(redis_url, go)
    assert out["quick"] == "closed"
    assert out["opened"] == ("open", "circuit", [], "error")
    [w] = out["waits"]["j1"]
    assert (w.provider, w.model, w.circuit, w.reason, w.failures) == (p, "m", "open", "error", 4)
    assert w.since and w.retry_at
    assert out["probe"] == (1, "circuit", "half", [], "circuit")  # one probe fleet-wide
    circuit, wait = out["again"]
    assert circuit == "open" and 0.5 <= wait <= 0.6
    assert out["closed"] == ("closed", 2)
    assert out["waits_after"] == {}


def test_an_attempt_waiting_on_an_open_circuit_notices_cancel_and_gives_up_after_circuit_wait(redis_url: str) -> None:
    p = provider()
    lim = limits(4, circuit_failures=1, circuit_cooldown=30.0, circuit_wait=0.5)

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> tuple[float, str, float]:
        g = await store.exchange(p, "m", "j", lim, asks=[1])
        await store.exchange(p, "m", "j", lim, releases=[Release(g.granted[0][0], FAILED, "error")])
        lane = a.for_job("j").lane(p, "m", lim)

        async def attempt() -> None:
            async with lane.hold(1) as h:
                h.settle(OK)

        waiting_since = time.monotonic()
        task = asyncio.create_task(attempt())
        await asyncio.sleep(0.2)
        start = time.monotonic()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        cancelled_in = time.monotonic() - start
        # The job's next attempt keeps waiting until the lane has seen the circuit open
        # for circuit_wait in all, then fails for good.
        with pytest.raises(ProviderError) as err:
            await attempt()
        assert err.value.fatal
        gave_up = time.monotonic() - waiting_since
        await lane.aclose()
        left = [s.inflight for s in await store.snapshot() if s.provider == p]
        assert left == [0]
        return cancelled_in, str(err.value), gave_up

    cancelled_in, message, gave_up = run(redis_url, go)
    assert cancelled_in < 0.1
    assert "circuit stayed open" in message and repr(p) in message and "(last: error)" in message
    assert 0.5 <= gave_up < 2.5


def test_fair_share_between_a_big_and_a_small_job(redis_url: str) -> None:
    """A big job (48 attempts at once, in two processes) and a small one (4 at once, 60
    requests) on 8 permits: the small job gets its demand (its share is 4) as soon as it
    asks, and finishes long before the big one."""
    p = provider()
    lim = limits(8)
    latency = 0.02

    async def go(store: LimitStore, a: FleetLimiter, b: FleetLimiter) -> dict[str, float]:
        counts = {"big": 0, "small": 0}
        holding = {"big": 0, "small": 0}
        peak = 0
        stop = asyncio.Event()
        big = [a.for_job("big").lane(p, "m", lim), b.for_job("big").lane(p, "m", lim)]
        small = b.for_job("small").lane(p, "m", lim)

        async def attempt(lane: Any, who: str) -> None:
            nonlocal peak
            async with lane.hold(1) as h:
                holding[who] += 1
                peak = max(peak, holding["big"] + holding["small"])
                await asyncio.sleep(latency)
                holding[who] -= 1
                h.settle(OK)
            counts[who] += 1

        async def big_lane(lane: Any) -> None:
            while not stop.is_set():
                await attempt(lane, "big")

        async def small_job() -> float:
            start = time.monotonic()
            todo = iter(range(60))

            async def one_lane() -> None:
                for _ in todo:
                    await attempt(small, "small")

            await asyncio.gather(*(one_lane() for _ in range(4)))
            return time.monotonic() - start

        runners = [asyncio.create_task(big_lane(lane)) for lane in big for _ in range(24)]
        await asyncio.sleep(0.3)  # the big job holds every permit
        big_before = counts["big"]
        try:
            took = await asyncio.wait_for(small_job(), 20)
        except asyncio.TimeoutError:
            took = float("inf")  # starved
        big_during = counts["big"] - big_before
        stop.set()
        await asyncio.gather(*runners)
        for lane in [*big, small]:
            await lane.aclose()
        return {"took": took, "alone": 60 / 4 * latency, "big_during": big_during, "peak": peak}

    r = run(redis_url, go)
    print(f"\nfair share: small job (60 requests, 4 at once) took {r['took']:.2f} s beside the big job "
          f"(alone at 4 in flight: {r['alone']:.2f} s); the big job made {r['big_during']:.0f} requests "
          f"meanwhile; peak in flight {r['peak']} of 8")
    assert r["peak"] <= 8
    assert r["big_during"] > 0  # both progress
    # Its share (4 of 8) is its whole demand: it runs at most ~2x slower than alone
    # (a freed permit waits up to one poll for it), never starved behind the big job.
    assert r["took"] < 4 * r["alone"] + 0.5, r


def test_the_live_bar_names_the_provider_a_job_waits_on() -> None:
    from service.livebar import shown_status

    job = {"status": "running", "waiting_for_provider": [
        {"provider": "teacher", "model": "m1", "circuit": "open", "reason": "http_503"}]}
    assert shown_status(job) == "running, waiting for teacher/m1 (circuit open, last failure http_503)"
    assert shown_status({"status": "running", "waiting_for_provider": []}) == "running"


def test_fake_server_meters_requests_in_flight(fake: Fake) -> None:
    fake.configure(latency=0.3)

    async def go() -> None:
        async with httpx.AsyncClient(base_url=fake.url) as c:
            body = {"messages": [{"role": "user", "content": "hi"}]}
            await asyncio.gather(*(c.post("/v1/chat/completions", json={**body, "model": m})
                                   for m in ["a"] * 4 + ["b"] * 2))

    asyncio.run(go())
    meter = fake.stats()["inflight"]
    assert meter["peak"] == 6 and meter["current"] == 0 and meter["requests"] == 6
    assert meter["by_model"] == {"a": {"current": 0, "peak": 4}, "b": {"current": 0, "peak": 2}}
    assert meter["by_endpoint"] == {"chat": {"current": 0, "peak": 6}}
