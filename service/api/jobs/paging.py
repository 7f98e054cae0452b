"""Cursors and page limits of the job list and the record/reject streams.

Cursors are opaque to callers: url-safe base64 of "<score> <job id> <tag>" (lists) or
"o<offset> <tag>" (streams), checked against exact patterns before anything reaches
Redis (a 400 otherwise). The tag (service/api/signing.py) binds a list cursor to the
tenant it lists and a stream cursor to its job and stream, so a cursor used by another
tenant, or on another job, is a 404 like any other tenant's id, without a lookup.
"""

from __future__ import annotations

import base64
import binascii
import re

from service.api.problems import bad_field, not_found
from service.api.signing import Signer

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
_LIST_CURSOR = re.compile(r"^(\d{1,16}(?:\.\d{1,9})?) (job_[0-9a-f]{24}) ([A-Za-z0-9_-]{16})$", re.ASCII)
_STREAM_CURSOR = re.compile(r"^o(\d{1,15}) ([A-Za-z0-9_-]{16})$", re.ASCII)


def encode_list_cursor(signer: Signer, tenant: str, score: float, job_id: str) -> str:
    value = f"{score!r} {job_id}"
    return encode_cursor(f"{value} {signer.tag('list-cursor', tenant, value)}")


def list_cursor(signer: Signer, tenant: str, cursor: str) -> tuple[float, str]:
    """(score, job id) of a cursor issued to `tenant`'s list."""
    m = _LIST_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    if not signer.check("list-cursor", m.group(3), tenant, f"{m.group(1)} {m.group(2)}"):
        raise not_found("cursor")
    return float(m.group(1)), m.group(2)


def encode_stream_cursor(signer: Signer, job_id: str, kind: str, offset: int) -> str:
    return encode_cursor(f"o{offset} {signer.tag('stream-cursor', job_id, kind, str(offset))}")


def stream_cursor(signer: Signer, job_id: str, kind: str, cursor: str) -> int:
    """The offset of a cursor issued for this job's `kind` stream."""
    m = _STREAM_CURSOR.match(decode_cursor(cursor))
    if not m:
        raise bad_field("cursor", "not a cursor this API issued", cursor)
    if not signer.check("stream-cursor", m.group(2), job_id, kind, m.group(1)):
        raise not_found("cursor")
    return int(m.group(1))


def clamp_limit(limit: int | None, default: int, maximum: int, field: str = "limit") -> int:
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise bad_field(field, f"must be between 1 and {maximum}", limit)
    return limit
