"""API keys (Authorization: Bearer) mapped to tenants by server config."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from service.api.problems import ApiError


def tenant_of(connection: ASGIConnection) -> str:
    """The tenant `require_tenant` resolved."""
    return connection.scope["state"]["tenant"]


# A handler parameter holding the caller's tenant (the `tenant` dependency).
Tenant = NamedDependency[str]


def provide_tenant(request: Request) -> str:
    """The `tenant` dependency of every guarded handler (service/api/app.py)."""
    return tenant_of(request)


async def require_tenant(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: resolve the bearer key to a tenant, or 401. Keys are compared as hashes.
    Async on purpose: Litestar runs a sync guard in a worker thread, which cost ~300 us
    per request (docs/benchmarks.md)."""
    header = connection.headers.get("authorization", "")
    scheme, _sep, key = header.partition(" ")
    settings = connection.app.state.settings
    tenant = settings.tenant_for_key(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
    if tenant is None:
        raise ApiError.of("unauthorized", "a valid API key is required (Authorization: Bearer <key>)",
                          headers={"WWW-Authenticate": 'Bearer realm="synthgen"'})
    connection.scope["state"]["tenant"] = tenant


async def require_json(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    ctype = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError.of("unsupported-media-type", "send the job spec as application/json")
