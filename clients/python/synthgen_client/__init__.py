"""Python SDK for synthgen.

`synthgen_api` is generated from openapi/openapi.json (`make clients`); this package is
the thin layer on top: wait for a job with progress, iterate records across cursors
(sync and async), export to JSONL/Parquet, retries on 429/503 honouring Retry-After,
and problem+json as typed exceptions.
"""

from synthgen_client.client import FINAL, AsyncSynthgenClient, SynthgenClient
from synthgen_client.errors import (
    AuthenticationFailed, Conflict, FieldError, Forbidden, InvalidRequest, NotFound, RateLimited, SynthgenError,
    Unavailable,
)
from synthgen_client.retry import AsyncRetryTransport, RetryPolicy, RetryTransport, retry_after_seconds

__all__ = [
    "FINAL", "AsyncRetryTransport", "AsyncSynthgenClient", "AuthenticationFailed", "Conflict", "FieldError",
    "Forbidden", "InvalidRequest", "NotFound", "RateLimited", "RetryPolicy", "RetryTransport", "SynthgenClient",
    "SynthgenError", "Unavailable", "retry_after_seconds",
]
