"""The floor for section 4: a bare Litestar handler returning fixed bytes.

It serves GET /v1/jobs/{job_id} with the exact body synthgen returned for a real job,
with no auth, no Redis and no middleware, under the same server and settings as
`synthgen serve` (uvicorn, log level warning, no access log).

With --variant it becomes a rung of a ladder from that floor to synthgen's handler,
each rung adding one of synthgen's own pieces (imported from service/, unchanged), so
the cost of each piece is measured rather than guessed (`--diagnose` in the api
section):
  bytes        the floor
  middleware   + service.api.app.request_id_middleware
  guard        + service.api.auth.require_tenant as route guard (a sync guard)
  guard-async  + the same guard as a coroutine (what an async guard would cost)
  auth-mw      + the same check in an ASGI middleware instead of a guard
  store        + guard + JobStore.get (HGETALL of the job hash), still fixed bytes out
  job          + guard + JobService.get: from_hash -> Job struct, encoded by Litestar

  python -m bench.bare_app --port 8001 --body job.json [--variant store]
"""

from __future__ import annotations

import argparse
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from litestar import Litestar, Request, Response, get

VARIANTS = ("bytes", "middleware", "guard", "guard-async", "auth-mw", "store", "job")


def create_app(body: bytes, variant: str = "bytes") -> Litestar:
    if variant == "bytes":
        @get("/v1/jobs/{job_id:str}", sync_to_thread=False)
        def job(job_id: str) -> Response[bytes]:
            return Response(body, media_type="application/json")

        return Litestar(route_handlers=[job], openapi_config=None, debug=False)

    from service import settings as settings_mod
    from service.api.app import request_id_middleware
    from service.api.auth import require_tenant

    settings = settings_mod.from_env()

    async def require_tenant_async(connection: Any, handler: Any) -> None:
        require_tenant(connection, handler)

    guards: list[Any] = []
    if variant in ("guard", "store", "job"):
        guards = [require_tenant]
    elif variant == "guard-async":
        guards = [require_tenant_async]

    lifespan = []
    if variant in ("store", "job"):
        from service.api.jobs.service import JobService
        from service.providers.registry import Registry
        from service.store.jobs import JobStore
        from service.store.redis import async_client, sync_client

        @asynccontextmanager
        async def store_lifespan(app: Litestar) -> AsyncIterator[None]:
            client = async_client(settings.redis_url or "")
            app.state.store = JobStore(client)
            app.state.jobs = JobService(app.state.store, sync_client(settings.redis_url or ""),
                                        Registry.load(settings.providers_file), settings)
            try:
                yield
            finally:
                await client.aclose()

        lifespan = [store_lifespan]

    if variant == "job":
        from service.api.auth import tenant_of
        from service.api.jobs.schemas import Job

        globals()["Job"] = Job  # the handler's return annotation is resolved in this module's namespace
        @get("/v1/jobs/{job_id:str}", guards=guards)
        async def job_handler(request: Request, job_id: str) -> Job:
            return await request.app.state.jobs.get(tenant_of(request), job_id)
    elif variant == "store":
        from service.api.auth import tenant_of

        @get("/v1/jobs/{job_id:str}", guards=guards)
        async def job_handler(request: Request, job_id: str) -> Response[bytes]:
            await request.app.state.store.get(job_id, tenant_of(request))
            return Response(body, media_type="application/json")
    else:
        @get("/v1/jobs/{job_id:str}", guards=guards, sync_to_thread=False)
        def job_handler(job_id: str) -> Response[bytes]:
            return Response(body, media_type="application/json")

    middleware: list[Any] = [request_id_middleware]
    if variant == "auth-mw":
        def auth_middleware(app: Any) -> Any:
            async def mw(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    key = b""
                    for k, v in scope["headers"]:
                        if k == b"authorization":
                            key = v
                            break
                    scheme, _, raw = key.decode("latin-1").partition(" ")
                    tenant = settings.tenant_for_key(raw.strip()) if scheme.lower() == "bearer" else None
                    if tenant is None:
                        await send({"type": "http.response.start", "status": 401, "headers": []})
                        await send({"type": "http.response.body", "body": b""})
                        return
                    scope.setdefault("state", {})["tenant"] = tenant
                await app(scope, receive, send)

            return mw

        middleware.append(auth_middleware)
    app = Litestar(route_handlers=[job_handler], middleware=middleware, lifespan=lifespan,
                   openapi_config=None, debug=False)
    app.state.settings = settings
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--body", required=True)
    ap.add_argument("--variant", choices=VARIANTS, default="bytes")
    args = ap.parse_args()
    import uvicorn

    uvicorn.run(create_app(Path(args.body).read_bytes(), args.variant), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
