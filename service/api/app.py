"""The Litestar application: the features' routes, the services they depend on, error
mapping, request ids.

Services are built once, when the app starts (its lifespan: the Redis clients live in
the server's event loop), with their dependencies passed in, as vLLM's
`init_app_state` does. Handlers receive them as Litestar dependencies by name
(`jobs`, `review`, `catalogue`, `ops`, and `tenant`, the caller's tenant), so no
handler reaches into app state, and a test can hand a route another service:
`create_app(settings, dependencies={"ops": Provide(...)})` replaces the app's provider
of that name.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

import msgspec
from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service import __version__, defaults, redact
from service import settings as settings_mod
from service.api import openapi
from service.api.auth import provide_tenant
from service.api.catalogue.routes import ROUTES as CATALOGUE_ROUTES
from service.api.catalogue.service import CatalogueService
from service.api.jobs.routes import JobController
from service.api.jobs.service import JobService
from service.api.ops.routes import ROUTES as OPS_ROUTES
from service.api.ops.service import OpsService
from service.api.problems import HANDLERS
from service.api.review.routes import ReviewController, review_page
from service.api.review.service import ReviewService
from service.providers.registry import Registry
from service.settings import Settings
from service.store.jobs import JobStore
from service.store.redis import async_client, sync_client

log = logging.getLogger("synthgen.api")


class Services(msgspec.Struct, frozen=True):
    """The services the routes depend on, one each, built at start."""

    jobs: JobService
    review: ReviewService
    catalogue: CatalogueService
    ops: OpsService


def build_services(store: JobStore, sync_redis: Any, registry: Registry, settings: Settings) -> Services:
    jobs = JobService(store, sync_redis, registry, settings)
    return Services(jobs=jobs, review=ReviewService(jobs), catalogue=CatalogueService(registry, settings),
                    ops=OpsService(store, settings.queue))


def _service(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.services, name)

    return Provide(provide, sync_to_thread=False)


# The dependencies every handler may name; `create_app(dependencies=...)` overrides them.
DEPENDENCIES: dict[str, Provide] = {
    **{name: _service(name) for name in Services.__struct_fields__},
    "tenant": Provide(provide_tenant, sync_to_thread=False),
}


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Echo X-Request-Id, or make one, on every response; keep it in scope state for logs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        rid = b""
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                rid = v[:128]
                break
        rid = rid or os.urandom(8).hex().encode()
        scope.setdefault("state", {})["request_id"] = rid.decode(errors="replace")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid)]
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


# API docs work with no internet (most training clusters have none): Swagger UI's
# files are vendored, pinned, in static/docs (package.json there names the version;
# `make docs-assets` refreshes them from npm) and served by the app. Scalar, the former
# /docs, was dropped: its bundle alone is 4.3 MB against Swagger UI's 2.2 MB in all.
DOCS_ASSETS = Path(__file__).parent / "static" / "docs"
DOCS_ASSETS_PATH = "/docs/assets"


def openapi_config() -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="synthgen", version=__version__,
        description="Synthetic-data generation as a service: submit a recipe job, stream its records.",
        path="/docs", render_plugins=[openapi.Corrected(swagger), openapi.Corrected(JsonRenderPlugin())],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        security=[{"bearer": []}],
        use_handler_docstrings=False,
    )


def create_app(settings: Settings | None = None, *, dependencies: Mapping[str, Provide] | None = None) -> Litestar:
    settings = settings or settings_mod.get()
    registry = Registry.load(settings.providers_file)
    redact.configure_process(registry, settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = settings.redis_url or ""
        client = async_client(url, max_connections=settings.redis_pool)
        sync = sync_client(url)
        app.state.services = build_services(JobStore(client), sync, registry, settings)
        try:
            yield
        finally:
            await client.aclose()
            sync.close()

    app = Litestar(
        route_handlers=[JobController, ReviewController, review_page, *CATALOGUE_ROUTES, *OPS_ROUTES,
                        create_static_files_router(DOCS_ASSETS_PATH, [DOCS_ASSETS], name="docs-assets",
                                                   cache_control=CacheControlHeader(max_age=86400))],
        dependencies={**DEPENDENCIES, **(dependencies or {})},
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[request_id_middleware],
        lifespan=[lifespan],
        openapi_config=openapi_config(),
        request_max_body_size=defaults.MAX_BODY_BYTES,
        debug=False,
    )
    app.state.settings = settings  # read by the require_tenant guard (guards take no dependencies)
    openapi.install(app, schema_types())
    _fix_allow_headers(app)
    return app


def _fix_allow_headers(app: Litestar) -> None:
    """OPTIONS answers `Allow` with every method of its path.

    Litestar builds a path's OPTIONS handler with the first route made for that path;
    when later handlers join the path it builds a new route but keeps the old handler,
    whose closure still lists the first route's methods (`OPTIONS /v1/jobs` said
    "OPTIONS, POST", without GET). Point each such closure at the route that serves it."""
    from litestar.routes import HTTPRoute

    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        fn = route.route_handler_map["OPTIONS"][0].fn
        for cell in getattr(fn, "__closure__", None) or ():
            if isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route


def schema_types() -> list[object]:
    """The msgspec types the API reads and writes, for service.api.openapi."""
    from service.api.catalogue.schemas import BenchmarkList, ProviderList, RecipeList
    from service.api.jobs.schemas import Job, JobPage
    from service.api.ops.schemas import Health
    from service.api.problems import Problem
    from service.api.review.schemas import SpotCheck, SpotCheckRequest, Verdict
    from service.domain.report import JobReport
    from service.domain.review import StoredVerdict
    from service.recipes import RECIPES

    return [*(r.Spec for r in RECIPES.values()), Job, JobPage, Problem, SpotCheck, SpotCheckRequest, Verdict,
            StoredVerdict, JobReport, RecipeList, ProviderList, BenchmarkList, Health]
