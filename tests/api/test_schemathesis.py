"""Property-based run of schemathesis against /api/v1/openapi.json: no 5xx, no response
that contradicts the document, and invalid input refused (negative cases)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from modoboa_flask.extensions import db
from modoboa_flask.models import User
from tests import factories
from tests.api.conftest import make_token

pytestmark = pytest.mark.slow
EXCLUDED = [
    # Schema-valid data can still break a business rule (unknown domain, weak password...).
    schemathesis.checks.positive_data_acceptance,
    # Stateful checks need links between operations, which the document does not declare.
    schemathesis.checks.use_after_free,
    schemathesis.checks.ensure_resource_availability,
]


@pytest.fixture
def api_schema(app, world):
    """The document served by the app, loaded the way a client would load it."""
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        factories.make_domain("c.test", quota=0)
        key = make_token(admin.id)
    # Exceptions must come back as 500 responses (a failed check), like in production.
    app.config["PROPAGATE_TEST_ERRORS"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["LOGIN_THROTTLE_ATTEMPTS"] = 10_000  # probes without a token are no attack
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, {"Authorization": f"Token {key}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_document(api_schema, mode):
    schema, headers = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 26
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(excluded_checks=EXCLUDED)

        run()
