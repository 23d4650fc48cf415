"""The quota pool rule through the CSV import (batched and row by row)."""

import pytest

from tests.quota_pool_world import make_pool, quotas

from .conftest import messages, run


# --- import -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_import_pool_binds_super_admins(app, fast):
    pool = make_pool(app)
    line = "account;c@pool.com;{PLAIN}x;;;True;SimpleUsers;c@pool.com;10\n"
    report = run(app, line, fast=fast)
    assert not report.committed
    assert "what is left of the domain pool (0M of 1000M)" in messages(report, "error")[1]
    assert "c" not in quotas(app, pool)
