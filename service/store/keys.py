"""API keys kept in Redis, and the secret the API signs with.

Keys (prefix `sg`):
- `sg:apikey:{id}`   hash: one managed API key: tenant, role, name, salt, hash,
                     created_at, expires_at, revoked_at, last_used_at, created_by,
                     rotated_from, rotated_to (times as Unix seconds; '' when unset)
- `sg:apikeys`       sorted set: key id -> creation time (what `keys list` walks)
- `sg:secret:signing` string: the signing secret, made once when SYNTHGEN_SIGNING_SECRET
                     is unset (cursors, review links and sessions, CSRF tokens)

A managed key reads `sgk_<id>_<secret>`: the id (12 hex digits) finds the record, the
secret (32 random bytes, url-safe base64) is never stored, only its HMAC-SHA256 under a
per-key random salt, compared with `hmac.compare_digest`. 256 random bits need no slow
hash: the salt only keeps two equal digests from being told apart.

Every request looks its key up here (one HMGET), so a revoked or expired key fails on
every API replica at once, with nothing cached. Its last use is written at most once a
minute per key and process (`KeyStore.touch`), not once per request.

Keys from SYNTHGEN_API_KEYS / SYNTHGEN_API_KEYS_FILE (the bootstrap keys) never reach
Redis: they live in the settings, hashed, and change with a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any, Literal

import msgspec
import redis.asyncio as aredis

from service import defaults
from service.domain.access import Role, check_role

P = defaults.KEY_PREFIX
KEYS_INDEX = f"{P}:apikeys"
SIGNING_SECRET = f"{P}:secret:signing"
KEY_PATTERN = re.compile(r"^sgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$", re.ASCII)


def apikey_key(key_id: str) -> str:
    return f"{P}:apikey:{key_id}"


class StoredKey(msgspec.Struct, kw_only=True):
    """A managed key as stored, without its salt and hash."""

    id: str
    tenant: str
    role: Role
    name: str = ""
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None
    last_used_at: float | None = None
    created_by: str = ""
    rotated_from: str = ""
    rotated_to: str = ""

    def valid_at(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def status(self, now: float) -> Literal["active", "expired", "revoked"]:
        return "revoked" if self.revoked_at is not None else "active" if self.valid_at(now) else "expired"


class Identity(msgspec.Struct, frozen=True):
    """Whom a presented key belongs to."""

    key_id: str
    tenant: str
    role: Role


def digest(salt: bytes, key: str) -> str:
    return hmac.new(salt, key.encode(), hashlib.sha256).hexdigest()


def _opt(raw: bytes | None) -> float | None:
    return float(raw) if raw else None


def _decode(raw: dict[bytes, bytes]) -> StoredKey:
    h = {k.decode(): v for k, v in raw.items()}
    return StoredKey(
        id=h["id"].decode(), tenant=h["tenant"].decode(), role=check_role(h["role"].decode()),
        name=h.get("name", b"").decode(), created_at=float(h["created_at"]),
        expires_at=_opt(h.get("expires_at")), revoked_at=_opt(h.get("revoked_at")),
        last_used_at=_opt(h.get("last_used_at")), created_by=h.get("created_by", b"").decode(),
        rotated_from=h.get("rotated_from", b"").decode(), rotated_to=h.get("rotated_to", b"").decode())


class KeyStore:
    """Managed API keys: create, list, revoke, rotate, and the per-request lookup."""

    def __init__(self, client: aredis.Redis):
        self._r = client
        self._touched: dict[str, float] = {}  # key id -> monotonic time of the last last_used write

    async def create(self, *, tenant: str, role: Role, name: str = "", expires_at: float | None = None,
                     created_by: str = "", rotated_from: str = "") -> tuple[str, StoredKey]:
        """(the key, its record). The key is shown once: only its salted hash is kept."""
        check_role(role)
        key_id = secrets.token_hex(6)
        key = f"sgk_{key_id}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_bytes(16)
        now = time.time()
        record = StoredKey(id=key_id, tenant=tenant, role=role, name=name, created_at=now, expires_at=expires_at,
                           created_by=created_by, rotated_from=rotated_from)
        fields: dict[str, Any] = {
            "id": key_id, "tenant": tenant, "role": role, "name": name, "created_at": repr(now),
            "expires_at": repr(expires_at) if expires_at is not None else "", "revoked_at": "", "last_used_at": "",
            "created_by": created_by, "rotated_from": rotated_from, "rotated_to": "",
            "salt": salt.hex(), "hash": digest(salt, key)}
        async with self._r.pipeline(transaction=True) as p:
            p.hset(apikey_key(key_id), mapping=fields)
            p.zadd(KEYS_INDEX, {key_id: now})
            await p.execute()
        return key, record

    async def get(self, key_id: str) -> StoredKey | None:
        raw = await self._r.hgetall(apikey_key(key_id))
        return _decode(raw) if raw else None

    async def list(self, tenant: str | None = None) -> list[StoredKey]:
        """Every managed key (of `tenant`), oldest first."""
        ids = [m.decode() for m in await self._r.zrange(KEYS_INDEX, 0, -1)]
        async with self._r.pipeline(transaction=False) as p:
            for key_id in ids:
                p.hgetall(apikey_key(key_id))
            rows = await p.execute()
        keys = [_decode(raw) for raw in rows if raw]
        return [k for k in keys if tenant is None or k.tenant == tenant]

    async def revoke(self, key_id: str) -> StoredKey | None:
        """Revoke now (idempotent: a second revoke keeps the first time). None if unknown."""
        current = await self._r.hget(apikey_key(key_id), "revoked_at")  # b"" until revoked
        if current is None:
            return None
        if not current:
            await self._r.hset(apikey_key(key_id), "revoked_at", repr(time.time()))
        return await self.get(key_id)

    async def rotate(self, key_id: str, *, grace_seconds: float = 0.0, created_by: str = "",
                     expires_at: float | None = None) -> tuple[str, StoredKey] | None:
        """A new key with the old one's tenant, role and name; the old one stops working
        after `grace_seconds` (0: now). None if the old key is unknown or no longer valid."""
        old = await self.get(key_id)
        if old is None or not old.valid_at(time.time()):
            return None
        key, new = await self.create(tenant=old.tenant, role=old.role, name=old.name, expires_at=expires_at,
                                     created_by=created_by, rotated_from=old.id)
        end = time.time() + grace_seconds
        fields: dict[str, Any] = {"rotated_to": new.id}
        if grace_seconds <= 0:
            fields["revoked_at"] = repr(time.time())
        elif old.expires_at is None or end < old.expires_at:
            fields["expires_at"] = repr(end)
        await self._r.hset(apikey_key(key_id), mapping=fields)
        return key, new

    async def identify(self, key: str) -> Identity | None:
        """Whom a presented managed key belongs to, or None (unknown, wrong secret,
        revoked, expired). One round trip; the hash is compared in constant time."""
        m = KEY_PATTERN.match(key)
        if m is None:
            return None
        key_id = m.group(1)
        tenant, role, salt, stored, expires, revoked = await self._r.hmget(
            apikey_key(key_id), ["tenant", "role", "salt", "hash", "expires_at", "revoked_at"])
        if stored is None or salt is None or tenant is None or role is None:
            return None
        if not hmac.compare_digest(digest(bytes.fromhex(salt.decode()), key).encode(), stored):
            return None
        now = time.time()
        if revoked or (expires and now >= float(expires)):
            return None
        await self.touch(key_id, now)
        return Identity(key_id=key_id, tenant=tenant.decode(), role=check_role(role.decode()))

    async def valid(self, key_id: str) -> bool:
        """Whether a managed key (by id) still works: a review session made with it, or a
        review link it signed, dies with it."""
        expires, revoked, tenant = await self._r.hmget(apikey_key(key_id), ["expires_at", "revoked_at", "tenant"])
        return tenant is not None and not revoked and not (expires and time.time() >= float(expires))

    async def touch(self, key_id: str, now: float) -> None:
        """Record the key's last use, at most once per KEY_TOUCH_SECONDS in this process."""
        mono = time.monotonic()
        last = self._touched.get(key_id)
        if last is not None and mono - last < defaults.KEY_TOUCH_SECONDS:
            return
        self._touched[key_id] = mono
        await self._r.hset(apikey_key(key_id), "last_used_at", repr(now))


async def signing_secret(client: aredis.Redis, configured: str | None) -> bytes:
    """The secret the API signs cursors, review links, sessions and CSRF tokens with:
    SYNTHGEN_SIGNING_SECRET when set, else one made once and shared by every replica
    through Redis (SET NX: the first replica to start makes it)."""
    if configured:
        return configured.encode()
    await client.set(SIGNING_SECRET, secrets.token_hex(32), nx=True)
    value = await client.get(SIGNING_SECRET)
    assert value is not None
    return bytes(value)
