"""An in-process harness: run a recipe (and the job's stages) without API or worker
processes, against the real test Redis.

Two ways in, both on the real `JobStore`, the real `execute` (claim, lease watcher,
sink, Lua commit, final status) and the real spec validation:

- `run_recipe(spec, redis_url=..., providers={"p": ScriptedProvider(...)})`: the
  generator is a `ScriptedProvider`, an in-memory `Provider` that answers from a
  function of the request. A recipe's first test is this: a few lines, no fake
  server, no ports (see tests/test_harness.py).
- `LocalWorker`: drains an RQ queue in this process (RQ's own burst worker, as rq's
  tests do), with a `WorkerRuntime` built from explicit settings. tests/support.py
  pairs it with the app served in-process (Litestar's TestClient), so the recipe
  and stage tests that script the fake OpenAI-compatible server over HTTP keep
  their assertions and lose the API and worker subprocesses.

The end-to-end tests (API contract, leases, SIGKILL, the embedded model) still start
real processes (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import signal
from typing import Any, Callable

import msgspec

from service.domain.costs import Price
from service.domain.job import JobState, new_job_id
from service.domain.specs import parallelism, spec_hash
from service.providers.base import CallStats, Completion, LaneSource, Provider, ProviderError
from service.providers.openai_compat import OpenAICompatibleConfig
from service.providers.registry import Registry
from service.recipes import RECIPES, decode_spec
from service.recipes.base import Env
from service.settings import Settings
from service.store.codec import from_hash
from service.store.jobs import JobStore
from service.store.redis import async_client
from service.worker.runtime import WorkerRuntime


class Call(msgspec.Struct, frozen=True):
    """One request a ScriptedProvider received: the chat messages, or the raw prompt."""

    endpoint: str  # "chat" or "completions"
    model: str
    params: dict[str, Any]
    messages: list[dict[str, str]] = []
    prompt: str = ""

    @property
    def text(self) -> str:
        """The prompt text: the raw prompt, or the last message's content."""
        return self.prompt if self.endpoint == "completions" else (self.messages[-1]["content"] if self.messages else "")


Reply = str | Completion | ProviderError


def following_formats() -> Callable[[Call], Reply]:
    """A ScriptedProvider reply that answers as the fake server's format-following mode
    does (service/testing/format_replies.py): each recipe's expected format, varied per
    call (by the request's seed, else a counter); a chat with `tools` gets a call of the
    first tool (or the one `tool_choice` names), its arguments built from its schema,
    as the fake server answers it."""
    from service.testing.fake_openai import following_reply, tool_call

    counter = itertools.count()

    def reply(call: Call) -> Reply:
        tools = call.params.get("tools")
        if call.endpoint == "chat" and tools and call.params.get("tool_choice") != "none":
            return Completion(text="", finish_reason="tool_calls", tokens_in=len(call.text.split()), tokens_out=1,
                              model=call.model, tool_calls=[tool_call(tools, call.params.get("tool_choice"))])
        if call.endpoint == "completions":
            prompt = last_user = call.prompt
        else:
            prompt = "\n".join(m["content"] for m in call.messages)
            last_user = next((m["content"] for m in reversed(call.messages) if m["role"] == "user"), "")
        return following_reply(prompt, last_user, call.params.get("seed"), next(counter))

    return reply


class ScriptedProvider:
    """An in-memory `Provider`: `reply(call)` returns the answer text, a Completion, or
    a ProviderError (raised, as a failed call after retries would be). `latency` (s)
    makes every call wait, so concurrent shards and lanes interleave as they would
    against a real server. The calls of every run that opened it are in `calls`."""

    kind = "scripted"

    def __init__(self, reply: Callable[[Call], Reply], *, name: str = "scripted",
                 models: list[str] | None = None, supports_raw: bool = True, licence: str = "test-only",
                 latency: float = 0.0, structured_outputs: bool = True, prices: dict[str, Price] | None = None):
        self.reply = reply
        self.structured_outputs = structured_outputs
        self.name = name
        self.models = models or ["scripted-model"]
        self.supports_raw = supports_raw
        self.licence = licence
        self.latency = latency
        self.prices = prices or {}  # as a providers file's `prices` table would give them
        self.calls: list[Call] = []
        self.stats: CallStats | None = None

    def bind(self, stats: CallStats) -> "ScriptedProvider":
        """The provider as one run opens it: its calls counted in that run's `stats`
        (several shards in one process each open their own), recorded here too."""
        bound = copy.copy(self)
        bound.stats = stats
        return bound

    async def _answer(self, call: Call) -> Completion:
        self.calls.append(call)
        await asyncio.sleep(self.latency)  # a real call yields; lanes interleave as they would
        out = self.reply(call)
        if isinstance(out, ProviderError):
            if self.stats is not None:
                self.stats.request(self.name, call.model, "error", 0.0)
            raise out
        c = out if isinstance(out, Completion) else Completion(
            text=out, finish_reason="stop", tokens_in=len(call.text.split()), tokens_out=len(out.split()),
            model=call.model)
        if self.stats is not None:
            self.stats.request(self.name, call.model, "ok", 0.0)
            self.stats.tokens(self.name, call.model, c.tokens_in, c.tokens_out)
        return c

    async def chat(self, messages: list[dict[str, str]], *, model: str, params: dict[str, Any]) -> Completion:
        return await self._answer(Call("chat", model, dict(params), messages=[dict(m) for m in messages]))

    async def complete(self, prompt: str, *, model: str, params: dict[str, Any]) -> Completion:
        return await self._answer(Call("completions", model, dict(params), prompt=prompt))

    async def aclose(self) -> None:
        """Nothing to close; the calls stay readable after the job."""


class ScriptedRegistry(Registry):
    """A provider registry whose providers are ScriptedProvider instances (same names)."""

    def __init__(self, providers: dict[str, ScriptedProvider]):
        for name, p in providers.items():
            p.name = name  # records carry the configured name, as with a real provider
        super().__init__({
            name: OpenAICompatibleConfig(base_url="memory://", models=p.models, supports_raw=p.supports_raw,
                                         licence=p.licence, structured_outputs=p.structured_outputs,
                                         prices=p.prices)
            for name, p in providers.items()
        })
        self.providers = providers

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        return self.providers[name].bind(stats)


class Finished(msgspec.Struct):
    """A job run by the harness: the job's state (as the API shows it, but its links),
    its records and rejects."""

    job: JobState
    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]


async def submit(store: JobStore, runtime: WorkerRuntime, spec: dict[str, Any] | bytes,
                 tenant: str = "harness") -> str:
    """Check `spec` as POST /v1/jobs does (decode, then the recipe's `check`) and create
    the job (not enqueued); its id."""
    raw = spec if isinstance(spec, bytes) else msgspec.json.encode(spec)
    checked = decode_spec(raw)
    target = RECIPES[checked.recipe].check(checked, Env(providers=runtime.registry, settings=runtime.settings))
    shards = parallelism(checked, target, runtime.settings.parallelism, runtime.settings.max_parallelism)
    job_id = new_job_id()
    await store.create(job_id=job_id, tenant=tenant, recipe=checked.recipe, spec_json=msgspec.json.encode(checked),
                       spec_hash=spec_hash(checked), target=target,
                       seed=checked.seed if checked.seed is not None else secrets.randbelow(2**31),
                       parallelism=shards)
    return job_id


def run_recipe(spec: dict[str, Any], *, redis_url: str, providers: dict[str, ScriptedProvider],
               settings: Settings | None = None, workers: int = 1, tenant: str = "harness") -> Finished:
    """Submit `spec` and run it to its end in this process; the finished job.

    `spec["generator"]["provider"]` (and any other provider the spec names) must be a
    key of `providers`. Raises InvalidSpec for a spec the API would refuse with a 422 from
    its checks (msgspec's error for one that does not decode). `workers` > 1 runs that
    many workers' `execute` at once on the job (each claims a shard: give the spec a
    `parallelism`), interleaved on this process's loop. The job is `tenant`'s.
    """
    settings = msgspec.structs.replace(settings or Settings(), redis_url=redis_url)
    runtime = WorkerRuntime(settings, ScriptedRegistry(providers), worker_id="harness")

    async def go() -> Finished:
        from service.worker.execute import execute

        client = async_client(redis_url)
        store = JobStore(client, runtime.files)
        try:
            job_id = await submit(store, runtime, spec, tenant)
            fleet = [runtime] + [copy.copy(runtime) for _ in range(workers - 1)]
            for k, rt in enumerate(fleet[1:], 1):
                rt.worker_id = f"harness-{k}"
            await asyncio.gather(*(execute(job_id, rt) for rt in fleet))
            raw = await store.get(job_id)
            assert raw is not None
            return Finished(job=from_hash(raw), records=await store.all_lines(job_id, "records"),
                            rejects=await store.all_lines(job_id, "rejects"))
        finally:
            await client.aclose()

    return runtime.loop.run_until_complete(go())


class LocalWorker:
    """Runs the jobs queued on `settings.queue` in this process, with RQ's burst worker."""

    def __init__(self, runtime: WorkerRuntime):
        from service.store.redis import sync_client
        from service.worker import tasks

        self.runtime = tasks.install(runtime)
        self.conn = sync_client(runtime.settings.redis_url or "")

    def drain(self) -> None:
        """Run every queued job to its end, then return."""
        from rq import SimpleWorker
        from rq.serializers import JSONSerializer

        from service.store.queue import queue

        q = queue(self.conn, self.runtime.settings.queue)
        if not q.count:
            return
        w = SimpleWorker([q], connection=self.conn, serializer=JSONSerializer)
        # RQ installs its own SIGINT/SIGTERM handlers; give the test process its own back
        # (a Ctrl-C during the suite must stop pytest, not ask a finished worker to stop).
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            w.work(burst=True, logging_level="WARNING", with_scheduler=False)
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)

    def close(self) -> None:
        self.runtime.close()
        self.conn.close()
