"""Who is calling, and may they: API keys and review sessions to a `Caller`, and the
guard every route but the public ones runs (`authorize`).

A route declares the roles it admits (`access(READ)` etc., service/domain/access.py),
once: the guard enforces them and service/api/openapi.py writes them into the route's
`security` requirement. `create_app` refuses to start with a route that declares
neither roles nor `public`.

Credentials, in order:
- `Authorization: Bearer <key>`: a managed key (`sgk_<id>_<secret>`, looked up in Redis
  on every request: service/store/keys.py) or a bootstrap key from the settings.
- The review session cookie (`sg_review`), only on the routes that take it (the
  spot-check): a signed, expiring token made by POST /review/session from a key or a
  review link (service/api/review/sessions.py). Nothing long-lived is in the page:
  the cookie is HttpOnly and holds no key. A request it authenticates that changes
  anything must carry the session's CSRF token (`X-CSRF-Token`), which only a page of
  this origin can have read.

Outcomes: no valid credential is a 401; a known key whose role the route does not admit
is a 403 (`forbidden`); a review link's session asking about another job is a 404, as
another tenant's job is for every role but admin.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from service.api.problems import ApiError, not_found
from service.api.signing import Signer
from service.domain.access import Role
from service.settings import Settings
from service.store.keys import KEY_PATTERN, KeyStore

SESSION_COOKIE = "sg_review"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller of one request."""

    tenant: str
    role: Role
    key_id: str  # a managed key's id, "env:<12 hex>" for a bootstrap key (Auth.bootstrap_id)
    job: str | None = None  # a review link's session: this job only
    session: str | None = None  # set when a session cookie authenticated the request
    expires_at: float | None = None  # the session's end

    @property
    def scope(self) -> str | None:
        """The tenant whose jobs this caller may see; None (every tenant) for admin."""
        return None if self.role == "admin" else self.tenant


def access(roles: tuple[Role, ...], *, session: bool = False, bearer: bool = True) -> dict[str, Any]:
    """A route's `opt`: the roles it admits, whether a review session may call it, and
    whether an API key may (not for the session's own route)."""
    return {"roles": roles, "session": session, "bearer": bearer}


PUBLIC: dict[str, Any] = {"public": True}


class Auth:
    """Turns credentials into callers. Built once at start (service/api/app.py)."""

    def __init__(self, settings: Settings, keys: KeyStore, signer: Signer):
        self.settings = settings
        self.keys = keys
        self.signer = signer

    def bootstrap_id(self, digest: str) -> str:
        """A bootstrap key's id: a MAC of its hash, so the id (shown to admins, carried in
        review links and sessions) gives nothing to guess a weak key offline with."""
        return "env:" + self.signer.short_id("bootstrap-key", digest)

    async def from_key(self, key: str) -> Caller | None:
        if KEY_PATTERN.match(key):
            ident = await self.keys.identify(key)
            return Caller(tenant=ident.tenant, role=ident.role, key_id=ident.key_id) if ident else None
        found = self.settings.bootstrap_key(key)
        if found is None:
            return None
        digest, entry = found
        return Caller(tenant=entry.tenant, role=entry.role, key_id=self.bootstrap_id(digest))

    async def key_valid(self, key_id: str) -> bool:
        """Whether the key a session or link was made with still works (revoked, expired
        or removed from the settings: no)."""
        if key_id.startswith("env:"):
            return any(self.bootstrap_id(h) == key_id for h in self.settings.api_key_hashes)
        return await self.keys.valid(key_id)

    async def from_session(self, token: str) -> Caller | None:
        payload = self.signer.open("review-session", token)
        if payload is None:
            return None
        try:
            fields = {k: payload.get(k) for k in ("tenant", "role", "key_id", "job", "session")}
            caller = msgspec.convert({**fields, "expires_at": payload["exp"]}, Caller)
        except msgspec.ValidationError:
            return None
        if not await self.key_valid(caller.key_id):
            return None
        return caller

    def csrf_token(self, session: str) -> str:
        return self.signer.tag("csrf", session)

    async def metrics_caller(self, header: str) -> bool | None:
        """/metrics: True for the metrics token or an admin key, False for another known
        key (a 403), None for no valid credential (a 401)."""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        configured = self.settings.metrics_token
        if configured and _same(token, configured):
            return True
        caller = await self.from_key(token)
        return None if caller is None else caller.role == "admin"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(hashlib.sha256(a.encode()).digest(), hashlib.sha256(b.encode()).digest())


def _unauthorized(detail: str = "a valid API key is required (Authorization: Bearer <key>)") -> ApiError:
    return ApiError.of("unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="synthgen"'})


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard of every non-public route: authenticate, check the role the route admits,
    keep a review link to its job, and check CSRF on a session's writes. Async on
    purpose: Litestar runs a sync guard in a worker thread (~300 us per request)."""
    auth: Auth = connection.app.state.services.auth
    roles: tuple[Role, ...] = handler.opt.get("roles", ())
    header = connection.headers.get("authorization", "")
    caller: Caller | None = None
    if header and handler.opt.get("bearer", True):
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            caller = await auth.from_key(key.strip())
    elif handler.opt.get("session") and SESSION_COOKIE in connection.cookies:
        caller = await auth.from_session(connection.cookies[SESSION_COOKIE])
        if caller is None:
            raise _unauthorized("the review session expired or was revoked; sign in again")
    if caller is None:
        raise _unauthorized() if handler.opt.get("bearer", True) else _unauthorized(
            "no review session: sign in on the review page (POST /review/session)")
    if caller.role not in roles:
        raise ApiError.of("forbidden", f"a {caller.role} key may not do this; it needs one of: {', '.join(roles)}")
    if caller.job is not None and connection.path_params.get("job_id") != caller.job:
        raise not_found()
    if caller.session is not None and connection.scope.get("method", "GET") not in SAFE_METHODS:
        sent = connection.headers.get(CSRF_HEADER, "")
        if not sent or not auth.signer.check("csrf", sent, caller.session):
            raise ApiError.of("csrf", "send the session's CSRF token in X-CSRF-Token (GET /review/session gives it)")
    connection.scope["state"]["caller"] = caller


async def metrics_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard of /metrics: the metrics token or an admin key, as a bearer token."""
    auth: Auth = connection.app.state.services.auth
    allowed = await auth.metrics_caller(connection.headers.get("authorization", ""))
    if allowed is None:
        raise ApiError.of("unauthorized", "send the metrics token (SYNTHGEN_METRICS_TOKEN) or an admin key as a "
                          "bearer token", headers={"WWW-Authenticate": 'Bearer realm="synthgen-metrics"'})
    if not allowed:
        raise ApiError.of("forbidden", "metrics sum every tenant's work: only the metrics token or an admin key")


def provide_caller(request: Request) -> Caller:
    """The `caller` dependency of every guarded handler (service/api/app.py)."""
    caller: Caller = request.scope["state"]["caller"]
    return caller


# A handler parameter holding the authenticated caller (the `caller` dependency).
CallerDep = NamedDependency[Caller]


async def require_json(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    ctype = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError.of("unsupported-media-type", "send the job spec as application/json")
