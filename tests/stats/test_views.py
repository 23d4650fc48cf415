"""Charts, CSV, message index and API: numbers shown, and every view scoped to the actor."""

from datetime import timedelta

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import utcnow
from modoboa_flask.stats import store
from tests import factories
from tests.api.conftest import ApiClient, make_token
from tests.stats import fixtures
from tests.stats.world import make_world


@pytest.fixture
def traffic(app, tmp_path):
    """The fixture log, an hour ago, parsed; ids of the domains, accounts and admins."""
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text_at((utcnow() - timedelta(hours=1)).replace(second=0)))
    with app.app_context():
        ids = make_world()
        ids["admin_other"] = factories.make_user(role="DomainAdmins", username="da@other.test")
        factories.grant_domain(ids["admin_other"], ids["other"])
        ids["admin_example"] = factories.make_user(role="DomainAdmins", username="da@example.com")
        factories.grant_domain(ids["admin_example"], ids["example"])
        ids["outsider"] = factories.make_mailbox(ids["other"], "someone")
        store.parse_logs([str(log)])
        db.session.commit()
    return ids


def _totals(html: str) -> dict:
    import re

    return {k: int(v) for k, v in re.findall(r'data-total="(\w+)">(\d+)<', html)}


def test_domain_chart_shows_its_own_numbers(login, traffic):
    client = login(user_id=traffic["admin_example"])
    page = client.get(f"/stats/chart?domain={traffic['example']}&period=day")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "<html" not in html
    assert _totals(html) == {"sent": 1, "received": 1, "bounced": 1, "rejected": 1,
                             "deferred": 1, "size_sent": 800, "size_received": 1200}  # fmt: skip
    assert 'data-series="bounced"' in html and "stroke-dasharray" in html
    assert "<table" in html and "Download as CSV" in html
    for period, rows in (("week", 168), ("month", 31), ("year", 365)):
        html = client.get(f"/stats/chart?domain={traffic['example']}&period={period}").text
        assert _totals(html)["received"] == 1 and html.count('<th scope="row"') == rows


def test_dashboard_chart_sums_the_actors_domains_only(login, traffic):
    client = login(user_id=traffic["admin_other"])
    assert _totals(client.get("/stats/chart").text)["received"] == 1  # other.test only
    assert _totals(client.get("/stats/chart").text)["sent"] == 0
    superadmin = login()
    assert _totals(superadmin.get("/stats/chart").text)["received"] == 2
    dashboard = superadmin.get("/dashboard/").text
    assert 'hx-get="/stats/chart"' in dashboard and 'hx-trigger="load"' in dashboard


def test_charts_are_scoped(login, traffic):
    client = login(user_id=traffic["admin_other"])
    assert client.get(f"/stats/chart?domain={traffic['example']}").status_code == 404
    assert client.get(f"/stats/chart?account={traffic['user']}").status_code == 404
    assert client.get(f"/stats/traffic.csv?domain={traffic['example']}").status_code == 404
    user = login(user_id=traffic["user"])
    own = user.get(f"/stats/chart?account={traffic['user']}")
    assert own.status_code == 200 and _totals(own.text)["received"] == 1
    assert user.get("/stats/chart").status_code == 403
    assert user.get(f"/stats/chart?domain={traffic['example']}").status_code == 403
    assert user.get(f"/stats/chart?account={traffic['outsider']}").status_code == 404
    assert user.get("/stats/messages").status_code == 403


def test_bad_period_is_a_clear_400(login, traffic):
    response = login().get("/stats/chart?period=decade")
    assert response.status_code == 400 and "Unknown period" in response.text


def test_csv_has_one_row_per_bucket(login, traffic):
    response = login(user_id=traffic["admin_example"]).get(
        f"/stats/traffic.csv?domain={traffic['example']}&period=week"
    )
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="traffic-domain{traffic["example"]}-week.csv"'
    lines = response.text.splitlines()
    assert lines[0] == "start (UTC),sent,received,bounced,rejected,deferred,size_sent,size_received"
    assert len(lines) == 1 + 168
    assert sum(int(line.split(",")[2]) for line in lines[1:]) == 1


def test_pages_include_their_chart(login, traffic):
    admin = login(user_id=traffic["admin_example"])
    detail = admin.get(f"/domains/{traffic['example']}").text
    assert f"/stats/chart?domain={traffic['example']}" in detail
    account = login().get(f"/identities/accounts/{traffic['user']}")
    assert f"/stats/chart?account={traffic['user']}" in account.text
    me = login(user_id=traffic["user"]).get("/user/").text
    assert f"/stats/chart?account={traffic['user']}" in me


def test_message_index_is_searchable_by_the_domains_admins_only(login, traffic):
    example = login(user_id=traffic["admin_example"])
    html = example.get("/stats/messages?q=far@remote").text
    assert html.count('data-status="deferred"') == 2 and html.count('data-status="sent"') == 1
    assert "other@other.test" not in example.get("/stats/messages").text
    other = login(user_id=traffic["admin_other"])
    assert "far@remote.test" not in other.get("/stats/messages?q=far@remote").text
    assert "other@other.test" in other.get("/stats/messages?q=other@").text
    assert "No message found" in login().get("/stats/messages?q=%25").text  # % is literal


def test_api_returns_the_series_within_scope(app, traffic):
    with app.app_context():
        example = ApiClient(app, make_token(traffic["admin_example"]))
        user = ApiClient(app, make_token(traffic["user"]))
    body = example.get("/api/v1/statistics/?domain=example.com&period=week").json
    assert body["domain"] == "example.com" and body["granularity"] == 3600
    assert len(body["series"]) == 168 and body["totals"]["bounced"] == 1
    assert sum(point["received"] for point in body["series"]) == 1
    assert example.get("/api/v1/statistics/?domain=other.test").status_code == 404
    assert example.get("/api/v1/statistics/?domain=nope..test").status_code == 404
    assert example.get("/api/v1/statistics/?period=").status_code == 400
    bad = example.get("/api/v1/statistics/?period=decade")
    assert bad.status_code == 400 and "period" in bad.json
    assert example.get("/api/v1/statistics/").json["totals"]["received"] == 1
    assert user.get("/api/v1/statistics/").status_code == 403


@pytest.mark.parametrize("page", ["99999999999999999999999", "-5", "0", "٣", "abc"])
def test_message_index_page_out_of_range_is_the_first_page(app, client, login, traffic, page):
    """A hand-edited ?page= never reaches the database as an overflowing OFFSET (was a 500)."""
    login(user_id=traffic["admin_example"])
    response = client.get(f"/stats/messages?page={page}")
    assert response.status_code == 200
