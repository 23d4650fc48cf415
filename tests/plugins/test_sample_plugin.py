"""The plugin system end to end, through a sample plugin that uses every hook."""

import sys

import pytest
from sqlalchemy import select

from modoboa_flask import params, plugins, signals
from modoboa_flask.accounts import load_initial_data
from modoboa_flask.extensions import db
from modoboa_flask.models import Parameter, Role, RolePermission
from tests import factories
from tests.conftest import _reset_database, log_client_in, make_app

SAMPLE = "tests.plugins.sample_plugin"


def _app_with(plugins_list):
    app = make_app(PLUGINS=plugins_list)
    with app.app_context():
        _reset_database()
        load_initial_data()
    return app


@pytest.fixture
def sample_app():
    app = _app_with([SAMPLE])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _superadmin_client(app):
    with app.app_context():
        user_id = factories.make_user(role="SuperAdmins")
    return log_client_in(app, app.test_client(), user_id)


def test_registration_object_is_exposed(sample_app):
    plugin = plugins.loaded(sample_app)["sample"]
    assert (plugin.label, plugin.version, plugin.url) == (
        "Sample plugin", "1.2.3", "https://example.org/sample",
    )  # fmt: skip


def test_menus_static_content_and_notifications(sample_app):
    client = _superadmin_client(sample_app)
    page = client.get("/user/").get_data(as_text=True)
    assert "Sample admin" in page  # AdminMenuDisplay, top menu
    assert "Sample top_menu" in page  # UserMenuDisplay, top menu
    assert "Sample options_menu" in page  # UserMenuDisplay, options menu
    assert "Sample uprefs_menu" in page  # UserMenuDisplay, settings menu
    assert '<link rel="stylesheet" href="/static/sample.css">' in page  # GetStaticContent
    assert '<script src="/static/sample.js"></script>' in page
    assert 'hx-trigger="load, every 30s"' in page  # polling interval from the parameter
    fragment = client.get("/settings/notifications").get_data(as_text=True)
    assert "Sample alerts" in fragment and ">3<" in fragment and "btn-outline-warning" in fragment


def test_notifications_interval_follows_parameter(sample_app):
    with sample_app.app_context():
        params.set("core.top_notifications_check_interval", "7")
        db.session.commit()
    page = _superadmin_client(sample_app).get("/user/").get_data(as_text=True)
    assert 'hx-trigger="load, every 7s"' in page


def test_announcement_on_login_page(sample_app):
    assert "Sample news for loginpage" in sample_app.test_client().get("/auth/login").text


def test_parameters_own_tab_and_extra_parameters(sample_app):
    client = _superadmin_client(sample_app)
    page = client.get("/settings/parameters").get_data(as_text=True)
    assert 'id="tab-sample-btn"' in page and 'name="sample-greeting"' in page
    assert 'name="core-sample_extra"' in page  # GetExtraParameters added to General
    response = client.post(
        "/settings/parameters/core",
        data={"core-sample_extra": "yes"},
        headers={"HX-Request": "true"},
    )
    assert "Parameters saved" in response.text
    with sample_app.app_context():
        assert params.get("core.sample_extra") is True
    bad = client.post(
        "/settings/parameters/sample", data={"sample-greeting": ""}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 200 and "This field is required." in bad.text


def test_preferences_tabbed_with_visibility(sample_app):
    with sample_app.app_context():
        user_id = factories.make_user()
    client = log_client_in(sample_app, sample_app.test_client(), user_id)
    page = client.get("/user/preferences").get_data(as_text=True)
    assert 'id="tab-sample-btn"' in page
    assert 'data-visible-if="sample-color=red" hidden' in page  # shade hidden while blue
    # Hidden, the required shade does not block saving.
    ok = client.post("/user/preferences/sample", data={"sample-color": "blue"},
                     headers={"HX-Request": "true"})  # fmt: skip
    assert "Preferences saved" in ok.text
    bad = client.post("/user/preferences/sample", data={"sample-color": "red", "sample-shade": ""},
                      headers={"HX-Request": "true"})  # fmt: skip
    assert bad.status_code == 200 and "This field is required." in bad.text
    good = client.post(
        "/user/preferences/sample",
        data={"sample-color": "red", "sample-shade": "crimson"},
        headers={"HX-Request": "true"},
    )
    assert "Preferences saved" in good.text and 'data-visible-if="sample-color=red">' in good.text
    with sample_app.app_context():
        from modoboa_flask.models import User

        user = db.session.get(User, user_id)
        assert params.get_user(user, "sample.color") == "red"
        assert params.get_user(user, "sample.shade") == "crimson"


def test_form_tabs(sample_app):
    with sample_app.test_request_context():
        from modoboa_flask.models import User

        admin = db.session.scalar(select(User).where(User.username == "admin"))
        domain_tabs = signals.collect(signals.extra_domain_form, user=admin, domain=None)
        account_tabs = signals.collect(signals.extra_account_form, user=admin, account=admin)
    assert [t.id for t in domain_tabs] == ["sample"] and [t.id for t in account_tabs] == ["sample"]


def test_landing_choice_and_information(sample_app):
    client = _superadmin_client(sample_app)
    with sample_app.app_context():
        choices = [
            value for value, _ in params.definition("core.default_top_redirection").choice_list()
        ]
        assert choices == ["user", "sample"]
    info = client.get("/settings/").get_data(as_text=True)
    assert 'data-plugin="sample"' in info and "1.2.3" in info


def test_load_initial_data_roles_and_event(sample_app):
    result = sample_app.test_cli_runner().invoke(args=["load-initial-data"])
    assert result.exit_code == 0, result.output
    assert "Sample data loaded" in result.output
    with sample_app.app_context():
        assert params.get("sample.greeting") == "initialized"
        role = db.session.get(Role, "SampleRole")  # GetExtraRoles
        assert role is not None and role.label == "Sample role"
        codes = db.session.scalars(
            select(RolePermission.codename).where(RolePermission.role_name == "SampleRole")
        )
        assert list(codes) == ["sample.use"]  # GetExtraRolePermissions
    assert sample_app.extensions["sample_events"] == ["sample", "core"]  # InitialDataLoaded


def test_disabled_plugin_leaves_no_trace(app, login):
    client = login()
    page = client.get("/user/").get_data(as_text=True)
    assert "Sample" not in page and "sample.css" not in page
    assert "Sample news" not in client.get("/auth/login").text
    assert "Sample" not in client.get("/settings/notifications").text
    params_page = client.get("/settings/parameters").get_data(as_text=True)
    assert "sample" not in params_page
    assert client.get("/sample/").status_code == 404
    with app.app_context():
        with pytest.raises(KeyError):
            params.definition("sample.greeting")
        assert signals.collect(signals.get_extra_roles, user=None, account=None) == []
        assert "sample" not in plugins.loaded(app)
        assert db.session.scalar(select(Parameter).where(Parameter.app == "sample")) is None


def test_discovered_through_entry_point(tmp_path, monkeypatch):
    dist = tmp_path / "modoboa_sample-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: modoboa-sample\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text(f"[modoboa_flask.plugins]\nsample = {SAMPLE}:plugin\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert "sample" in plugins.available()
    disabled = make_app()
    assert plugins.loaded(disabled) == {}  # discovered is not enabled
    enabled = make_app(PLUGINS=["sample"])
    assert plugins.loaded(enabled)["sample"].version == "1.2.3"


def test_unknown_plugin_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not found"):
        make_app(PLUGINS=["no_such_plugin_anywhere"])
