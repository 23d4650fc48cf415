"""The OpenAPI document and the browsable documentation page (vendored swagger-ui).

Both are public: they describe the API (which is open source), never anyone's data, and a
client needs the document before it has a token.
"""

from flask import render_template, request

from ...permissions import public
from . import docs_bp
from .errors import json_response
from .openapi import build


@docs_bp.get("/api/v1/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document of /api/v1/."""
    return json_response(build(request.script_root + "/api/v1"))


@docs_bp.get("/docs/api/")
@public
def index():
    """Swagger UI over the document; works offline (assets vendored, no inline script)."""
    return render_template("api/docs.html")
