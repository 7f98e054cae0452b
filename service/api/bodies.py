"""Bounds on request bodies, checked before any decoder sees them, and errors that say where.

The size bound is Litestar's (defaults.MAX_BODY_BYTES, a 413). This module adds:
- nesting depth: msgspec recurses per level, so a body nested 10,000 deep exhausts
  the interpreter's recursion limit inside the decoder and would be a 500. The guard
  `bounded_json` rejects anything deeper than defaults.MAX_JSON_DEPTH with a 400
  naming the byte where the limit was crossed. Counting brackets is a C-speed
  `bytes.count`; only a body with at least that many brackets is scanned token by
  token (strings skipped), so a 100k-prompt spec pays microseconds.
- bytes-level errors (invalid UTF-8, NUL bytes, truncated or malformed JSON) are
  reported with their byte offset, line and column (`where`), so the caller can find them.
"""

from __future__ import annotations

import re

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from service import defaults
from service.api.problems import ApiError
from service.domain.errors import FieldError

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
    """Guard of every route that takes a JSON body: depth bound, before Litestar decodes."""
    raw = await connection.body()  # type: ignore[attr-defined]  # cached; the handler reads it again
    at = too_deep_at(raw)
    if at is not None:
        message = f"nested deeper than {defaults.MAX_JSON_DEPTH} levels at {where(raw, at)}"
        raise ApiError.of("too-deep", f"$: {message}", errors=[FieldError(field="$", message=message)])
