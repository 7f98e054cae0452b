"""The Litestar application: the features' routes, the services they depend on, error
mapping, request ids.

Services are built once, when the app starts (its lifespan: the Redis clients live in
the server's event loop), with their dependencies passed in, as vLLM's
`init_app_state` does. Handlers receive them as Litestar dependencies by name
(`jobs`, `review`, `catalogue`, `ops`, `admin`, and `caller`, who is calling), so no
handler reaches into app state, and a test can hand a route another service:
`create_app(settings, dependencies={"ops": Provide(...)})` replaces the app's provider
of that name. `auth` is the one service a guard reads (guards take no dependencies).

Every route either declares the roles it admits (`opt=access(...)`, service/api/auth.py)
or says it is public (`opt=PUBLIC`, or the metrics guard); `create_app` refuses to build
an app with a route that does neither, so a new route cannot be left open by omission.
"""

from __future__ import annotations

import asyncio
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
from service.api.admin.routes import AdminController
from service.api.admin.service import AdminService
from service.api.auth import PUBLIC, Auth, provide_caller
from service.api.catalogue.routes import ROUTES as CATALOGUE_ROUTES
from service.api.catalogue.service import CatalogueService
from service.api.jobs.routes import JobController
from service.api.jobs.service import JobService
from service.api.ops.routes import ROUTES as OPS_ROUTES
from service.api.ops.service import OpsService
from service.api.problems import HANDLERS
from service.api.review.routes import PAGE_ROUTES, ReviewController
from service.api.review.service import ReviewService
from service.api.signing import Signer
from service.api.webhooks.routes import WebhookController
from service.api.webhooks.service import WebhookService
from service.outbound import OutboundPolicy
from service.providers.registry import Registry
from service.quotas import Quotas
from service.settings import Settings
from service.store.datasets import DatasetFiles
from service.store.jobs import JobStore
from service.store.keys import KeyStore, signing_secret
from service.store.quotas import QuotaStore
from service.store.redis import async_client, sync_client
from service.store.webhooks import WebhookStore
from service.webhooks import Dispatcher

log = logging.getLogger("synthgen.api")


class Services(msgspec.Struct, frozen=True):
    """The services the routes depend on, one each, built at start."""

    jobs: JobService
    review: ReviewService
    catalogue: CatalogueService
    ops: OpsService
    admin: AdminService
    webhooks: WebhookService
    auth: Auth
    dispatcher: Dispatcher


def build_services(client: Any, sync_redis: Any, registry: Registry, settings: Settings,
                   secret: bytes | None) -> Services:
    store = JobStore(client, DatasetFiles.from_settings(settings))
    keys = KeyStore(client)
    signer = Signer(secret)
    quotas = Quotas(QuotaStore(client), settings.quotas)
    auth = Auth(settings, keys, signer)
    outbound = OutboundPolicy(settings.outbound_hosts, settings.outbound_private)
    hooks = WebhookStore(client)
    jobs = JobService(store, sync_redis, registry, settings, quotas, signer, outbound, hooks)
    return Services(jobs=jobs, review=ReviewService(jobs, auth), catalogue=CatalogueService(registry, settings),
                    ops=OpsService(store, settings.queue), admin=AdminService(keys, quotas, settings, auth),
                    webhooks=WebhookService(hooks, jobs), auth=auth,
                    dispatcher=Dispatcher(hooks, outbound, jobs.rendered))


async def _load_secret(client: Any, settings: Settings, services: Services) -> None:
    """The signing secret, from the settings or Redis; retried while Redis is down (the
    API starts anyway: its readiness says Redis is unreachable, requests get 503s)."""
    from service.store.redis import OUTAGE

    signer = services.auth.signer
    while signer.secret is None:
        try:
            signer.secret = await signing_secret(client, settings.signing_secret)
        except OUTAGE:
            await asyncio.sleep(1.0)


async def _secret_at_start(client: Any, settings: Settings, services: Services) -> asyncio.Task[None]:
    """Load the signing secret before the first request when Redis answers (or it is
    configured), else keep trying in the background (the returned task)."""
    loading = asyncio.create_task(_load_secret(client, settings, services))
    try:
        await asyncio.wait_for(asyncio.shield(loading), timeout=defaults.START_SECRET_WAIT_SECONDS)
    except asyncio.TimeoutError:
        pass
    return loading


def _service(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.services, name)

    return Provide(provide, sync_to_thread=False)


# The dependencies every handler may name; `create_app(dependencies=...)` overrides them.
DEPENDENCIES: dict[str, Provide] = {
    **{name: _service(name) for name in Services.__struct_fields__ if name not in ("auth", "dispatcher")},
    "caller": Provide(provide_caller, sync_to_thread=False),
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
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", description=(
                "An API key. Each operation lists the roles it admits: admin (every tenant, keys, quotas), "
                "submit (submit and read its tenant's jobs), read (read only), review (the spot-check only). "
                "Another tenant's job is a 404 for every role but admin.")),
            "reviewSession": SecurityScheme(type="apiKey", security_scheme_in="cookie", name="sg_review",
                                            description="The review page's session (POST /review/session); "
                                            "writes also need its X-CSRF-Token header."),
            "metricsToken": SecurityScheme(type="http", scheme="bearer",
                                           description="SYNTHGEN_METRICS_TOKEN, for Prometheus"),
        }),
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
        services = app.state.services = build_services(client, sync, registry, settings, None)
        loading = await _secret_at_start(client, settings, services)
        delivering = asyncio.create_task(services.dispatcher.run())
        try:
            yield
        finally:
            loading.cancel()
            # Stopped, not cancelled: a cancellation landing inside a redis-py call can be
            # swallowed there, and the loop would go on (seen under TestClient).
            await services.dispatcher.close(delivering)
            await asyncio.gather(loading, return_exceptions=True)
            await client.aclose()
            sync.close()

    app = Litestar(
        route_handlers=[JobController, ReviewController, *PAGE_ROUTES, WebhookController, AdminController,
                        *CATALOGUE_ROUTES,
                        *OPS_ROUTES,
                        create_static_files_router(DOCS_ASSETS_PATH, [DOCS_ASSETS], name="docs-assets",
                                                   cache_control=CacheControlHeader(max_age=86400), opt=PUBLIC)],
        dependencies={**DEPENDENCIES, **(dependencies or {})},
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        middleware=[request_id_middleware],
        lifespan=[lifespan],
        openapi_config=openapi_config(),
        request_max_body_size=defaults.MAX_BODY_BYTES,
        debug=False,
    )
    _check_access(app)
    openapi.install(app, schema_types())
    _fix_allow_headers(app)
    return app


def _check_access(app: Litestar) -> None:
    """Every route declares who may call it: roles (guarded by `authorize`), public, or
    the metrics guard. The API docs (Litestar's own routes under /docs) are public."""
    from litestar.routes import HTTPRoute

    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path == "/docs" or route.path.startswith("/docs/"):
            continue
        for handler in route.route_handlers:
            opt = handler.opt
            if handler.http_methods == {"OPTIONS"} or opt.get("roles") or opt.get("public") or opt.get("metrics"):
                continue
            raise RuntimeError(f"route {route.path} ({handler.handler_name}) declares no access: "
                               "opt=access(roles) or opt=PUBLIC (service/api/auth.py)")


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
    from service.api.admin.schemas import ApiKey, KeyList, NewApiKey, TenantQuotas
    from service.api.catalogue.schemas import BenchmarkList, ProviderList, RecipeList
    from service.api.jobs.schemas import Job, JobPage
    from service.api.ops.schemas import Health
    from service.api.problems import Problem
    from service.api.review.schemas import ReviewLink, ReviewSession, SpotCheck, SpotCheckRequest, Verdict
    from service.api.webhooks.schemas import WebhookDelivery, WebhookSecret
    from service.domain.report import JobReport
    from service.domain.review import StoredVerdict
    from service.recipes import RECIPES

    return [*(r.Spec for r in RECIPES.values()), Job, JobPage, Problem, SpotCheck, SpotCheckRequest, Verdict,
            StoredVerdict, JobReport, RecipeList, ProviderList, BenchmarkList, Health, ReviewLink, ReviewSession,
            ApiKey, NewApiKey, KeyList, TenantQuotas, WebhookSecret, WebhookDelivery]
