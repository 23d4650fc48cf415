"""An administrator reads the traffic charts: dashboard, period switch, domain page, table."""

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import utcnow
from modoboa_flask.stats import store
from tests.browser.conftest import log_in
from tests.stats import fixtures
from tests.stats.world import make_world

pytestmark = pytest.mark.browser


def test_charts_render_and_switch_period_without_console_errors(page, live_app):
    with tempfile.TemporaryDirectory() as tmp, live_app.app_context():
        log = Path(tmp) / "mail.log"
        log.write_text(fixtures.text_at((utcnow() - timedelta(hours=1)).replace(second=0)))
        ids = make_world()
        store.parse_logs([str(log)])
        db.session.commit()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page)
    page.wait_for_url("**/dashboard/")

    # The chart replaces its placeholder once loaded: SVG, totals, legend.
    chart = page.locator(".stats-chart[data-period='day']")
    chart.locator("svg.stats-svg").wait_for()
    assert chart.locator("[data-total='received']").inner_text() == "2"
    assert chart.locator("g[data-series]").count() == 5
    assert "Bounced" in chart.locator(".stats-legend").inner_text()

    # Another period swaps the chart in place.
    chart.locator("text=Week").click()
    week = page.locator(".stats-chart[data-period='week']")
    week.locator("svg.stats-svg").wait_for()
    assert week.locator("a[aria-current]").inner_text() == "Week"

    # The domain page has its own chart, with the numbers as a table.
    page.goto(f"/domains/{ids['example']}")
    domain_chart = page.locator(".stats-chart[data-period='day']")
    domain_chart.locator("svg.stats-svg").wait_for()
    assert domain_chart.locator("[data-total='bounced']").inner_text() == "1"
    domain_chart.locator("summary").click()
    table = domain_chart.locator("table.stats-table")
    table.wait_for(state="visible")
    assert table.locator("tbody tr").count() == 288
    assert errors == []
