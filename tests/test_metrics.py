"""`/metrics` (Prometheus text, token or allow-list) and `/healthz`'s migrations check."""

import re
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from modoboa_flask import metrics
from modoboa_flask.extensions import db, migrate
from modoboa_flask.models import DomainCheck, MailboxOperation
from tests import factories
from tests.migrated import migrated_app

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def scrape(app):
    """GET /metrics with the token configured; return the body."""
    app.config["METRICS_TOKEN"] = TOKEN

    def _scrape():
        response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert response.headers["Cache-Control"] == "no-store"
        return response.get_data(as_text=True)

    return _scrape


def _value(body: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", body, re.M)
    assert match, f"{series} not in\n{body}"
    return float(match.group(1))


def test_metrics_are_off_until_a_token_or_an_allow_list_is_set(app):
    assert app.test_client().get("/metrics").status_code == 404


def test_the_token_is_required(app):
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_an_allow_list_admits_addresses_and_networks(app):
    client = app.test_client()  # the test client's address is 127.0.0.1
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8", "::1"]
    assert client.get("/metrics").status_code == 403
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8", "127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_overrides=remote).status_code == 200


def test_requests_are_counted_by_endpoint_never_by_path(app, scrape, login):
    metrics.REQUESTS.__init__()  # counters are per process: start this test from zero
    client = login()
    with app.app_context():
        domain = factories.make_domain("metrics.test")
    client.get(f"/domains/{domain}/edit")
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page/4242")
    body = scrape()
    healthz = 'modoboa_http_requests_total{endpoint="healthz",method="GET",status="200"}'
    assert _value(body, healthz) == 2
    assert (
        _value(body, 'modoboa_http_requests_total{endpoint="unmatched",method="GET",status="404"}')
        == 1
    )
    assert "metrics.test" not in body and "4242" not in body and f"/{domain}/" not in body
    bucket = 'modoboa_http_request_duration_seconds_bucket{endpoint="healthz",le="+Inf"}'
    assert _value(body, bucket) == 2
    assert _value(body, 'modoboa_http_request_duration_seconds_count{endpoint="healthz"}') == 2
    assert "# TYPE modoboa_http_request_duration_seconds histogram" in body


def test_objects_operations_and_job_runs_come_from_the_database(app, scrape):
    with app.app_context():
        domain = factories.make_domain("one.test")
        factories.make_domain("two.test")
        factories.make_mailbox(domain, "user")
        db.session.add(MailboxOperation(type="delete", argument="/srv/vmail/one.test/x"))
        db.session.add(MailboxOperation(type="delete", argument="/srv/x", last_error="denied"))
        db.session.commit()
    body = scrape()
    assert _value(body, 'modoboa_objects{type="domains"}') == 2
    assert _value(body, 'modoboa_objects{type="mailboxes"}') == 1
    assert _value(body, 'modoboa_mailbox_operations_pending{state="queued"}') == 1
    assert _value(body, 'modoboa_mailbox_operations_pending{state="failed"}') == 1
    assert _value(body, 'modoboa_job_last_run_timestamp_seconds{job="cleanup"}') == 0
    runner = app.test_cli_runner()
    assert runner.invoke(args=["cleanup", "--dry-run"]).exit_code == 0
    assert _value(scrape(), 'modoboa_job_last_run_timestamp_seconds{job="cleanup"}') == 0
    assert runner.invoke(args=["cleanup"]).exit_code == 0
    assert _value(scrape(), 'modoboa_job_last_run_timestamp_seconds{job="cleanup"}') > 1.7e9
    assert _value(body, 'modoboa_job_last_run_timestamp_seconds{job="check-mx"}') == 0
    with app.app_context():
        db.session.add(DomainCheck(domain_id=domain, check="mx", checked_at=datetime(2026, 1, 2)))
        db.session.commit()
    stamp = datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    assert _value(scrape(), 'modoboa_job_last_run_timestamp_seconds{job="check-mx"}') == stamp


def test_healthz_fails_while_migrations_are_pending():
    with migrated_app(HEALTHZ_CHECK_MIGRATIONS=True) as app:
        client = app.test_client()
        response = client.get("/healthz")
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
        with app.app_context():
            command.stamp(migrate.get_config(), "0001")
        response = client.get("/healthz")
        assert (response.status_code, response.get_json()) == (
            503,
            {"status": "migrations pending"},
        )
        assert response.headers["Cache-Control"] == "no-store"
        with app.app_context():
            db.session.execute(text("DROP TABLE alembic_version"))
            db.session.commit()
        assert client.get("/healthz").status_code == 503  # never migrated


def test_behind_a_proxy_the_allow_list_sees_the_client_not_the_proxy():
    from tests.conftest import make_app

    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    for hops, allowed in ((0, 403), (1, 200)):
        app = make_app(TRUSTED_PROXIES=hops, METRICS_ALLOW=["203.0.113.0/24"])
        with app.app_context():
            db.create_all()
        response = app.test_client().get("/metrics", headers=forwarded)
        assert response.status_code == allowed  # without ProxyFix: 127.0.0.1, the proxy
