"""Provider text is untrusted: redact secrets from it before it is kept or shown.

A provider (or a gateway in front of it) may echo what it was sent: "Incorrect API key
provided: sk-..." in a 400 body, a key in an error page, a prompt that carried one.
Whatever synthgen takes from a provider answer into a record, a reject, a job error,
a log line or a metric passes through `redact` first:

- every configured secret value (the env vars named by the providers' `api_key_env`
  and SYNTHGEN_EMBEDDINGS_KEY_ENV, read in this process) is replaced wherever it
  appears, and so is
- anything shaped like a bearer key (`sk-...`, `hf_...`, `Bearer ...`, AWS key ids,
  synthgen's own `sgk_...` API keys), configured or not: a gateway may hold a key
  synthgen never saw.

The service's own secrets (SYNTHGEN_SIGNING_SECRET, SYNTHGEN_METRICS_TOKEN) are
configured values too.

Raw provider bodies are never stored whole: `snippet` keeps a short, single-line,
redacted excerpt (SNIPPET_CHARS) for error messages.

Where it is applied, once each: ProviderError (every provider failure message), the
completion text a recipe receives (RecipeContext._call), a failed job's problem detail
(worker), and a logging filter on every handler (cli).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Iterable, Mapping

MARK = "[redacted]"
# Long enough to say what a provider answered, short enough that a body cannot be stored.
SNIPPET_CHARS = 160
# Shorter values are not redacted as secrets: "abc" would blank every word holding it.
MIN_SECRET_CHARS = 8

# Bearer-shaped keys: OpenAI/Anthropic style (sk-, sk-proj-, rk-, pk-), Hugging Face,
# Groq, xAI, GitHub, GitLab tokens, AWS access key ids, and any "Bearer <token>".
SHAPES = (
    r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}",
    r"\b(?:hf|gsk|xai|ghp|gho|ghs|github_pat|glpat)[_-][A-Za-z0-9_\-]{8,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bsgk_[0-9a-f]{12}_[A-Za-z0-9_\-]{20,}",
    r"\b[Bb][Ee][Aa][Rr][Ee][Rr]\s+[A-Za-z0-9._~+/=\-]{8,}",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class Redactor:
    """Replaces the given secret values and bearer-shaped keys with MARK."""

    def __init__(self, secrets: Iterable[str] = ()):
        values = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        parts = [re.escape(v) for v in values] + list(SHAPES)
        self._re = re.compile("|".join(f"(?:{p})" for p in parts))

    def __call__(self, text: str) -> str:
        return self._re.sub(MARK, text) if text else text

    def snippet(self, raw: bytes | str, limit: int = SNIPPET_CHARS) -> str:
        """A short one-line excerpt of a provider body, redacted before it is cut (so a
        key straddling the cut cannot survive half-redacted)."""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        text = self(_CONTROL.sub(" ", text[: limit * 8])).strip()
        return text if len(text) <= limit else text[:limit].rstrip() + "..."


def configured_secrets(key_envs: Iterable[str | None], env: dict[str, str] | None = None) -> list[str]:
    """The values of the env vars that hold provider keys, as this process sees them."""
    seen: Mapping[str, str] = os.environ if env is None else env
    return [seen[name] for name in key_envs if name and seen.get(name)]


_current = Redactor()


def configure(secrets: Iterable[str]) -> Redactor:
    """Set the process's redactor (API and worker start-up, from the provider config)."""
    global _current
    _current = Redactor(secrets)
    return _current


def configure_process(registry: object, settings: object) -> Redactor:
    """configure() from a Registry and Settings: every provider's key and the embedder's."""
    # Only some provider kinds carry a key (service.providers.registry.KINDS).
    envs = [getattr(c, "api_key_env", None) for c in getattr(registry, "configs", {}).values()]
    envs.append(getattr(settings, "embeddings_key_env", None))
    own = [getattr(settings, name, None) for name in ("signing_secret", "metrics_token", "hf_token")]
    return configure([*configured_secrets(envs), *(v for v in own if v)])


def redact(text: str) -> str:
    return _current(text)


def snippet(raw: bytes | str, limit: int = SNIPPET_CHARS) -> str:
    return _current.snippet(raw, limit)


class LogFilter(logging.Filter):
    """Redacts every log record's formatted message (and drops its args) before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def install_log_filter() -> None:
    """Attach LogFilter to every handler of the root logger (call after basicConfig)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LogFilter) for f in handler.filters):
            handler.addFilter(LogFilter())
