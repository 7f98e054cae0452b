"""Routes that describe the service: recipes, providers, health, readiness, metrics."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from service import metrics
from service.api.auth import require_tenant
from service.providers.registry import ProviderInfo
from service.recipes import RECIPES
from service.store.queue import rq_keys


class RecipeInfo(msgspec.Struct):
    name: str
    summary: str
    raw_completion: str
    spec_schema: dict[str, Any]
    # Whether the spec's `mix` is honoured (drawn per item); else a mix is a 422 naming it.
    mix: bool = False


class RecipeList(msgspec.Struct):
    data: list[RecipeInfo]
    object: str = "list"


class ProviderList(msgspec.Struct):
    data: list[ProviderInfo]
    object: str = "list"


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = {}


def _recipes() -> RecipeList:
    out = []
    for name, r in RECIPES.items():
        schema = msgspec.json.schema(r.Spec)
        out.append(RecipeInfo(name=name, summary=r.summary, raw_completion=r.raw_completion, spec_schema=schema,
                              mix=r.mixes))
    return RecipeList(data=out)


_RECIPES = _recipes()


@get("/v1/recipes", operation_id="listRecipes", guards=[require_tenant], tags=["catalogue"],
     summary="Recipes and the JSON Schema of each one's job spec")
async def list_recipes() -> RecipeList:
    return _RECIPES


@get("/v1/providers", operation_id="listProviders", guards=[require_tenant], tags=["catalogue"],
     summary="Configured providers: names, kinds, models (never URLs or keys)")
async def list_providers(request: Request) -> ProviderList:
    return ProviderList(data=request.app.state.registry.info())


class BenchmarkList(msgspec.Struct):
    data: list[str]
    object: str = "list"


@get("/v1/benchmarks", operation_id="listBenchmarks", guards=[require_tenant], tags=["catalogue"],
     summary="Benchmark sets registered for decontamination")
async def list_benchmarks(request: Request) -> BenchmarkList:
    return BenchmarkList(data=sorted(request.app.state.settings.benchmark_files))


@get("/healthz", operation_id="healthz", tags=["ops"], summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", operation_id="readyz", tags=["ops"],
     summary="Redis is reachable; checks.workers counts live workers (jobs wait while it is 0)",
     responses={503: ResponseSpec(data_container=Health, description="Redis is unreachable (Retry-After)",
                                  generate_examples=False)})
async def readyz(request: Request) -> Response[Health]:
    store = request.app.state.store
    try:
        await store.ping()
        live = await store.live_workers()
    except Exception as exc:  # any failure means not ready; say which
        return Response(Health(status="unavailable", checks={"redis": type(exc).__name__}), status_code=503,
                        headers={"Retry-After": "5"})
    # The API is ready without workers (they may run elsewhere or be restarting): the
    # count is reported, and jobs show waiting_for_worker while it is 0.
    return Response(Health(status="ok", checks={"redis": "ok", "workers": str(live)}))


@get("/metrics", operation_id="metrics", tags=["ops"], media_type=CONTENT_TYPE_LATEST,
     summary="Prometheus metrics, summed over every API and worker process")
async def metrics_route(request: Request) -> Response[bytes]:
    queue = request.app.state.settings.queue
    counters, hists, queued, started, failed, workers, statuses = await request.app.state.store.gauges(rq_keys(queue))
    by_status: dict[tuple[Any, ...], float] = {(s,): float(n) for s, n in statuses.items()}
    gauges: dict[str, dict[tuple[Any, ...], float]] = {
        "synthgen_queue_jobs": {(queue, "queued"): queued, (queue, "started"): started, (queue, "failed"): failed},
        "synthgen_jobs": by_status,
        "synthgen_workers": {(): workers},
        "synthgen_provider_inflight": {}, "synthgen_provider_limit": {}, "synthgen_provider_circuit_state": {},
    }
    inflight, limit, circuit = gauges["synthgen_provider_inflight"], gauges["synthgen_provider_limit"], \
        gauges["synthgen_provider_circuit_state"]
    for b in await request.app.state.limits.snapshot():
        inflight[(b.provider, b.model)] = float(b.inflight)
        circuit[(b.provider, b.model)] = float(b.circuit)
        for kind, value in (("concurrency", b.concurrency), ("window", b.window), ("rpm", b.rpm), ("tpm", b.tpm)):
            limit[(b.provider, b.model, kind)] = float(value)
    reg = CollectorRegistry(auto_describe=False)
    reg.register(metrics.Snapshot(counters, hists, gauges))
    return Response(generate_latest(reg), media_type=CONTENT_TYPE_LATEST)
