"""What makes two provider requests the same, for the shared response cache
(store/cache.py has the Redis side; docs/costs.md explains the feature).

A request is identified by the provider's configured name, the model, the endpoint
(chat or raw completion), the messages or the prompt, and every sampling parameter sent
(the seed included), hashed over their canonical JSON (sorted keys): the same request
from any worker, job or run finds the same entry. A job opts in with `cache: true`,
which caches only deterministic requests (temperature 0, or a seed set: the same request
is expected to give the same answer), or `cache: "force"`, which caches every request
(repeats then get the first answer).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec

CacheMode = bool | Literal["force"]
_enc = msgspec.json.Encoder(order="sorted")


def deterministic(params: dict[str, Any]) -> bool:
    """True when the request is expected to give the same answer each time."""
    return params.get("temperature") == 0 or params.get("seed") is not None


def request_hash(provider: str, model: str, endpoint: str, payload: Any, params: dict[str, Any]) -> str:
    """The request's content hash: provider, model, endpoint, messages/prompt, sampling."""
    canonical = _enc.encode({"provider": provider, "model": model, "endpoint": endpoint, "input": payload,
                             "params": params})
    return hashlib.sha256(canonical).hexdigest()


def cacheable(mode: CacheMode, params: dict[str, Any]) -> bool:
    """Whether a job with cache `mode` caches a request sent with `params`."""
    return mode == "force" or (mode is True and deterministic(params))
