"""Routes of /healthz, /readyz and /metrics. Each handler calls `OpsService` (the `ops`
dependency, service/api/app.py)."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from service.api.ops.schemas import Health
from service.api.ops.service import OpsService

Ops = NamedDependency[OpsService]


@get("/healthz", operation_id="healthz", tags=["ops"], summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", operation_id="readyz", tags=["ops"],
     summary="Redis is reachable; checks.workers counts live workers (jobs wait while it is 0)",
     responses={503: ResponseSpec(data_container=Health, description="Redis is unreachable (Retry-After)",
                                  generate_examples=False)})
async def readyz(ops: Ops) -> Response[Health]:
    health, ready = await ops.ready()
    if not ready:
        return Response(health, status_code=503, headers={"Retry-After": "5"})
    return Response(health)


@get("/metrics", operation_id="metrics", tags=["ops"], media_type=CONTENT_TYPE_LATEST,
     summary="Prometheus metrics, summed over every API and worker process")
async def metrics_route(ops: Ops) -> Response[bytes]:
    return Response(await ops.metrics(), media_type=CONTENT_TYPE_LATEST)


ROUTES = [healthz, readyz, metrics_route]
