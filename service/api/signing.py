"""What the API signs, and how: HMAC-SHA256 under the deployment's signing secret
(SYNTHGEN_SIGNING_SECRET, or the one service/store/keys.py keeps in Redis), with one
derived key per purpose, so a cursor can never pass for a review link or a session.

- `tag`: a short MAC binding a value to its context (a list cursor to the tenant it
  lists, a stream cursor to its job and kind), so a cursor reused by another tenant or
  on another job is refused (404) without a lookup.
- `seal` / `open`: a token carrying a small JSON payload with an expiry (review links,
  review sessions): `<payload b64url>.<mac b64url>`. Nothing in it is secret; it is
  only unforgeable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any

import msgspec
import redis.exceptions

_B64 = base64.urlsafe_b64encode


def _b64(data: bytes) -> str:
    return _B64(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretUnavailable(redis.exceptions.ConnectionError):
    """The signing secret is kept in Redis and Redis has not answered since the API
    started: a 503, like any request that needs Redis."""


class Signer:
    """Tags and sealed tokens under one secret, a derived key per purpose. The secret
    may arrive after start (`secret = ...`): an API started while Redis was down serves
    503s until Redis answers, then signs as usual."""

    def __init__(self, secret: bytes | None):
        self.secret = secret
        self._keys: dict[str, bytes] = {}

    def _key(self, purpose: str) -> bytes:
        if self.secret is None:
            raise SecretUnavailable("the signing secret is not loaded yet (Redis unreachable)")
        key = self._keys.get(purpose)
        if key is None:
            key = self._keys[purpose] = hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()
        return key

    def tag(self, purpose: str, *parts: str) -> str:
        """A MAC of `parts` for `purpose`: 12 bytes (96 bits), 16 url-safe characters."""
        msg = "\x00".join(parts).encode()
        return _b64(hmac.new(self._key(purpose), msg, hashlib.sha256).digest()[:12])

    def short_id(self, purpose: str, value: str) -> str:
        """12 hex digits naming `value` without revealing anything about it (a MAC)."""
        return hmac.new(self._key(purpose), value.encode(), hashlib.sha256).hexdigest()[:12]

    def check(self, purpose: str, tag: str, *parts: str) -> bool:
        return hmac.compare_digest(self.tag(purpose, *parts).encode(), tag.encode())

    def seal(self, purpose: str, payload: dict[str, Any], expires_at: float) -> str:
        body = _b64(msgspec.json.encode({**payload, "exp": round(expires_at, 3)}))
        mac = hmac.new(self._key(purpose), body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def open(self, purpose: str, token: str, now: float | None = None) -> dict[str, Any] | None:
        """The payload of a token sealed for `purpose`, or None (forged, malformed, expired)."""
        body, sep, mac = token.partition(".")
        if not sep or len(token) > 4096:
            return None
        want = hmac.new(self._key(purpose), body.encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(want, _unb64(mac)):
                return None
            payload = msgspec.json.decode(_unb64(body))
        except (binascii.Error, ValueError, msgspec.DecodeError):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), (int, float)):
            return None
        if (now or time.time()) >= payload["exp"]:
            return None
        return payload

