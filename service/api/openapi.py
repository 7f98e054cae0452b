"""The OpenAPI document, corrected to say what the server does (an SDK generated from
it must validate like the server).

Litestar's generator gets these wrong for this app, fixed here in one pass over its
output, once per process (`install`), and served in place of its own (`Corrected`
wraps each render plugin: Swagger UI and /docs/openapi.json):

- Request bodies: the app decodes every JSON body itself, once (service/api/bodies.py
  `JsonBody`, a route dependency), so Litestar sees no body parameter; each
  operation's requestBody is declared here from its JsonBody: the body's type as
  component references (a union as `oneOf`), required unless the body is optional.
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

import types
import typing
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router
from litestar.routes import HTTPRoute

from service.api.bodies import JsonBody

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REF = "#/components/schemas/{name}"
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
    _, components = msgspec.json.schema_components(types, ref_template=REF)
    return components


def _members(t: Any) -> tuple[Any, ...]:
    return typing.get_args(t) if typing.get_origin(t) in (typing.Union, types.UnionType) else (t,)


def body_schema(t: Any) -> dict[str, Any]:
    """The schema of a body of type `t`: a Struct's reference, or a union's `oneOf`."""
    refs = [{"type": "null"} if m is type(None) else {"$ref": REF.format(name=m.__name__)} for m in _members(t)]
    return refs[0] if len(refs) == 1 else {"oneOf": refs}


def bodies(app: Litestar) -> dict[str, JsonBody]:
    """The JsonBody of each operation that takes one, by operationId."""
    out: dict[str, JsonBody] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for provide in handler.resolve_dependencies().values():
                if isinstance(provide.dependency, JsonBody) and isinstance(handler.operation_id, str):
                    out[handler.operation_id] = provide.dependency
    return out


def correct(doc: dict[str, Any], types: list[Any], bodies: dict[str, JsonBody]) -> dict[str, Any]:
    """Apply the module docstring's corrections to a generated document, in place."""
    ops = {op["operationId"]: op for item in doc.get("paths", {}).values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op}
    body_types = []
    for operation_id, declared in bodies.items():
        ops[operation_id]["requestBody"] = {"content": {"application/json": {"schema": body_schema(declared.type)}},
                                            "required": not declared.optional}
        body_types += [m for m in _members(declared.type) if m is not type(None)]
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(struct_schemas(body_types))  # Litestar saw no body: nothing of them is there yet
    for name, schema in struct_schemas(types).items():
        if name in schemas:
            schemas[name] = schema
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


class Corrected(OpenAPIRenderPlugin):
    """A render plugin that renders the corrected document (set by `install`) where the
    plugin it wraps would render Litestar's own."""

    def __init__(self, inner: OpenAPIRenderPlugin):
        super().__init__(path=inner.paths, media_type=inner.media_type, favicon=inner.favicon, style=inner.style)
        self.inner = inner
        self.document: dict[str, Any] | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return self.inner.render(request, self.document if self.document is not None else openapi_schema)

    def receive_router(self, router: Router) -> None:
        self.inner.receive_router(router)


def install(app: Litestar, types: list[Any]) -> dict[str, Any]:
    """Build the corrected document and make it the one the app serves at /docs."""
    doc = correct(app.openapi_schema.to_schema(), types, bodies(app))
    assert app.openapi_config is not None
    for plugin in app.openapi_config.render_plugins:
        if isinstance(plugin, Corrected):
            plugin.document = doc
    return doc


def document(app: Litestar) -> dict[str, Any]:
    """The document the app serves (after install)."""
    assert app.openapi_config is not None
    for plugin in app.openapi_config.render_plugins:
        if isinstance(plugin, Corrected) and plugin.document is not None:
            return plugin.document
    raise LookupError("service.api.openapi.install has not run on this app")


__all__ = ["Corrected", "body_schema", "bodies", "correct", "document", "install"]
