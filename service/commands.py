"""The client commands of `synthgen`, for an ML engineer at a terminal or a script.

    synthgen submit SPEC.yaml [--set generator.provider=teacher] [--wait]   # YAML or JSON, - for stdin
    synthgen status JOB | list [--status S] | cancel JOB
    synthgen tail JOB [--rejects] [--no-follow]       # NDJSON lines on stdout
    synthgen export JOB --format parquet|jsonl|hf [--output-format openai] [-o FILE]
    synthgen delete JOB
    synthgen recipes | providers

They call the API through the Python SDK (clients/python); `--url` / $SYNTHGEN_URL and
`--key` / $SYNTHGEN_KEY (default: the embedded key under the state dir). `--json` prints
the API's JSON instead of text, for scripts. `export` writes JSONL or Parquet client-side
from the records stream (pyarrow for Parquet; it follows a running job to its end);
`--format hf` (a tar of the Hugging Face dataset layout with its card) and
`--output-format` download the server-side export (GET /v1/jobs/{id}/export;
docs/datasets.md).

Exit codes (a script can rely on them):

| code | meaning |
|---|---|
| 0 | done; with --wait, the job succeeded |
| 1 | with --wait (or export of a finished job), the job ended `failed` |
| 2 | bad usage or input: unreadable spec, a 400/413/415/422 from the API (the field is named) |
| 3 | with --wait, the job ended `cancelled` |
| 4 | no such job (404) |
| 5 | the API is unreachable, or 429/503 after the retries |
| 6 | the API key was refused (401), or its role does not allow the command (403) |
| 7 | conflict: e.g. cancel of a job already final (409) |
| 130 | interrupted (Ctrl-C): the job itself keeps running |
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from service import settings as settings_mod
from service.extras import MissingExtra, require

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 3
EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_AUTH, EXIT_CONFLICT, EXIT_INTERRUPTED = 4, 5, 6, 7, 130
JOB_EXIT = {"succeeded": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}


class Exit(Exception):
    """End the command with `code`, printing `message` to stderr."""

    def __init__(self, code: int, message: str = ""):
        super().__init__(message)
        self.code = code


def _sdk() -> Any:
    try:
        import synthgen_client
    except ImportError:
        raise Exit(EXIT_USAGE, "the client commands need the Python SDK: pip install ./clients/python") from None
    return synthgen_client


def _client(args: argparse.Namespace) -> Any:
    key = args.key or os.environ.get("SYNTHGEN_KEY")
    if not key:
        path = Path(settings_mod.from_env().state_dir) / "api-key"
        if not path.exists():
            raise Exit(EXIT_AUTH, f"no API key: pass --key, set SYNTHGEN_KEY, or run `synthgen serve` here ({path})")
        key = path.read_text().strip()
    return _sdk().SynthgenClient(args.url, key)


def _out(args: argparse.Namespace, data: Any, text: Callable[[], None]) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        text()


def _console() -> Any:
    # markup=False: job errors and recipe summaries hold brackets ("synthgen[local]").
    return require("cli", "rich", "the synthgen client commands").console.Console(highlight=False, markup=False)


def set_path(spec: dict[str, Any], assignment: str) -> None:
    """Apply `a.b.c=VALUE` to spec (VALUE parsed as YAML: 3, true, [x, y], text)."""
    yaml = require("cli", "yaml", "--set")
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise Exit(EXIT_USAGE, f"--set {assignment!r}: expected KEY=VALUE, e.g. generator.provider=teacher")
    node = spec
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise Exit(EXIT_USAGE, f"--set {path}: {part} is not an object in the spec")
    node[last] = yaml.safe_load(raw)


def load_spec(source: str, sets: list[str]) -> dict[str, Any]:
    """A spec from a YAML or JSON file (JSON is YAML), or stdin for `-`."""
    yaml = require("cli", "yaml", "reading YAML specs")
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        spec = yaml.safe_load(text)
    except OSError as exc:
        raise Exit(EXIT_USAGE, f"{source}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise Exit(EXIT_USAGE, f"{source}: not YAML or JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise Exit(EXIT_USAGE, f"{source}: a job spec is an object (recipe, generator, params, ...)")
    for s in sets:
        set_path(spec, s)
    return spec


def _wait(c: Any, args: argparse.Namespace, job_id: str) -> dict[str, Any]:
    if args.json:
        return c.wait(job_id, interval=args.interval)
    from service.livebar import LiveBar

    with LiveBar(_console()) as bar:
        job = c.wait(job_id, on_progress=bar, interval=args.interval)
        bar.finish(job)
    return job


def submit(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, args.set or [])
    with _client(args) as c:
        job = c.submit(spec, idempotency_key=args.idempotency_key)
        if not args.wait:
            _out(args, job, lambda: print(job["id"]))
            return EXIT_OK
        if not args.json:
            print(f"job {job['id']} {job['status']} ({job['recipe']})", flush=True)
        job = _wait(c, args, job["id"])
        if args.json:
            print(json.dumps(job, ensure_ascii=False))
        return JOB_EXIT.get(job["status"], EXIT_FAILED)


def status(args: argparse.Namespace) -> int:
    from service.livebar import summary

    with _client(args) as c:
        job = c.get(args.job)
    _out(args, job, lambda: print(summary(job, _elapsed(job))))
    return EXIT_OK


def _elapsed(job: dict[str, Any]) -> float:
    from datetime import datetime, timezone

    start = job.get("started_at") or job["created_at"]
    end = job.get("finished_at")
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(end.replace("Z", "+00:00")) if end else datetime.now(timezone.utc)
    return max(0.0, (t1 - t0).total_seconds())


def list_jobs(args: argparse.Namespace) -> int:
    with _client(args) as c:
        page = c.list(status=args.status, limit=args.limit)

    def table() -> None:
        rich_table = require("cli", "rich", "synthgen list").table
        t = rich_table.Table("id", "recipe", "status", "kept/target", "rejected", "created")
        for j in page["data"]:
            p = j["progress"]
            t.add_row(j["id"], j["recipe"], j["status"], f"{p['kept']}/{p['target'] if p['target'] is not None else '?'}",
                      str(p["rejected"]), j["created_at"])
        _console().print(t)

    _out(args, page, table)
    return EXIT_OK


def cancel(args: argparse.Namespace) -> int:
    with _client(args) as c:
        job = c.cancel(args.job)
    _out(args, job, lambda: print(f"job {job['id']} {job['status']}"))
    return EXIT_OK


def tail(args: argparse.Namespace) -> int:
    with _client(args) as c:
        stream = c.rejects if args.rejects else c.records
        for line in stream(args.job, follow=not args.no_follow):
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    return EXIT_OK


def export(args: argparse.Namespace) -> int:
    if args.format == "hf" or args.output_format:  # the server-side export (GET .../export)
        path = Path(args.output or f"{args.job}.{'tar' if args.format == 'hf' else args.format}")
        partial = path.with_name(f".{path.name}.partial")
        with _client(args) as c:
            job = c.get(args.job)
            size = c.download(args.job, partial, format=args.format, output=args.output_format)
        partial.replace(path)
        n = job["progress"]["kept"]
        _out(args, {"job": args.job, "path": str(path), "format": args.format, "records": n, "bytes": size,
                    "status": job["status"]},
             lambda: print(f"wrote {n} records of job {args.job} ({job['status']}) to {path} ({size} bytes)"))
        return EXIT_FAILED if job["status"] == "failed" else EXIT_OK
    if args.format == "parquet":
        require("cli", "pyarrow", "export --format parquet")
    path = Path(args.output or f"{args.job}.{args.format}")
    with _client(args) as c:
        n = c.export(args.job, path, format=args.format)
        job = c.get(args.job)
    _out(args, {"job": args.job, "path": str(path), "format": args.format, "records": n, "status": job["status"]},
         lambda: print(f"wrote {n} records of job {args.job} ({job['status']}) to {path}"))
    return EXIT_FAILED if job["status"] == "failed" else EXIT_OK


def delete(args: argparse.Namespace) -> int:
    with _client(args) as c:
        c.delete(args.job)
    _out(args, {"job": args.job, "deleted": True}, lambda: print(f"job {args.job} deleted"))
    return EXIT_OK


def recipes(args: argparse.Namespace) -> int:
    with _client(args) as c:
        data = c.recipes()

    def table() -> None:
        t = require("cli", "rich", "synthgen recipes").table.Table("recipe", "what it makes", "raw completion")
        for r in data["data"]:
            t.add_row(r["name"], r["summary"], r["raw_completion"])
        _console().print(t)

    _out(args, data, table)
    return EXIT_OK


def providers(args: argparse.Namespace) -> int:
    with _client(args) as c:
        data = c.providers()

    def table() -> None:
        t = require("cli", "rich", "synthgen providers").table.Table("provider", "kind", "models", "raw", "licence")
        for p in data["data"]:
            t.add_row(p["name"], p["kind"], ", ".join(p["models"]), "yes" if p["supports_raw"] else "no", p["licence"])
        _console().print(t)

    _out(args, data, table)
    return EXIT_OK


def compare(args: argparse.Namespace) -> int:
    with _client(args) as c:
        data = c.compare(args.a, args.b)

    def text() -> None:
        ident = data["model_identity"]
        print(f"a {args.a}: {data['a']['records']} records, models {', '.join(ident['a']) or '-'}")
        print(f"b {args.b}: {data['b']['records']} records, models {', '.join(ident['b']) or '-'}")
        for name, d in data["differences"].items():
            change = f"{d['change'] * 100:+.1f}%" if d["change"] is not None else ""
            print(f"  {name:32} {d['a']!s:>10} -> {d['b']!s:<10} {change}")
        print("flags: " + ("; ".join(data["flags"]) if data["flags"] else "none"))

    _out(args, data, text)
    return EXIT_OK


def add_commands(sub: Any) -> None:
    """Register the client commands on the `synthgen` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("SYNTHGEN_URL", "http://127.0.0.1:8000"),
                        help="API base URL (default: $SYNTHGEN_URL or http://127.0.0.1:8000)")
    common.add_argument("--key", default=None, help="API key (default: $SYNTHGEN_KEY or the embedded key)")
    common.add_argument("--json", action="store_true", help="print the API's JSON (for scripts)")

    def cmd(name: str, fn: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help)
        p.set_defaults(fn=lambda a: sys.exit(run(fn, a)))
        return p

    p = cmd("submit", submit, "submit a job spec (YAML or JSON file, or - for stdin)")
    p.add_argument("spec")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a spec field, e.g. target=50")
    p.add_argument("--idempotency-key", default=None, help="resubmitting with the same key returns the same job")
    p.add_argument("--wait", action="store_true", help="show a live progress bar until the job ends")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls while waiting")
    p = cmd("status", status, "a job's status and progress")
    p.add_argument("job")
    p = cmd("list", list_jobs, "the tenant's jobs, newest first")
    p.add_argument("--status", default=None, choices=["queued", "running", "succeeded", "failed", "cancelling", "cancelled"])
    p.add_argument("--limit", type=int, default=20)
    p = cmd("cancel", cancel, "cancel a job (it keeps what it made)")
    p.add_argument("job")
    p = cmd("tail", tail, "print a job's records (NDJSON), following it until it ends")
    p.add_argument("job")
    p.add_argument("--rejects", action="store_true", help="the rejects instead of the records")
    p.add_argument("--no-follow", action="store_true", help="print what exists now and exit")
    p = cmd("export", export, "download a job's records: JSONL, Parquet, or a Hugging Face layout (tar)")
    p.add_argument("job")
    p.add_argument("--format", choices=["jsonl", "parquet", "hf"], default="jsonl")
    p.add_argument("--output-format", default=None, choices=["native", "openai", "sharegpt", "alpaca", "preference"],
                   help="reshape records into this output format (default: as stored)")
    p.add_argument("-o", "--output", default=None, help="file to write (default: JOB.FORMAT, JOB.tar for hf)")
    p = cmd("delete", delete, "delete a finished job and everything it made")
    p.add_argument("job")
    p = cmd("compare", compare, "two jobs' reports side by side: what changed, with flags (b against a)")
    p.add_argument("a", help="the baseline job's id")
    p.add_argument("b", help="the job compared to it")
    cmd("recipes", recipes, "the recipes this server runs")
    cmd("providers", providers, "the providers configured on the server")


def run(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command, turning the SDK's errors into a message and an exit code."""
    try:
        return fn(args)
    except KeyboardInterrupt:
        print("\ninterrupted (the job keeps running on the server)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exit as exc:
        if str(exc):
            print(f"synthgen: {exc}", file=sys.stderr)
        return exc.code
    except MissingExtra as exc:
        print(f"synthgen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        code, message = _classify(exc)
        if code is None:
            raise
        print(f"synthgen: {message}", file=sys.stderr)
        return code


def _classify(exc: Exception) -> tuple[int | None, str]:
    import httpx

    sdk = _sdk()
    if isinstance(exc, sdk.SynthgenError):
        code = {400: EXIT_USAGE, 413: EXIT_USAGE, 415: EXIT_USAGE, 422: EXIT_USAGE, 401: EXIT_AUTH, 403: EXIT_AUTH,
                404: EXIT_NOT_FOUND, 409: EXIT_CONFLICT}.get(exc.status, EXIT_UNAVAILABLE)
        fields = "".join(f"\n  {e.field}: {e.message}" for e in exc.errors)
        return code, f"{exc.status} {exc}{fields}"
    if isinstance(exc, httpx.TransportError):
        return EXIT_UNAVAILABLE, f"cannot reach the API: {exc}"
    return None, ""
