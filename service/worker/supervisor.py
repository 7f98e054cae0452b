"""Supervision of the worker processes `synthgen serve` starts (embedded mode).

Each worker is a child process. The supervisor thread waits on them; when one exits it
logs the death with its exit status or signal, records it in `sg:workers:exits` (so the
reaper can name the cause when it fails a poison job: `killed by SIGSEGV`), and starts
a replacement after a backoff that doubles while workers die young (a worker that
crashes at start must not spin the CPU) and resets once one stays up a while.

Workers get PR_SET_PDEATHSIG (SIGKILL) on Linux: if `serve` itself is killed (even
`kill -9`), its workers die with it instead of lingering as orphans beside the next
`serve`; their jobs resume from the lease like any other worker death.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading
import time
from typing import Callable

from service import defaults
from service.store.queue import record_exit
from service.store.redis import sync_client
from service.worker.process import worker_id

log = logging.getLogger("synthgen.supervisor")


def describe_exit(code: int) -> str:
    """'killed by SIGSEGV' or 'exited with status 1' from a Popen returncode."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Supervisor:
    """Keeps `n` worker processes alive. See the module docstring."""

    def __init__(self, n: int, env: dict[str, str], redis_url: str,
                 command: list[str] | None = None, clock: Callable[[], float] = time.monotonic):
        self.n = n
        self.env = env
        self.command = command or [sys.executable, "-m", "service.cli", "worker"]
        self._redis = sync_client(redis_url)
        self._clock = clock
        self._stop = threading.Event()
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self._started = [0.0] * n
        self._backoff = [defaults.WORKER_RESTART_SECONDS] * n
        self._due = [0.0] * n
        self.deaths = 0
        self._thread = threading.Thread(target=self._loop, daemon=True, name="supervisor")

    def start(self) -> None:
        # Spawned from the supervisor thread only: PDEATHSIG fires when the *thread*
        # that forked the child exits, and this one lives as long as `serve`.
        self._thread.start()

    def _spawn(self, slot: int) -> None:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self.procs[slot] = subprocess.Popen(self.command, env=self.env, preexec_fn=preexec)
        self._started[slot] = self._clock()

    def _reap(self, slot: int, proc: subprocess.Popen[bytes], code: int) -> None:
        how = describe_exit(code)
        self.deaths += 1
        lived = self._clock() - self._started[slot]
        if lived >= defaults.WORKER_HEALTHY_SECONDS:
            self._backoff[slot] = defaults.WORKER_RESTART_SECONDS
        wait = self._backoff[slot]
        self._backoff[slot] = min(wait * 2, defaults.WORKER_MAX_RESTART_SECONDS)
        log.error("worker pid %d %s after %.1f s; restarting it in %.1f s", proc.pid, how, lived, wait)
        try:
            record_exit(self._redis, worker_id(proc.pid), how)
        except Exception:  # Redis down: the reaper says "no supervisor saw how it ended"
            log.warning("could not record the exit of worker pid %d", proc.pid)
        self.procs[slot] = None
        self._due[slot] = self._clock() + wait

    def _loop(self) -> None:
        for slot in range(self.n):
            self._spawn(slot)
        while not self._stop.is_set():
            for slot, proc in enumerate(self.procs):
                if proc is None:
                    if self._clock() >= self._due[slot] and not self._stop.is_set():
                        self._spawn(slot)
                elif (code := proc.poll()) is not None:
                    self._reap(slot, proc, code)
            self._stop.wait(0.1)
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(20)
