"""The "Modoboa" area: access, parameters tabs over htmx, logs, information, notifications."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from modoboa_flask import audit, params
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, Parameter, utcnow

HX = {"HX-Request": "true"}


@pytest.mark.parametrize("url", ["/settings/", "/settings/parameters", "/settings/logs"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("SuperAdmins", 200), ("Resellers", 403), ("DomainAdmins", 403), ("SimpleUsers", 403)],
)
def test_only_super_admins(login, url, role, status):
    assert login(role=role).get(url).status_code == status


def test_post_is_super_admin_only(app, login):
    response = login(role="Resellers").post(
        "/settings/parameters/core", data={"core-items_per_page": "5"}, headers=HX
    )
    assert response.status_code == 403
    with app.app_context():
        assert not params.is_set("core.items_per_page")


def test_anonymous_is_sent_to_login(client):
    response = client.get("/settings/parameters")
    assert response.status_code in (302, 303, 401)


def test_menu_link_for_super_admins_only(login):
    assert 'href="/settings/"' in login().get("/user/").text
    assert 'href="/settings/"' not in login(role="DomainAdmins").get("/user/").text


def test_parameters_page_has_one_tab_per_app(login):
    page = login().get("/settings/parameters").text
    assert page.index('id="tab-core-btn"') < page.index('id="tab-admin-btn"')
    assert ">General<" in page and ">Administration<" in page
    assert 'name="core-ldap_bind_dn"' in page  # present but hidden while LDAP is off
    assert 'data-visible-if="core-authentication_type=ldap" hidden' in page
    assert "js/settings.js" in page


def test_save_tab_with_errors_in_place(app, login):
    client = login()
    response = client.post(
        "/settings/parameters/core",
        data={"core-items_per_page": "many", "core-rounds_number": "10"},
        headers=HX,
    )
    assert response.status_code == 200  # htmx swaps 200 bodies only
    assert "<html" not in response.text and 'id="params-core"' in response.text
    assert "Enter a whole number." in response.text and "Invalid rounds number" in response.text
    assert 'value="many"' in response.text  # what the user typed stays
    with app.app_context():
        assert db.session.scalar(select(func.count(Parameter.id))) == 0  # nothing written


def test_save_tab_and_audit(app, login):
    client = login(username="boss")
    response = client.post(
        "/settings/parameters/admin",
        data={"admin-default_domain_quota": "100", "admin-handle_mailboxes": "yes"},
        headers=HX,
    )
    assert "Parameters saved" in response.text
    with app.app_context():
        assert params.get("admin.default_domain_quota") == 100
        assert params.get("admin.handle_mailboxes") is True
        rows = db.session.scalars(select(Log).where(Log.object_type == "Parameter")).all()
        changes = {key: value for row in rows for key, value in row.changes.items()}
        assert changes == {
            "admin.default_domain_quota": ["0", "100"],
            "admin.handle_mailboxes": ["no", "yes"],
        }
        assert {(r.username, r.action, r.channel) for r in rows} == {("boss", "modify", "ui")}


def test_secret_never_shown_after_being_set(app, login):
    client = login()
    secret = "0123456789abcdef0123456789abcdef"
    client.post("/settings/parameters/core", data={"core-ldap_bind_password": secret}, headers=HX)
    page = client.get("/settings/parameters").text
    assert secret not in page and "leave empty to keep" in page
    # Saving the tab with the field left empty keeps the key.
    client.post("/settings/parameters/core", data={"core-ldap_bind_password": ""}, headers=HX)
    with app.app_context():
        assert params.get("core.ldap_bind_password") == secret
        log = db.session.scalar(select(Log).where(Log.object_repr == "core.ldap_bind_password"))
        assert log.changes == {"core.ldap_bind_password": ["***", "***"]}
    assert secret not in client.get("/settings/logs").text


def test_plain_post_redirects_with_flash(login):
    client = login()
    response = client.post("/settings/parameters/core", data={"core-items_per_page": "12"})
    assert response.status_code == 303
    assert "Parameters saved" in client.get(response.headers["Location"]).text
    bad = client.post("/settings/parameters/core", data={"core-items_per_page": "x"})
    assert bad.status_code == 200 and "<html" in bad.text and "Enter a whole number." in bad.text


def test_unknown_application_is_404(login):
    assert login().post("/settings/parameters/nope", data={}, headers=HX).status_code == 404


def _log(**fields):
    entry = Log(message=fields.pop("message", "event"), **fields)
    db.session.add(entry)
    return entry


def test_logs_filters_and_search(app, login):
    client = login()
    now = utcnow()
    with app.app_context():
        _log(
            message="Domain 'a.test' added",
            level="INFO",
            username="alice",
            object_type="Domain",
            object_repr="a.test",
            date_created=now,
        )
        _log(
            message="Failed connection",
            level="WARNING",
            logger="modoboa.auth",
            username="mallory",
            date_created=now - timedelta(days=3),
        )
        _log(
            message="Domain 'b.test' deleted",
            level="CRITICAL",
            username="bob",
            object_type="Domain",
            object_repr="b.test",
            date_created=now - timedelta(days=10),
        )
        db.session.commit()  # fmt: skip

    def rows(**query):
        text = client.get("/settings/logs", query_string=query, headers=HX).text
        return text.count('class="log-row"'), text

    assert rows(level="WARNING")[0] == 1
    assert rows(logger="modoboa.auth")[1].count("mallory") == 1
    assert rows(user="bob")[0] == 1
    assert rows(object="Domain")[0] == 2 and rows(object="b.test")[0] == 1
    assert rows(q="Failed")[0] == 1
    day = lambda delta: (now - timedelta(days=delta)).strftime("%Y-%m-%d")  # noqa: E731
    assert rows(date_from=day(4), date_to=day(2))[0] == 1
    assert rows(date_from="not a date", level="bogus")[0] == 4  # + the admin's creation
    fragment = rows()[1]
    assert "<html" not in fragment and 'id="log-count"' in fragment


def test_logs_are_paged_with_items_per_page_in_constant_queries(app, login, count_queries):
    client = login()
    with app.app_context():
        for index in range(25):
            _log(message=f"event {index:02d}")
        params.set("core.items_per_page", "10")
        db.session.commit()
    first = client.get("/settings/logs").text
    assert first.count('class="log-row"') == 10 and "Page 1 of 3" in first
    assert (
        client.get("/settings/logs?page=3").text.count('class="log-row"') == 6
    )  # + admin creation
    with count_queries() as small:
        client.get("/settings/logs?page=1", headers=HX)
    with app.app_context():
        for index in range(40):
            _log(message=f"more {index}")
        db.session.commit()
    with count_queries() as big:
        client.get("/settings/logs?page=2", headers=HX)
    assert len(small) == len(big)


def test_login_logout_and_failures_are_logged(app, client):
    client.post("/auth/login", data={"username": "admin", "password": "wrong"})
    client.post("/auth/login", data={"username": "admin", "password": "password"})
    client.post("/auth/logout")
    with app.app_context():
        actions = db.session.scalars(
            select(Log.action).where(Log.logger == "modoboa.auth").order_by(Log.id)
        ).all()
        assert actions == ["login_failed", "login", "logout"]
        failed = db.session.scalar(select(Log).where(Log.action == "login_failed"))
        assert failed.level == "WARNING" and failed.ip_address == "127.0.0.1"


def test_information_page(app, login):
    page = login().get("/settings/").text
    assert 'data-plugin="core"' in page
    with app.app_context():
        assert db.engine.dialect.name in page
    assert "No maps directory configured" in page


def _write_maps(directory, content, recorded):
    (directory / "sql-domains.cf").write_text(content)
    digest = hashlib.md5(recorded.encode()).hexdigest()  # noqa: S324
    (directory / "modoboa-postfix-maps.chk").write_text(f"sql-domains.cf:sqlite:{digest}\n")


def test_information_reports_postfix_maps(app, login, tmp_path):
    app.config["POSTFIX_MAPS_DIR"] = str(tmp_path)
    client = login()
    assert "never generated" in client.get("/settings/").text
    _write_maps(tmp_path, "query = select 1\n", "query = select 1\n")
    assert "are up to date" in client.get("/settings/").text
    _write_maps(tmp_path, "query = edited by hand\n", "query = select 1\n")
    page = client.get("/settings/").text
    assert "not up to date" in page and "modified" in page
    (tmp_path / "sql-domains.cf").unlink()
    assert "missing" in client.get("/settings/").text


def test_notifications_fragment_without_plugins(login):
    response = login(role="SimpleUsers").get("/settings/notifications")
    assert response.status_code == 200 and response.text.strip() == ""


def test_audit_record_carries_channel_and_ip(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        entry = audit.record("x", action="modify")
        assert (entry.ip_address, entry.channel) == ("192.0.2.7", "ui")
