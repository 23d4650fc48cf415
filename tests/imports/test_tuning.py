"""The import's SQLite page cache is raised for the import only; searches of the quotas list."""

import pytest

from modoboa_flask import signals
from modoboa_flask.extensions import db
from modoboa_flask.imports.engine import CacheTuning

from .conftest import run

ROWS = "domain;t.org;0;0;True\naccount;u@t.org;{PLAIN}x;;;True;SimpleUsers;u@t.org\n"


def _cache_size():
    return db.session.connection().exec_driver_sql("PRAGMA cache_size").scalar()


def test_cache_size_is_raised_during_the_import_and_restored(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        before = _cache_size()
        db.session.rollback()
    seen = []

    def spy(sender, account, **kw):
        seen.append(_cache_size())

    signals.account_created.connect(spy, sender=app)
    try:
        report = run(app, ROWS)
    finally:
        signals.account_created.disconnect(spy, sender=app)
    assert report.committed and seen == [-CacheTuning.KIB]
    with app.app_context():
        assert _cache_size() == before
