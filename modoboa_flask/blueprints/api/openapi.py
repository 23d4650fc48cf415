"""The OpenAPI 3.1 document of /api/v1/, built from the registered operations and schemas."""

from __future__ import annotations

import re

from ... import __version__
from .fields import Nested
from .paging import LIST_HEADERS, PAGING_QUERY
from .registry import OPERATIONS, Operation

_ERROR_TEXT = {
    400: "Invalid input: messages per field (`non_field_errors` for the whole object), or "
    '`{"detail": ...}` for an unreadable body.',
    401: "Missing, malformed, unknown or expired token, or inactive account.",
    403: "The caller's role lacks the permission, the token is read-only, or a rule refuses.",
    404: "No such object, or not visible to the caller.",
    405: "Method not allowed.",
    409: "The object already exists.",
    413: "Request body too large.",
    415: "The body is not JSON.",
    429: "Too many failed authentications from this address.",
}
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Field name -> list of messages (nested objects nest).",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}


def build(server_url: str = "/api/v1") -> dict:
    """Return the whole document."""
    paths: dict = {}
    schemas = {"Detail": _DETAIL, "FieldErrors": _FIELD_ERRORS}
    for op in OPERATIONS:
        path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "modoboa_flask API",
            "version": __version__,
            "description": "Modoboa 1.6 compatible REST API. Authenticate with the header "
            "`Authorization: Token <key>`; create a key under Settings > API or with "
            "`flask create-api-token USERNAME`. Lists are bare arrays; add `page` and "
            "`page_size` to page them (total in `X-Total-Count`, neighbours in `Link`).",
        },
        "servers": [{"url": server_url}],
        "security": [{"TokenAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "TokenAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": 'The value is "Token " followed by the key.',
                }
            },
        },
    }


def _operation(op: Operation, schemas: dict) -> dict:
    spec: dict = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z]+', '_', op.rule.lower()).strip('_')}",
        "parameters": _parameters(op),
        "responses": {},
    }
    if op.description:
        spec["description"] = op.description
    if op.body is not None:
        name = f"{op.body.name}{'Update' if op.update else 'Create'}"
        schemas[name] = op.body.openapi(request=True, update=op.update)
        _nested(op.body, schemas)
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    spec["responses"][str(op.status)] = _success(op, schemas)
    for code in op.errors:
        body = {"$ref": "#/components/schemas/Detail"}
        if code == 400:
            body = {"anyOf": [{"$ref": "#/components/schemas/FieldErrors"}, body]}
        spec["responses"][str(code)] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": body}},
        }
    return spec


def _parameters(op: Operation) -> list:
    params = []
    for name in re.findall(r"<(?:int:)?(\w+)>", op.rule):
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": "integer"}})
    query = list(op.query) + (PAGING_QUERY if op.paged else [])
    for name, schema, required, description in query:
        params.append(
            {
                "name": name,
                "in": "query",
                "required": required,
                "schema": schema,
                "description": description,
            }
        )
    return params


def _success(op: Operation, schemas: dict) -> dict:
    if op.response is None:
        return {"description": "Done (empty body)."}
    schemas[op.response.name] = op.response.openapi()
    _nested(op.response, schemas)
    ref = {"$ref": f"#/components/schemas/{op.response.name}"}
    out = {
        "description": "OK",
        "content": {
            "application/json": {"schema": {"type": "array", "items": ref} if op.many else ref}
        },
    }
    if op.many:
        out["headers"] = LIST_HEADERS
    return out


def _nested(schema, schemas: dict) -> None:
    """Nested objects: one component serves requests and responses (output is a superset)."""
    for spec in schema.fields.values():
        if isinstance(spec, Nested):
            schemas[spec.schema_obj.name] = spec.schema_obj.openapi(request=True)
