"""Regenerate both SDKs' generated parts from openapi/openapi.json (`make clients`).

The SDK surface is the document minus the operational routes (/metrics, /healthz,
/readyz, /review and its sign-in: for load balancers, Prometheus and reviewers' browsers, not for
callers' code) and the schemas only they use. From that one filtered document:

- clients/python/synthgen_api/   openapi-python-client (--meta none: the package only;
                                 clients/python/pyproject.toml is hand-written)
- clients/typescript/src/schema.d.ts   openapi-typescript (from clients/typescript's
                                 node_modules: `npm ci` there first)

`python clients/generate.py --check` generates into a temporary directory and exits 1
naming every file that differs: CI (tests/test_clients.py) fails when they are stale.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "openapi" / "openapi.json"
PY_OUT = Path("python") / "synthgen_api"
TS_OUT = Path("typescript") / "src" / "schema.d.ts"
OPERATIONAL = ("/metrics", "/healthz", "/readyz", "/review", "/review/session")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        out = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for v in node.values():
            out |= _refs(v)
        return out
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    return set()


def sdk_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without operational routes and the schemas nothing else reaches."""
    doc = json.loads(json.dumps(doc))
    doc["paths"] = {p: v for p, v in doc["paths"].items() if p not in OPERATIONAL}
    schemas = doc.get("components", {}).get("schemas", {})
    keep, todo = set(), _refs(doc["paths"])
    while todo:
        name = todo.pop()
        if name in keep or name not in schemas:
            continue
        keep.add(name)
        todo |= _refs(schemas[name])
    doc["components"]["schemas"] = {k: v for k, v in schemas.items() if k in keep}
    return doc


def generate(out: Path, quiet: bool = False) -> None:
    """Write both generated parts under `out` (a clients/ directory or a scratch copy)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "sdk-openapi.json"
        spec.write_text(json.dumps(sdk_document(json.loads(SOURCE.read_text())), indent=2, sort_keys=True))
        py = out / PY_OUT
        # No --overwrite: a clean directory, so files of removed routes do not linger.
        shutil.rmtree(py, ignore_errors=True)
        py.parent.mkdir(parents=True, exist_ok=True)
        bindir = Path(sys.executable).parent
        # Its post-hooks run `ruff` (a dependency of the generator) from PATH.
        env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", RUFF_NO_CACHE="true")
        subprocess.run([str(bindir / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none",
                        "--config", str(ROOT / "clients" / "python" / "generator.yaml"),
                        "--output-path", str(py)], check=True, env=env,
                       stdout=subprocess.DEVNULL if quiet else None)
        ts = out / TS_OUT
        ts.parent.mkdir(parents=True, exist_ok=True)
        bin_ = ROOT / "clients" / "typescript" / "node_modules" / ".bin" / "openapi-typescript"
        if not bin_.exists():
            sys.exit(f"{bin_} is missing: run `npm ci` in clients/typescript (make clients does)")
        subprocess.run([str(bin_), str(spec), "-o", str(ts)], check=True, capture_output=True)


def _files(base: Path, rel: Path) -> set[Path]:
    p = base / rel
    if p.is_file():
        return {rel}
    return {f.relative_to(base) for f in p.rglob("*") if f.is_file() and not {"__pycache__", ".ruff_cache"} & set(f.parts)}


def stale() -> list[str]:
    """Files whose checked-in copy differs from a fresh generation (empty: up to date)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh, quiet=True)
        here = ROOT / "clients"
        out = []
        for rel in (PY_OUT, TS_OUT):
            for f in sorted(_files(fresh, rel) | _files(here, rel)):
                a, b = fresh / f, here / f
                if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
                    out.append(f"clients/{f}")
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the checked-in clients are stale")
    args = ap.parse_args()
    if args.check:
        diff = stale()
        if diff:
            sys.exit("stale generated clients (run `make clients`):\n  " + "\n  ".join(diff))
        print("generated clients are up to date")
        return
    generate(ROOT / "clients")


if __name__ == "__main__":
    main()
