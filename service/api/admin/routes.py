"""Routes of /v1/admin: keys and tenant quotas, admin keys only. Each handler calls
`AdminService` (the `admin` dependency, service/api/app.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from service.api.admin.schemas import (
    KEY,
    QUOTAS,
    ROTATE,
    ApiKey,
    KeyList,
    KeyRequest,
    NewApiKey,
    QuotaUpdate,
    RotateRequest,
    TenantQuotas,
)
from service.api.admin.service import AdminService
from service.api.auth import CallerDep, access, authorize, require_json
from service.api.bodies import Body, bounded_json
from service.api.problems import problem_responses
from service.domain.access import ADMIN, TENANT_PATTERN

Admin = NamedDependency[AdminService]
KeyId = Annotated[str, PathParameter(description="A managed key's id (the part after sgk_).",
                                     pattern="^[0-9a-f]{12}$", max_length=12)]
TenantPath = Annotated[str, PathParameter(description="A tenant name.", pattern=TENANT_PATTERN, max_length=64)]


class AdminController(Controller):
    path = "/v1/admin"
    guards = [authorize]
    tags = ["admin"]

    @post("/keys", operation_id="createKey", status_code=201, guards=[require_json, bounded_json],
          dependencies={"req": Provide(KEY)}, opt=access(ADMIN), responses=problem_responses(400, 401, 403, 415, 422),
          summary="Make an API key for a tenant and role; the key is in this answer only")
    async def create_key(self, admin: Admin, caller: CallerDep, req: Body[KeyRequest]) -> NewApiKey:
        return await admin.create_key(caller, req)

    @get("/keys", operation_id="listKeys", opt=access(ADMIN), responses=problem_responses(400, 401, 403),
         summary="Every key (of a tenant): managed ones and the bootstrap keys of the settings, never secrets")
    async def list_keys(self, admin: Admin, tenant: Annotated[str | None, QueryParameter(
            description="Only this tenant's keys.", pattern=TENANT_PATTERN, max_length=64)] = None) -> KeyList:
        return await admin.list_keys(tenant)

    @get("/keys/{key_id:str}", operation_id="getKey", opt=access(ADMIN), responses=problem_responses(401, 403, 404),
         summary="One managed key")
    async def get_key(self, admin: Admin, key_id: KeyId) -> ApiKey:
        return await admin.get_key(key_id)

    @post("/keys/{key_id:str}/revoke", operation_id="revokeKey", status_code=200, opt=access(ADMIN),
          responses=problem_responses(401, 403, 404),
          summary="Revoke a key: every API replica refuses it from the next request on")
    async def revoke_key(self, admin: Admin, key_id: KeyId) -> ApiKey:
        return await admin.revoke_key(key_id)

    @post("/keys/{key_id:str}/rotate", operation_id="rotateKey", status_code=201, guards=[bounded_json],
          dependencies={"req": Provide(ROTATE)}, opt=access(ADMIN), responses=problem_responses(400, 401, 403, 404, 422),
          summary="A new key for the same tenant and role; the old one works for grace_seconds more")
    async def rotate_key(self, admin: Admin, caller: CallerDep, key_id: KeyId,
                         req: Body[RotateRequest | None]) -> NewApiKey:
        return await admin.rotate_key(caller, key_id, req or RotateRequest())

    @get("/tenants/{tenant:str}/quotas", operation_id="getTenantQuotas", opt=access(ADMIN),
         responses=problem_responses(400, 401, 403), summary="A tenant's quotas and what it uses now")
    async def get_quotas(self, admin: Admin, tenant: TenantPath) -> TenantQuotas:
        return await admin.tenant_quotas(tenant)

    @put("/tenants/{tenant:str}/quotas", operation_id="setTenantQuotas", guards=[require_json, bounded_json],
         dependencies={"update": Provide(QUOTAS)}, opt=access(ADMIN),
         responses=problem_responses(400, 401, 403, 415, 422),
         summary="Set a tenant's own quotas (null: back to the deployment default); applies to the next submit")
    async def set_quotas(self, admin: Admin, tenant: TenantPath, update: Body[QuotaUpdate]) -> TenantQuotas:
        return await admin.set_quotas(tenant, update)
