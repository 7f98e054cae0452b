"""Request bodies: bounded before any decoder sees them, decoded once, errors that say where.

Every JSON body is decoded by msgspec, here, exactly once, as the type its route
declares: a route names a `JsonBody` as a dependency (`dependencies={"spec":
Provide(SPEC)}`), its handler receives the decoded value, and service.api.openapi
declares the requestBody from the same object. A body that does not decode is a
problem naming what is wrong:
- bytes-level errors (invalid UTF-8, NUL bytes, truncated or malformed JSON): a 400
  `malformed-json` with the byte offset, line and column (`where`). They are looked for
  first, so a NUL after an unknown field is still reported as a NUL;
- well-formed JSON of the wrong shape: a 422 naming the field msgspec rejected (the
  route's problem type: `invalid-spec` for a job spec, `invalid-body` otherwise).

The size bound is Litestar's (defaults.MAX_BODY_BYTES, a 413). This module adds the
nesting depth: msgspec recurses per level, so a body nested 10,000 deep exhausts the
interpreter's recursion limit inside the decoder and would be a 500. The guard
`bounded_json` rejects anything deeper than defaults.MAX_JSON_DEPTH with a 400 naming
the byte where the limit was crossed. Counting brackets is a C-speed `bytes.count`;
only a body with at least that many brackets is scanned token by token (strings
skipped), so a 100k-prompt spec pays microseconds.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias, TypeVar

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidation

from service import defaults
from service.api.problems import ApiError
from service.domain.errors import FieldError, problem_type

# A JSON string (with escapes) or one bracket; strings are matched whole so brackets
# inside them do not count.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)
_BYTE = re.compile(r"\(byte (\d+)\)")


def too_deep_at(raw: bytes, limit: int = defaults.MAX_JSON_DEPTH) -> int | None:
    """The byte offset where `raw` first nests deeper than `limit`, else None."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return None
    depth = 0
    for m in _TOKENS.finditer(raw):
        c = raw[m.start()]
        if c in b"[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif c in b"]}":
            depth -= 1
    return None


def where(raw: bytes, offset: int) -> str:
    """'byte 41 (line 3, column 7)' for an offset into `raw`."""
    offset = max(0, min(offset, len(raw)))
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return f"byte {offset} (line {line}, column {column})"


def malformed(raw: bytes, exc: Exception | None = None) -> ApiError:
    """A 400 for a body that is not JSON, saying where decoding stopped."""
    if exc is None:
        try:
            msgspec.json.decode(raw)
        except msgspec.DecodeError as e:
            exc = e
    message = str(exc) if exc is not None else "not a JSON document"
    m = _BYTE.search(message)
    if m:
        offset = int(m.group(1))
        message = _BYTE.sub("", message).rstrip() + f" at {where(raw, offset)}"
    elif "utf-8" in message.lower():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            message = f"{message} at {where(raw, e.start)}"
    elif "truncated" in message.lower():
        message = f"{message.rstrip('.')}: the body ends early, at {where(raw, len(raw))}"
    nul = raw.find(b"\x00")
    if nul >= 0:
        message += f"; the body holds a NUL byte at {where(raw, nul)}"
    return ApiError.of("malformed-json", f"$: {message}", errors=[FieldError(field="$", message=message)])


async def bounded_json(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard of every route that takes a JSON body: depth bound, before it is decoded."""
    raw = await connection.body()  # type: ignore[attr-defined]  # cached; the JsonBody reads it again
    at = too_deep_at(raw)
    if at is not None:
        message = f"nested deeper than {defaults.MAX_JSON_DEPTH} levels at {where(raw, at)}"
        raise ApiError.of("too-deep", f"$: {message}", errors=[FieldError(field="$", message=message)])


T = TypeVar("T")
# A handler parameter holding a decoded body: injected by name from the route's JsonBody
# dependency, and not converted again by Litestar (it is the decoded value already).
Body: TypeAlias = NamedDependency[SkipValidation[T]]

_MSGSPEC_PATH = re.compile(r"`\$((?:\.[A-Za-z_][\w-]*|\[\d+\])*)`")


def field_of(message: str) -> str:
    """'Expected `int`, got `str` - at `$.target`' -> 'target' (top level -> '$')."""
    m = _MSGSPEC_PATH.search(message)
    if not m or not m.group(1):
        return "$"
    return m.group(1).lstrip(".")


def invalid_body(exc: msgspec.ValidationError, kind: str) -> ApiError:
    """A 422 of problem type `kind` naming the field msgspec rejected."""
    t = problem_type(kind)
    msg = str(exc)
    field = field_of(msg)
    text = msg.split(" - at ")[0]
    if msg.startswith("Object missing required field"):
        missing = re.search(r"`(\w+)`", msg)
        prefix = field if field != "$" else ""
        field = f"{prefix}.{missing.group(1)}".lstrip(".") if missing else field
    elif msg.startswith("Object contains unknown field"):
        unknown = re.search(r"`([^`]+)`", msg)
        prefix = field if field != "$" else ""
        field = f"{prefix}.{unknown.group(1)}".lstrip(".") if unknown else field
    elif kind == "invalid-spec" and ("tag" in msg or (field == "recipe" and msg.startswith("Invalid value"))):
        text = f"{text}; known recipes are listed at GET /v1/recipes"
    return ApiError(t.status, t.slug, t.title, f"{field}: {text}", [FieldError(field=field, message=text)])


class JsonBody:
    """A route's JSON body: the type msgspec decodes it to, and the problem type of a
    body of the wrong shape. Use it as the route's dependency (`Provide(body)`); an
    `optional` body may be left out (the handler then receives None).

    `lax` bodies take what Litestar's own body decoding took (strings for numbers and
    booleans, integral floats for integers: msgspec's lax rules), which is how the
    spot-check bodies have always been read; job specs are strict. Either way an error
    names what the strict rules reject, as it always has."""

    def __init__(self, type_: Any, *, kind: str = "invalid-body", optional: bool = False, lax: bool = False):
        problem_type(kind)  # catalogued (a KeyError here names a slug without an entry)
        self.type = type_
        self.kind = kind
        self.optional = optional
        self._strict = msgspec.json.Decoder(type_)
        self._decoder = msgspec.json.Decoder(type_, strict=False) if lax else self._strict

    def decode(self, raw: bytes) -> Any:
        """The body decoded as `type`, or the ApiError that says what is wrong with it."""
        if self.optional and not raw:
            return None
        try:
            return self._decoder.decode(raw)
        except msgspec.DecodeError as first:  # ValidationError is a DecodeError too
            error = first
        if self._decoder is not self._strict:
            try:
                self._strict.decode(raw)
            except msgspec.DecodeError as strict:
                error = strict
        try:  # bytes first: a NUL past an unknown field is still a NUL
            msgspec.json.decode(raw)
        except msgspec.DecodeError as untyped:
            error = untyped
        if isinstance(error, msgspec.ValidationError):  # well-formed (1e400 is too: out of range)
            raise invalid_body(error, self.kind) from None
        raise malformed(raw, error) from None

    async def __call__(self, request: Request) -> Any:
        return self.decode(await request.body())

    def __deepcopy__(self, memo: dict[int, Any]) -> "JsonBody":
        # Immutable once made; Litestar deep-copies a controller's handlers (with their
        # dependencies) per app, and a msgspec Decoder cannot be copied.
        return self
