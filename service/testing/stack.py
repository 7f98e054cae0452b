"""The process stack the end-to-end tests and the benchmarks start: one module, not twins.

Redis (the URL given when it answers, else an embedded redis-server), the fake
OpenAI-compatible server, the API (`synthgen serve --workers 0`) and RQ workers
(`synthgen worker`), all on loopback, as real processes. tests/conftest.py and
bench/common.py build their fixtures and their `Stack` from these parts.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any, Callable, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred: Callable[[], T], timeout: float = 30.0, every: float = 0.05, what: str = "condition",
             ignore: tuple[type[BaseException], ...] = ()) -> T:
    """The first truthy value of `pred()`, polled every `every` seconds; AssertionError
    naming `what` after `timeout`. Exceptions of the `ignore` types count as falsy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value: Any
        try:
            value = pred()
        except ignore:
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_http_ok(url: str, timeout: float = 30.0) -> None:
    wait_for(lambda: http_ok(url), timeout=timeout, what=f"200 from {url}")


def stop_proc(p: subprocess.Popen[Any] | None, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after `timeout`; nothing when already gone."""
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def open_redis(url: str, tmp: Path) -> tuple[str, Any]:
    """(url, embedded server or None): `url` when it answers, else an embedded
    redis-server under `tmp`. The database is flushed either way."""
    import redis

    embedded = None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        from service.store.redis import EmbeddedRedis

        embedded = EmbeddedRedis(str(tmp))
        url = embedded.url
    redis.Redis.from_url(url).flushdb()
    return url, embedded


def start_fake(ready: Path, *args: str, script: str | None = None, port: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """The fake model server (service.testing.fake_openai, or `script`) on `port` (0: a
    free one); (process, base URL) once it listens."""
    cmd = [sys.executable, script] if script else [sys.executable, "-m", "service.testing.fake_openai"]
    proc = subprocess.Popen([*cmd, "--port", str(port), *args, "--ready-file", str(ready)], cwd=ROOT,
                            stdout=subprocess.DEVNULL)
    url = str(wait_for(lambda: ready.exists() and ready.read_text().strip(), what="the fake model server"))
    return proc, url


def synthgen(command: list[str], env: dict[str, str], log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """`synthgen <command>` from this checkout, as a child process."""
    return subprocess.Popen([sys.executable, "-m", "service.cli", *command], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT if log is not None else None)


def start_api(env: dict[str, str], log: IO[bytes] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The API without workers on a free port; (process, URL) once /readyz answers."""
    port = free_port()
    proc = synthgen(["serve", "--workers", "0"], dict(env, SYNTHGEN_PORT=str(port)), log)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{url}/readyz", timeout=60)
    return proc, url
