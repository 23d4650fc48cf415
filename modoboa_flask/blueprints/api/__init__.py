"""REST API v1 (`/api/v1/`), compatible with Modoboa 1.6's, authenticated by tokens.

The blueprint is named `api` but mounted at `/api/v1` (the one exception to "URL prefix ==
name"); its documentation lives in the separate `api_docs` blueprint (`/api/v1/openapi.json`,
`/docs/api/`). Token requests carry no cookie, so the blueprint is exempt from CSRF.
"""

from flask import Blueprint

from ...extensions import csrf

# cli_group=None: `flask create-api-token`, not `flask api create-api-token`.
bp = Blueprint("api", __name__, cli_group=None)
docs_bp = Blueprint("api_docs", __name__)
csrf.exempt(bp)

from . import auth, errors  # noqa: E402

errors.register(bp)
bp.before_app_request(auth.authenticate)

from . import (  # noqa: E402,F401
    account_views,
    aliases,
    cli,
    dkim,
    dns,
    docs,
    domainaliases,
    domains,
    statistics,
)
