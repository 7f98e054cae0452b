"""A small HTTP load generator (aiohttp), used for section 4 when `wrk` is not installed.

C connections each send GET requests back to back until `--requests` in total were
sent or `--seconds` passed, whichever comes first; loopback URLs only. Prints one JSON
line: requests, errors, seconds, rps, p50_ms, p99_ms.

  python -m bench.loadgen --url http://127.0.0.1:8000/v1/jobs/ID --connections 64 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlparse

import aiohttp


async def drive(url: str, connections: int, seconds: float, limit: int, headers: dict[str, str]) -> dict:
    lat: list[float] = []
    errors = 0
    sent = 0
    conn = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:
        start = time.perf_counter()
        deadline = start + seconds

        async def lane() -> None:
            nonlocal errors, sent
            while sent < limit and time.perf_counter() < deadline:
                sent += 1
                t0 = time.perf_counter()
                async with s.get(url) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                lat.append(time.perf_counter() - t0)

        await asyncio.gather(*(lane() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    lat.sort()
    q = lambda p: 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0.0  # noqa: E731
    return {"requests": len(lat), "errors": errors, "seconds": elapsed, "rps": len(lat) / elapsed,
            "p50_ms": q(0.50), "p99_ms": q(0.99)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--requests", type=int, default=500_000)
    ap.add_argument("--header", action="append", default=[])
    args = ap.parse_args()
    host = urlparse(args.url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("loadgen: loopback targets only")
    headers = dict(h.split(": ", 1) for h in args.header)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(drive(args.url, args.connections, args.seconds, args.requests, headers))), flush=True)


if __name__ == "__main__":
    main()
