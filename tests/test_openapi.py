"""openapi/openapi.json is generated from the app; this fails when they drift."""

from __future__ import annotations

import json
from pathlib import Path

from service.api.app import create_app
from service.api.openapi import document
from service.settings import from_env

ROOT = Path(__file__).resolve().parents[1]


def test_checked_in_openapi_matches_the_app() -> None:
    app = create_app(from_env({"SYNTHGEN_REDIS_URL": "redis://127.0.0.1:6379/0"}))
    generated = json.loads(json.dumps(document(app), sort_keys=True))
    checked_in = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert generated == checked_in, "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_every_operation_has_an_explicit_operation_id() -> None:
    doc = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) >= 10
    assert {"createJob", "listJobs", "getJob", "cancelJob", "listJobRecords", "listJobRejects"} <= set(ids)
