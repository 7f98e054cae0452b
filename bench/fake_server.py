"""The benchmark's model server: service.testing.fake_openai plus an in-flight meter.

Every system under test talks to this one process, so it is also the neutral place to
see how each one drives a provider: for the model endpoints (/v1/...) it records the
first and last request times, the peak number of requests in flight and the
time-averaged number in flight (the concurrency a client really achieved).

  GET  /_bench/meter   the figures since the last reset
  POST /_bench/reset   start a new measurement window

Everything else (latency, faults, /_control/*) is the fake server's own.
  python bench/fake_server.py --latency 0.2 --ready-file /tmp/url
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import msgspec
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.testing import fake_openai  # noqa: E402


class Meter:
    """In-flight accounting for the model endpoints."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.inflight = 0
        self.peak = 0
        self.area = 0.0  # integral of in-flight over time
        self.last = 0.0
        self.first_start: float | None = None
        self.last_end: float | None = None
        self.requests = 0
        self.errors = 0

    def _tick(self, now: float) -> None:
        if self.last:
            self.area += self.inflight * (now - self.last)
        self.last = now

    def enter(self) -> None:
        now = time.monotonic()
        self._tick(now)
        if self.first_start is None:
            self.first_start = now
        self.inflight += 1
        self.requests += 1
        self.peak = max(self.peak, self.inflight)

    def leave(self, ok: bool) -> None:
        now = time.monotonic()
        self._tick(now)
        self.inflight -= 1
        self.last_end = now
        self.errors += not ok

    def snapshot(self) -> dict:
        window = (self.last_end - self.first_start) if self.first_start and self.last_end else 0.0
        # first_start / last_end are time.monotonic() (CLOCK_MONOTONIC, shared by every
        # process on the machine), so a client can line them up with its own clock.
        return {"requests": self.requests, "errors": self.errors, "peak_inflight": self.peak,
                "mean_inflight": (self.area / window) if window > 0 else 0.0, "window_seconds": window,
                "first_start": self.first_start, "last_end": self.last_end}


METER = web.AppKey("bench_meter", Meter)


@web.middleware
async def meter_middleware(request: web.Request, handler):
    if not request.path.startswith("/v1/") or request.method != "POST":
        return await handler(request)
    meter = request.app[METER]
    meter.enter()
    ok = False
    try:
        resp = await handler(request)
        ok = resp.status < 400
        return resp
    finally:
        meter.leave(ok)


async def meter_get(request: web.Request) -> web.Response:
    return web.Response(body=msgspec.json.encode(request.app[METER].snapshot()), content_type="application/json")


async def meter_reset(request: web.Request) -> web.Response:
    request.app[METER].reset()
    return web.Response(body=b"{}", content_type="application/json")


async def serve(latency: float, port: int, ready_file: str | None) -> None:
    app = fake_openai.build_app(fake_openai.FakeState(latency))
    app.middlewares.append(meter_middleware)
    app[METER] = Meter()
    app.router.add_get("/_bench/meter", meter_get)
    app.router.add_post("/_bench/reset", meter_reset)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    await web.SockSite(runner, sock, backlog=4096).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if ready_file:
        tmp = f"{ready_file}.tmp"
        Path(tmp).write_text(url)
        os.replace(tmp, ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.latency, args.port, args.ready_file))
    else:
        uvloop.run(serve(args.latency, args.port, args.ready_file))


if __name__ == "__main__":
    main()
