"""The worker's side of the fleet-wide provider limits: one `FleetLimiter` per process
(held by the WorkerRuntime), one `FleetLane` per (provider, model, job run) through
which that job's attempts in this process ask for permits. The limits themselves, and
the one Lua script that keeps them, are store/limits.py's.

Round trips. A lane's pump is one task with at most one EXCHANGE call in flight. An
attempt that wants to send queues an ask; an attempt that ends queues its give-back
(the permit and how the attempt went); the pump sends everything queued by the time it
runs in one call. So an attempt's give-back and the next attempt's ask (a lane going
straight from one call to the next) usually share a call, and under load the asks and
give-backs of many attempts share one: about one round trip per request, fewer at high
concurrency. Better still, while the last call allowed it (`handoff`: the circuit
closed, no pause, no rpm/tpm pacing, nobody starving), a permit whose attempt succeeded
passes straight to the job's next waiting attempt, or, none waiting, is kept
LIMIT_SPARE_SECONDS for the next one (a lane usually asks again at once): no round
trip at all. The outcomes of such attempts are reported together within
LIMIT_HANDOFF_SECONDS, and that call's answer renews (or ends) the handoffs. Measured:
0.03-0.08 calls per request in tests/test_limits.py, 0.12-0.35 with 1-4 workers at the
limit in the `limits` bench; the worker spends ~11 us of CPU per request on its lane
(~6 us for a per-process AdaptiveLimit). Renewals of the permits this lane holds ride
along every LIMIT_PERMIT_TTL/3 (alone only when the lane is otherwise quiet).

Denials. An ask the script denies waits for the end it names (a Retry-After pause, the
circuit's cooldown, the rpm/tpm pacing; re-asking at least every
LIMIT_MAX_HINT_SECONDS, which keeps the job's place in the bucket's wait set), or
without one (concurrency, fair share) re-asks after LIMIT_POLL_SECONDS doubling to
LIMIT_MAX_POLL_SECONDS, and at once when this process gives a permit back. A waiting
attempt spends none of its retries: it has not been sent.

Cancel and failures. An attempt cancelled while it waits (the job was cancelled,
`RecipeContext.stop`) leaves at once; a permit granted to it meanwhile is given back
unused. An attempt that has waited longer than the provider's `circuit_wait` on an
open circuit fails with a fatal ProviderError, so its job ends `failed`
(provider-unavailable) naming the provider. While Redis is unreachable the pump retries
its call (asks wait, give-backs are kept and sent later); permits held by a process
that never comes back expire on their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import msgspec
import redis.asyncio as aredis

from service import defaults, metrics
from service.domain.limits import Limits
from service.providers.base import NONE, OK, Lane, ProviderError
from service.store.limits import Exchange, LimitStore, Release
from service.store.redis import OUTAGE, async_client

log = logging.getLogger("synthgen.limits")


class FleetLimiter:
    """One worker process's client of the fleet-wide limits: its Redis client (opened
    on first use, on the loop every job of the process runs on) and its lanes."""

    def __init__(self, redis_url: str, buffer: metrics.Buffer | None = None, *,
                 permit_ttl: float = defaults.LIMIT_PERMIT_TTL_SECONDS):
        self._url = redis_url
        self.buffer = buffer if buffer is not None else metrics.Buffer()
        self.permit_ttl = permit_ttl
        self.calls = 0  # EXCHANGE round trips of this process, every lane
        self._client: aredis.Redis | None = None
        self._store: LimitStore | None = None
        self._lanes: set[FleetLane] = set()

    @property
    def store(self) -> LimitStore:
        if self._store is None:
            self._client = async_client(self._url, max_connections=defaults.WORKER_REDIS_POOL_SIZE)
            self._store = LimitStore(self._client)
        return self._store

    def for_job(self, job_id: str) -> JobLanes:
        return JobLanes(self, job_id)

    async def aclose(self) -> None:
        for lane in list(self._lanes):
            await lane.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = self._store = None


class JobLanes:
    """The limiter bound to one job run: the LaneSource its providers open with."""

    def __init__(self, limiter: FleetLimiter, job_id: str):
        self.limiter = limiter
        self.job_id = job_id

    def lane(self, provider: str, model: str, limits: Limits) -> Lane:
        return FleetLane(self.limiter, provider, model, self.job_id, limits)


class _Ask:
    """One attempt waiting for a permit."""

    __slots__ = ("fut", "cost", "counted")

    def __init__(self, fut: asyncio.Future[tuple[str, float]], cost: int):
        self.fut = fut
        self.cost = cost
        self.counted = False


class FleetLane:
    """One (provider, model) bucket as one job run in this process uses it. See the
    module docstring."""

    def __init__(self, limiter: FleetLimiter, provider: str, model: str, job: str, limits: Limits):
        self.limiter = limiter
        self.provider = provider
        self.model = model
        self.job = job
        self.limits = limits
        self.calls = 0
        self.window = limits.concurrency
        self.circuit = "closed"
        self._asks: deque[_Ask] = deque()
        self._gives: list[Release] = []
        self._reports: list[Release] = []  # outcomes of attempts whose permit was handed on
        self._report_due = 0.0
        self._handoff_until = 0.0  # loop time until which the last call allows handoffs
        self._spares: list[str] = []  # permits kept a moment for this job's next attempt
        self._spare_due = 0.0
        self._held: set[str] = set()
        self._waker: asyncio.Future[None] | None = None  # the pump's sleep, while it sleeps
        self._sleep_until = 0.0  # loop time the sleeping pump wakes at by itself
        self._pump_task: asyncio.Task[None] | None = None
        self._renew_at = 0.0
        self._circuit_since: float | None = None  # loop time this lane first found the circuit open
        self._closed = False
        limiter._lanes.add(self)

    def hold(self, cost: int) -> _FleetHold:
        return _FleetHold(self, max(1, cost))

    # -- the attempts' side ----------------------------------------------------------------

    async def _take(self, cost: int) -> tuple[str, float]:
        """A permit (id, seconds until its paced send time), once the bucket grants one."""
        if self._closed:
            raise RuntimeError("lane closed")
        loop = asyncio.get_running_loop()
        if self._spares and loop.time() < self._handoff_until:
            return self._spares.pop(), 0.0
        ask = _Ask(loop.create_future(), cost)
        self._asks.append(ask)
        self._wake()
        try:
            return await ask.fut
        except asyncio.CancelledError:
            # Granted in the same moment the attempt was cancelled: give it back unused.
            if ask.fut.done() and not ask.fut.cancelled() and ask.fut.exception() is None:
                self._give(Release(ask.fut.result()[0], NONE, estimate=cost))
            raise

    def _give(self, release: Release) -> None:
        loop = asyncio.get_running_loop()
        if release.outcome == OK and loop.time() < self._handoff_until:
            # Handoff: the next waiting attempt of this job takes the permit as it is (the
            # job's count does not change), or, none waiting, it is kept a moment for the
            # next one (a spare); the outcome reaches Redis with the next call.
            if not self._reports:
                # Reported before the handoffs lapse, so the answer renews them in time.
                self._report_due = min(loop.time() + defaults.LIMIT_HANDOFF_SECONDS,
                                       self._handoff_until - defaults.LIMIT_HANDOFF_SECONDS / 10)
            self._reports.append(msgspec.structs.replace(release, keep=True))
            while self._asks:
                ask = self._asks.popleft()
                if not ask.fut.done():
                    ask.fut.set_result((release.id, 0.0))
                    self._wake(self._report_due)
                    return
            if not self._spares:
                self._spare_due = loop.time() + defaults.LIMIT_SPARE_SECONDS
            self._spares.append(release.id)
            self._wake(min(self._spare_due, self._report_due))
            return
        self._held.discard(release.id)
        self._gives.append(release)
        self._wake()

    def _return_spares(self) -> None:
        """Give back the spares no attempt took (their outcome was reported already)."""
        for pid in self._spares:
            self._held.discard(pid)
            self._gives.append(Release(pid, NONE))
        self._spares = []

    def _wake(self, due: float = 0.0) -> None:
        """Have the pump look at what is queued: now, or (`due`, a loop time) by then."""
        if self._closed:
            return  # closing: aclose sends what is queued
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.get_running_loop().create_task(
                self._pump(), name=f"limits:{self.provider}/{self.model}:{self.job}")
        elif self._waker is not None and not (due and due >= self._sleep_until):
            _resolve(self._waker)

    async def _sleep(self, seconds: float) -> None:
        """Sleep until `seconds` pass or _wake is called (cheaper than wait_for on an Event:
        the pump sleeps and wakes once per burst of attempts)."""
        loop = asyncio.get_running_loop()
        self._waker = waker = loop.create_future()
        self._sleep_until = loop.time() + seconds
        timer = loop.call_later(seconds, _resolve, waker)
        try:
            await waker
        finally:
            timer.cancel()
            self._waker = None

    # -- the pump ---------------------------------------------------------------------------

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        poll = defaults.LIMIT_POLL_SECONDS
        retry_at = 0.0  # loop time before which a denied ask is not sent again
        outage = False
        while True:
            if any(a.fut.done() for a in self._asks):
                self._asks = deque(a for a in self._asks if not a.fut.done())
            now = loop.time()
            if self._spares and (now >= self._spare_due or now >= self._handoff_until):
                self._return_spares()
            renew = bool(self._held) and now >= self._renew_at
            ask_now = bool(self._asks) and (now >= retry_at or bool(self._gives))
            report = bool(self._reports) and now >= self._report_due
            if not (self._gives or renew or ask_now or report):
                if not self._asks and not self._held and not self._reports:
                    return  # idle: the next ask starts a new pump
                waits = [t - now for t, due in ((retry_at, self._asks), (self._renew_at, self._held),
                                                (self._report_due, self._reports), (self._spare_due, self._spares))
                         if due]
                await self._sleep(max(0.0, min(waits)))
                continue
            batch = list(self._asks)[:defaults.LIMIT_BATCH] if ask_now else []
            gives, self._gives = self._gives + self._reports, []
            self._reports = []
            renewing = list(self._held) if renew else []
            try:
                ex = await self._exchange(gives, renewing, batch)
            except asyncio.CancelledError:
                self._gives = gives + self._gives  # aclose sends them
                raise
            except OUTAGE as exc:
                self._gives = gives + self._gives
                if not outage:
                    log.warning("limits %s/%s: Redis unavailable (%s); asks wait, give-backs are kept",
                                self.provider, self.model, type(exc).__name__)
                outage = True
                await asyncio.sleep(defaults.REDIS_RETRY_SECONDS)
                continue
            except Exception as exc:  # a bug: fail the asks rather than hang them
                log.exception("limits %s/%s: limiter call failed", self.provider, self.model)
                for a in batch:
                    if not a.fut.done():
                        a.fut.set_exception(ProviderError(f"fleet limiter: {type(exc).__name__}: {exc}"))
                await asyncio.sleep(defaults.LIMIT_MAX_POLL_SECONDS)
                continue
            outage = False
            if renewing:
                self._renew_at = now + self.limiter.permit_ttl / 3
            for a, (pid, delay) in zip(batch, ex.granted):
                if a.fut.done():  # cancelled while the call was in flight
                    self._gives.append(Release(pid, NONE, estimate=a.cost))
                else:
                    self._held.add(pid)
                    a.fut.set_result((pid, delay))
            denied = batch[len(ex.granted):]
            if denied:
                self._denied(denied, ex, loop.time())
                if ex.wait > 0:
                    wait, poll = min(ex.wait, defaults.LIMIT_MAX_HINT_SECONDS), defaults.LIMIT_POLL_SECONDS
                else:
                    wait, poll = poll, min(poll * 2, defaults.LIMIT_MAX_POLL_SECONDS)
                retry_at = loop.time() + wait
            elif batch:
                poll, retry_at = defaults.LIMIT_POLL_SECONDS, 0.0

    async def _exchange(self, gives: list[Release], renew: list[str], batch: list[_Ask]) -> Exchange:
        ex = await self.limiter.store.exchange(
            self.provider, self.model, self.job, self.limits, releases=gives, renew=renew,
            asks=[a.cost for a in batch], permit_ttl=self.limiter.permit_ttl)
        self.calls += 1
        self.limiter.calls += 1
        self.limiter.buffer.inc("synthgen_provider_limiter_calls", provider=self.provider, model=self.model)
        self.window, self.circuit = ex.window, ex.circuit
        if ex.circuit == "closed":
            self._circuit_since = None
        loop = asyncio.get_running_loop()
        self._handoff_until = loop.time() + defaults.LIMIT_HANDOFF_SECONDS if ex.handoff else 0.0
        return ex

    def _denied(self, asks: list[_Ask], ex: Exchange, now: float) -> None:
        """Count each held-back attempt once, by the limit that first held it; once this
        lane has found the circuit open (not closed since) for longer than circuit_wait,
        fail the waiting attempts: the job ends instead of waiting for good."""
        for a in asks:
            if not a.counted:
                a.counted = True
                self.limiter.buffer.inc("synthgen_provider_throttled", provider=self.provider, model=self.model,
                                        reason=ex.reason or "concurrency")
        if ex.reason != "circuit":
            return
        if self._circuit_since is None:
            self._circuit_since = now
        elif now - self._circuit_since > self.limits.circuit_wait:
            for a in asks:
                a.fut.set_exception(ProviderError(
                    f"provider {self.provider!r} model {self.model!r} kept failing (last: {ex.why or 'no answer'}): "
                    f"its circuit stayed open for {now - self._circuit_since:.0f} s (circuit_wait "
                    f"{self.limits.circuit_wait:g} s)", fatal=True))

    async def aclose(self) -> None:
        """End the job run's use of the bucket: give back what is queued and leave its
        wait set (an empty ask), so other jobs' fair shares see this one gone."""
        if self._closed:
            return
        self._closed = True
        self.limiter._lanes.discard(self)
        if self._pump_task is not None:
            self._pump_task.cancel()
            await asyncio.gather(self._pump_task, return_exceptions=True)
        for a in self._asks:
            if not a.fut.done():
                a.fut.cancel()
        self._handoff_until = 0.0
        self._return_spares()
        self._gives += self._reports
        self._reports = []
        if self.calls or self._gives:
            try:
                await asyncio.wait_for(self._exchange(self._gives, [], []), defaults.LIMIT_MAX_HINT_SECONDS * 2)
            except (asyncio.TimeoutError, *OUTAGE):  # they expire on their own
                log.warning("limits %s/%s: %d permits not given back at close; they expire in %g s",
                            self.provider, self.model, len(self._gives) + len(self._held), self.limiter.permit_ttl)
            self._gives = []


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _FleetHold:
    """One attempt's permit: taken on enter (after its paced send time), given back on
    exit with the outcome `settle` recorded."""

    __slots__ = ("_lane", "cost", "id", "_release")

    def __init__(self, lane: FleetLane, cost: int):
        self._lane = lane
        self.cost = cost
        self.id = ""
        self._release: Release | None = None

    async def __aenter__(self) -> _FleetHold:
        self.id, delay = await self._lane._take(self.cost)
        if delay > 0:
            try:
                await asyncio.sleep(delay)
            except BaseException:
                self._lane._give(Release(self.id, NONE, estimate=self.cost))
                raise
        return self

    def settle(self, outcome: str, *, label: str = "", retry_after: float | None = None,
               tokens: int | None = None) -> None:
        self._release = Release(self.id, outcome, label, retry_after or 0.0, self.cost,
                                -1 if tokens is None else tokens)

    async def __aexit__(self, *exc: Any) -> None:
        self._lane._give(self._release or Release(self.id, NONE, estimate=self.cost))
