"""What the admin routes do: keys (service/store/keys.py) and quotas (service/quotas.py).
Built once at start (service/api/app.py). Bootstrap keys (from the settings) are listed
beside the managed ones, but change only with the settings."""

from __future__ import annotations

import time

from service.api.admin.schemas import ApiKey, KeyList, KeyRequest, NewApiKey, QuotaUpdate, RotateRequest, TenantQuotas
from service.api.auth import Auth, Caller
from service.api.problems import not_found
from service.domain.job import rfc3339
from service.quotas import Quotas
from service.settings import Settings
from service.store.keys import KeyStore, StoredKey


def _time(t: float | None) -> str | None:
    return rfc3339(t) if t is not None else None


def api_key(k: StoredKey, now: float) -> ApiKey:
    return ApiKey(id=k.id, tenant=k.tenant, role=k.role, name=k.name, source="managed", status=k.status(now),
                  created_at=_time(k.created_at), expires_at=_time(k.expires_at), revoked_at=_time(k.revoked_at),
                  last_used_at=_time(k.last_used_at), created_by=k.created_by, rotated_from=k.rotated_from,
                  rotated_to=k.rotated_to)


def new_api_key(key: str, k: StoredKey) -> NewApiKey:
    shown = api_key(k, time.time())
    return NewApiKey(**{f: getattr(shown, f) for f in ApiKey.__struct_fields__}, key=key)


class AdminService:
    """Keys and quotas, for admin keys."""

    def __init__(self, keys: KeyStore, quotas: Quotas, settings: Settings, auth: Auth):
        self.keys = keys
        self.quotas = quotas
        self.settings = settings
        self.auth = auth

    async def create_key(self, caller: Caller, req: KeyRequest) -> NewApiKey:
        expires = time.time() + req.expires_in if req.expires_in else None
        key, record = await self.keys.create(tenant=req.tenant, role=req.role, name=req.name, expires_at=expires,
                                             created_by=caller.key_id)
        return new_api_key(key, record)

    async def list_keys(self, tenant: str | None) -> KeyList:
        now = time.time()
        boot = [ApiKey(id=self.auth.bootstrap_id(h).removeprefix("env:"), tenant=b.tenant, role=b.role, name="SYNTHGEN_API_KEYS", source="env",
                       status="active", created_at=None, expires_at=None, revoked_at=None, last_used_at=None,
                       created_by="", rotated_from="", rotated_to="")
                for h, b in sorted(self.settings.api_key_hashes.items(), key=lambda kv: kv[1].tenant)
                if tenant is None or b.tenant == tenant]
        return KeyList(data=boot + [api_key(k, now) for k in await self.keys.list(tenant)])

    async def get_key(self, key_id: str) -> ApiKey:
        k = await self.keys.get(key_id)
        if k is None:
            raise not_found("key")
        return api_key(k, time.time())

    async def revoke_key(self, key_id: str) -> ApiKey:
        k = await self.keys.revoke(key_id)
        if k is None:
            raise not_found("key")
        return api_key(k, time.time())

    async def rotate_key(self, caller: Caller, key_id: str, req: RotateRequest) -> NewApiKey:
        expires = time.time() + req.expires_in if req.expires_in else None
        made = await self.keys.rotate(key_id, grace_seconds=req.grace_seconds, created_by=caller.key_id,
                                      expires_at=expires)
        if made is None:
            raise not_found("active key")
        return new_api_key(*made)

    async def tenant_quotas(self, tenant: str) -> TenantQuotas:
        r = await self.quotas.report(tenant)
        return TenantQuotas(tenant=tenant, limits=r["limits"], overrides=r["overrides"], used=r["used"])

    async def set_quotas(self, tenant: str, update: QuotaUpdate) -> TenantQuotas:
        await self.quotas.store.set_overrides(tenant, dict(update.limits))
        return await self.tenant_quotas(tenant)
