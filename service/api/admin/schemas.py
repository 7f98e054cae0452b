"""What the admin routes take and answer. A key's secret is answered once, when it is
made (`NewApiKey.key`); listings never carry it, nor its hash."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.api.bodies import JsonBody
from service.domain.access import TENANT_PATTERN, Role
from service.quotas import LIMITS

TenantName = Annotated[str, Meta(pattern=TENANT_PATTERN, max_length=64, description="A tenant name")]
QuotaName = Annotated[str, Meta(pattern="^(" + "|".join(limit.name for limit in LIMITS) + ")$",
                                description="A quota's name (docs/security.md lists them)")]


class KeyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A key to make."""

    tenant: TenantName
    role: Annotated[Role, Meta(description="admin, submit, read or review (docs/security.md)")]
    name: Annotated[str, Meta(max_length=120, description="What the key is for, shown in listings")] = ""
    expires_in: Annotated[int, Meta(ge=60, le=10 * 365 * 86400, description="Seconds until it stops working; "
                                    "never, when left out")] | None = None


class RotateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """How to rotate a key."""

    grace_seconds: Annotated[int, Meta(ge=0, le=30 * 86400, description=(
        "How long the old key keeps working (0: it stops now)"))] = 0
    expires_in: Annotated[int, Meta(ge=60, le=10 * 365 * 86400, description="The new key's lifetime; never, "
                                    "when left out")] | None = None


class ApiKey(msgspec.Struct, kw_only=True):
    """A key as listed: who it is for and its life, never its secret. A bootstrap key
    (`source: env`, from SYNTHGEN_API_KEYS) is listed by a prefix of its hash, and changes
    only with the settings: the key routes answer 404 for it."""

    id: str
    tenant: str
    role: Role
    name: str
    source: Literal["managed", "env"]
    status: Literal["active", "expired", "revoked"]
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    created_by: str
    rotated_from: str
    rotated_to: str
    object: str = "api_key"


class NewApiKey(ApiKey, kw_only=True):
    """A key just made: `key` is shown this once; only its salted hash is kept."""

    key: str


class KeyList(msgspec.Struct):
    data: list[ApiKey]
    object: str = "list"


class QuotaUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The tenant's own limits: a number (0: no limit) or null (back to the default)."""

    limits: Annotated[dict[QuotaName, Annotated[int, Meta(ge=0, le=10**12)] | None], Meta(max_length=len(LIMITS))]


class TenantQuotas(msgspec.Struct):
    """A tenant's limits (its own values over the deployment's), which of them are its
    own, and what it uses now (daily and concurrent limits)."""

    tenant: str
    limits: dict[str, int]
    overrides: dict[str, int]
    used: dict[str, int]
    object: str = "tenant_quotas"


# Read with msgspec's lax rules, as the spot-check bodies are: an integral float is an
# integer (JSON Schema says so too).
KEY = JsonBody(KeyRequest, lax=True)
ROTATE = JsonBody(RotateRequest | None, optional=True, lax=True)
QUOTAS = JsonBody(QuotaUpdate, lax=True)
