"""Cursors and page limits of the job list and the record/reject streams.

Cursors are opaque to callers: url-safe base64 of "<score> <job id>" (lists) or
"o<offset>" (streams), checked against exact patterns before anything reaches Redis.
"""

from __future__ import annotations

import base64
import binascii
import re

from service.api.problems import bad_field

MAX_CURSOR = 128


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    if len(cursor) > MAX_CURSOR:
        raise bad_field("cursor", f"longer than {MAX_CURSOR} characters; not a cursor this API issued")
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_field("cursor", "not a cursor this API issued", cursor) from None


# A list cursor is "<score> <job id>", a stream cursor "o<offset>"; anything else, or a
# score that is not a finite number (NaN reached Redis as "min or max is not a float"),
# or an offset past what a list can hold, never reaches Redis.
_LIST_CURSOR = re.compile(r"^(\d{1,16}(?:\.\d{1,9})?) (job_[0-9a-f]{24})$", re.ASCII)
_STREAM_CURSOR = re.compile(r"^o(\d{1,15})$", re.ASCII)


def list_cursor(cursor: str) -> tuple[float, str]:
    m = _LIST_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    return float(m.group(1)), m.group(2)


def stream_cursor(cursor: str) -> int:
    m = _STREAM_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    return int(m.group(1))


def clamp_limit(limit: int | None, default: int, maximum: int, field: str = "limit") -> int:
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise bad_field(field, f"must be between 1 and {maximum}", limit)
    return limit
