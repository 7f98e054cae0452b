"""The operator's commands of `synthgen`: API keys and tenant quotas, straight in Redis
(SYNTHGEN_REDIS_URL), so the first admin key can be made before any key exists.

    synthgen keys create --tenant T --role admin|submit|read|review [--name N] [--expires 90d]
    synthgen keys list [--tenant T]
    synthgen keys revoke KEY_ID
    synthgen keys rotate KEY_ID [--grace 1h] [--expires 90d]
    synthgen quotas show TENANT
    synthgen quotas set TENANT name=value ...      # value 'default' drops the tenant's own

A new key is printed once, on its own line (stdout), and never again; everything else
goes to stderr, so `KEY=$(synthgen keys create ...)` keeps just the key. `--json` prints
the record as JSON instead. Every API replica sees a change at its next request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from typing import Any, Awaitable, Callable

import msgspec

from service import settings as settings_mod
from service.domain.access import ROLES, check_tenant

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    """'90d', '12h', '30m', '45s' or plain seconds."""
    m = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90d, 12h, 30m, 3600)")
    return int(m.group(1)) * _UNITS[m.group(2) or "s"]


def _tenant(text: str) -> str:
    try:
        return check_tenant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run(fn: Callable[[Any], Awaitable[int]]) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        s = settings_mod.from_env()
        if not s.redis_url:
            sys.exit("synthgen keys/quotas: set SYNTHGEN_REDIS_URL (the service's Redis)")

        async def main() -> int:
            from service.store.redis import async_client

            client = async_client(s.redis_url or "")
            try:
                return await fn(_Ctx(args, client, s))
            finally:
                await client.aclose()

        sys.exit(asyncio.run(main()))

    return command


class _Ctx:
    def __init__(self, args: argparse.Namespace, client: Any, settings: settings_mod.Settings):
        self.args, self.client, self.settings = args, client, settings

    def show(self, record: Any, key: str | None = None) -> None:
        data = msgspec.to_builtins(record)
        if self.args.json:
            print(json.dumps({**data, **({"key": key} if key else {})}))
            return
        if key:
            print(key)
        when = {k: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(v)) if isinstance(v, float) else v
                for k, v in data.items()}
        print("  ".join(f"{k}={v}" for k, v in when.items() if v not in (None, "")), file=sys.stderr)


async def keys_create(ctx: _Ctx) -> int:
    from service.store.keys import KeyStore

    a = ctx.args
    key, record = await KeyStore(ctx.client).create(
        tenant=a.tenant, role=a.role, name=a.name, expires_at=time.time() + a.expires if a.expires else None,
        created_by="cli")
    ctx.show(record, key)
    return 0


async def keys_list(ctx: _Ctx) -> int:
    from service.store.keys import KeyStore

    now = time.time()
    keys = await KeyStore(ctx.client).list(ctx.args.tenant)
    if ctx.args.json:
        print(json.dumps([msgspec.to_builtins(k) for k in keys]))
        return 0
    for k in keys:
        status = k.status(now)
        last = time.strftime("%Y-%m-%d %H:%M", time.gmtime(k.last_used_at)) if k.last_used_at else "never"
        print(f"{k.id}  {k.tenant:<20} {k.role:<7} {status:<8} last used {last}  {k.name}")
    for b in ctx.settings.api_key_hashes.values():
        if ctx.args.tenant in (None, b.tenant):
            print(f"(bootstrap)   {b.tenant:<20} {b.role:<7} from SYNTHGEN_API_KEYS; changes with the settings")
    return 0


async def keys_revoke(ctx: _Ctx) -> int:
    from service.store.keys import KeyStore

    record = await KeyStore(ctx.client).revoke(ctx.args.key_id)
    if record is None:
        print(f"no managed key {ctx.args.key_id}", file=sys.stderr)
        return 4
    ctx.show(record)
    return 0


async def keys_rotate(ctx: _Ctx) -> int:
    from service.store.keys import KeyStore

    a = ctx.args
    made = await KeyStore(ctx.client).rotate(a.key_id, grace_seconds=a.grace, created_by="cli",
                                             expires_at=time.time() + a.expires if a.expires else None)
    if made is None:
        print(f"no active managed key {a.key_id}", file=sys.stderr)
        return 4
    ctx.show(made[1], made[0])
    return 0


async def quotas_show(ctx: _Ctx) -> int:
    from service.quotas import Quotas
    from service.store.quotas import QuotaStore

    print(json.dumps(await Quotas(QuotaStore(ctx.client), ctx.settings.quotas).report(ctx.args.tenant), indent=2))
    return 0


async def quotas_set(ctx: _Ctx) -> int:
    from service.quotas import BY_NAME
    from service.store.quotas import QuotaStore

    values: dict[str, int | None] = {}
    for pair in ctx.args.values:
        name, _, value = pair.partition("=")
        if name not in BY_NAME or not value or not (value == "default" or value.isdigit()):
            print(f"expected name=value (a whole number, or 'default'); names: {', '.join(BY_NAME)}", file=sys.stderr)
            return 2
        values[name] = None if value == "default" else int(value)
    print(json.dumps(await QuotaStore(ctx.client).set_overrides(ctx.args.tenant, values)))
    return 0


def add_operator_commands(sub: Any) -> None:
    keys = sub.add_parser("keys", help="operator: API keys in Redis (create, list, revoke, rotate)")
    ks = keys.add_subparsers(dest="keys_cmd", required=True)
    p = ks.add_parser("create", help="make a key; printed once")
    p.add_argument("--tenant", required=True, type=_tenant)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--name", default="", help="what the key is for")
    p.add_argument("--expires", type=duration, default=None, help="lifetime: 90d, 12h, 3600 (default: none)")
    p.set_defaults(fn=_run(keys_create))
    p = ks.add_parser("list", help="every key, never secrets")
    p.add_argument("--tenant", type=_tenant, default=None)
    p.set_defaults(fn=_run(keys_list))
    p = ks.add_parser("revoke", help="stop a key now, on every API replica")
    p.add_argument("key_id")
    p.set_defaults(fn=_run(keys_revoke))
    p = ks.add_parser("rotate", help="a new key for the same tenant and role; the old one ends after --grace")
    p.add_argument("key_id")
    p.add_argument("--grace", type=duration, default=0, help="how long the old key keeps working (default: 0)")
    p.add_argument("--expires", type=duration, default=None, help="the new key's lifetime")
    p.set_defaults(fn=_run(keys_rotate))
    quotas = sub.add_parser("quotas", help="operator: a tenant's quotas in Redis")
    qs = quotas.add_subparsers(dest="quotas_cmd", required=True)
    p = qs.add_parser("show", help="a tenant's limits and what it uses now")
    p.add_argument("tenant", type=_tenant)
    p.set_defaults(fn=_run(quotas_show))
    p = qs.add_parser("set", help="set a tenant's own limits: name=value (0: no limit; 'default': the deployment's)")
    p.add_argument("tenant", type=_tenant)
    p.add_argument("values", nargs="+")
    p.set_defaults(fn=_run(quotas_set))
    for parser in (*ks.choices.values(), *qs.choices.values()):
        parser.add_argument("--json", action="store_true", help="print JSON")
