"""The floor for section 4: a bare Litestar handler returning fixed bytes.

It serves GET /v1/jobs/{job_id} with the exact body synthgen returned for a real job,
with no auth, no Redis and no middleware, under the same server and settings as
`synthgen serve` (uvicorn, log level warning, no access log).

  python -m bench.bare_app --port 8001 --body job.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

from litestar import Litestar, Response, get


def create_app(body: bytes) -> Litestar:
    @get("/v1/jobs/{job_id:str}", sync_to_thread=False)
    def job(job_id: str) -> Response[bytes]:
        return Response(body, media_type="application/json")

    return Litestar(route_handlers=[job], openapi_config=None, debug=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--body", required=True)
    args = ap.parse_args()
    import uvicorn

    uvicorn.run(create_app(Path(args.body).read_bytes()), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
