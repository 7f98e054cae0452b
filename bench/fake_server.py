"""The benchmark's model server: service.testing.fake_openai with its in-flight meter
served under /_bench.

Every system under test talks to this one process, so it is also the neutral place to
see how each one drives a provider: for the model endpoints (/v1/...) the fake's own
meter (fake_openai.InFlight) records the first and last request times, the peak number
of requests in flight (in all and per model) and the time-averaged number in flight
(the concurrency a client really achieved).

  GET  /_bench/meter   the figures since the last reset
  POST /_bench/reset   start a new measurement window (the fake's config and counters stay)

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
from pathlib import Path

import msgspec
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.testing import fake_openai  # noqa: E402


async def meter_get(request: web.Request) -> web.Response:
    m = request.app[fake_openai.STATE_KEY].inflight.snapshot()
    return web.Response(body=msgspec.json.encode({
        "requests": m["requests"], "errors": m["errors"], "peak_inflight": m["peak"], "mean_inflight": m["mean"],
        "window_seconds": m["window_seconds"], "first_start": m["first_start"], "last_end": m["last_end"],
        "by_model": m["by_model"]}), content_type="application/json")


async def meter_reset(request: web.Request) -> web.Response:
    # A new meter: requests still in flight leave the old one.
    request.app[fake_openai.STATE_KEY].inflight = fake_openai.InFlight()
    return web.Response(body=b"{}", content_type="application/json")


async def serve(latency: float, port: int, ready_file: str | None) -> None:
    app = fake_openai.build_app(fake_openai.FakeState(latency))
    app.router.add_get("/_bench/meter", meter_get)
    app.router.add_post("/_bench/reset", meter_reset)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0,
                           handler_cancellation=True)
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
