"""The OpenAPI document, corrected to say what the server does (an SDK generated from
it must validate like the server).

Litestar's generator gets four things wrong for this app, fixed here in one pass over
its output, once per process (`install`):

- Struct schemas: Litestar drops `forbid_unknown_fields` (the server rejects unknown
  fields, so the schema says `additionalProperties: false`) and the constraints of
  nested `Annotated` types (list items, dict keys). msgspec's own JSON Schema of the
  same Structs has both, so every component msgspec can describe is taken from it.
- Errors: every error is application/problem+json (service.api.problems), but
  Litestar's automatic 400 is declared as its own `application/json` shape.
- Status codes: every guarded operation can answer 401, every operation with
  parameters 400, every operation with a body 413 and 422, every job route 503.
- The stored spec (GET .../spec, served as raw bytes) is declared as the job spec it is;
  an optional body is not `required`.
- Security: /healthz, /readyz, /metrics and /review are public; the document's global
  bearer requirement is lifted for them (`security: []`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PUBLIC = frozenset({"healthz", "readyz", "metrics", "reviewPage"})
_TEXT = {400: "Malformed request or parameter (errors name the field or the byte)",
         401: "Missing or unknown API key", 413: "Body larger than the limit",
         422: "Well-formed but invalid body (errors name the fields)",
         503: "Job store unreachable, or every connection busy (Retry-After)"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def _is_litestar_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return "status_code" in schema.get("properties", {})


def struct_schemas(types: list[Any]) -> dict[str, Any]:
    """msgspec's JSON Schema of `types` and everything they reference, by component name."""
    _, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    return components


def correct(doc: dict[str, Any], types: list[Any]) -> dict[str, Any]:
    """Apply the module docstring's corrections to a generated document, in place."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in struct_schemas(types).items():
        if name in schemas:
            schemas[name] = schema
    ops = {op["operationId"]: op for item in doc.get("paths", {}).values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op}
    spec_schema = ops["createJob"]["requestBody"]["content"]["application/json"]["schema"]
    # GET .../spec serves the stored bytes (Response[bytes]); what they hold is a job spec.
    ops["getJobSpec"]["responses"]["200"]["content"] = {"application/json": {"schema": spec_schema}}
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            body = op.get("requestBody")
            if body and {"type": "null"} in body["content"]["application/json"]["schema"].get("oneOf", []):
                body["required"] = False  # an optional body (`data: X | None = None`) may be left out
            responses = op["responses"]
            for code, response in responses.items():
                if _is_litestar_validation(response):
                    responses[code] = _problem(_TEXT.get(int(code), response.get("description", "")))
            if op.get("operationId") in PUBLIC:
                op["security"] = []
            else:
                responses.setdefault("401", _problem(_TEXT[401]))
            if op.get("parameters") or op.get("requestBody"):
                responses.setdefault("400", _problem(_TEXT[400]))
            if path.startswith("/v1/jobs"):
                responses.setdefault("503", _problem(_TEXT[503]))
            if op.get("requestBody"):
                responses.setdefault("413", _problem(_TEXT[413]))
                responses.setdefault("422", _problem(_TEXT[422]))
            op["responses"] = dict(sorted(responses.items()))
    return doc


def install(app: Litestar, types: list[Any]) -> dict[str, Any]:
    """Build the corrected document and make it the one the app serves at /docs."""
    plugin = app.plugins.get(OpenAPIPlugin)
    doc = correct(plugin.provide_openapi().to_schema(), types)
    plugin._openapi_schema = doc  # served by every render plugin; built once, not per request
    return doc


def document(app: Litestar) -> dict[str, Any]:
    """The document the app serves (after install)."""
    return app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
