"""The limits plugin's test app: admin limits 2 each, domain limits on at 2 each."""

import pytest

from modoboa_flask.extensions import db
from tests.conftest import _reset_database, make_app
from tests.plugins.limits.world import DOMAIN_DEFAULTS, LIMITS, USER_DEFAULTS


@pytest.fixture
def app():
    """The app with the limits plugin, admin limits 2 each, domain limits on at 2 each."""
    defaults = {"core.rounds_number": 1000, "limits.enable_domain_limits": "yes"}
    app = make_app(PLUGINS=[LIMITS], PARAMETER_DEFAULTS={**defaults, **USER_DEFAULTS,
                                                          **DOMAIN_DEFAULTS})  # fmt: skip
    with app.app_context():
        _reset_database()
        from modoboa_flask.accounts import load_initial_data

        load_initial_data()
    with app.test_request_context():  # FlaskForm tabs need a request
        yield app
        db.session.rollback()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
