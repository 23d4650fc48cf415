"""`flask load-initial-data`: roles, the default super admin, Postfix services."""

from sqlalchemy import func, select

from modoboa_flask import signals
from modoboa_flask.extensions import db
from modoboa_flask.models import Role, RolePermission, Service, User
from modoboa_flask.passwords import verify_password


def _wipe():
    for model in (RolePermission, Role, Service, User):
        db.session.execute(model.__table__.delete())
    db.session.commit()


def test_creates_everything_then_is_idempotent(app, runner):
    with app.app_context():
        _wipe()
    result = runner.invoke(args=["load-initial-data"])
    assert result.exit_code == 0, result.output
    assert "Created super admin 'admin'" in result.output
    assert "Created Postfix service 'relay'" in result.output
    with app.app_context():
        roles = set(db.session.scalars(select(Role.name)))
        assert roles == {"SimpleUsers", "DomainAdmins", "Resellers", "SuperAdmins"}
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert admin.is_superuser and admin.role == "SuperAdmins"
        assert verify_password("password", admin.password)
        assert admin.password.startswith("{SHA512-CRYPT}")
        assert set(db.session.scalars(select(Service.name))) == {"relay", "smtp"}
        perms = set(
            db.session.scalars(
                select(RolePermission.codename).where(RolePermission.role_name == "Resellers")
            )
        )
        assert {"domains.add", "domainaliases.add", "accounts.add"} <= perms
    again = runner.invoke(args=["load-initial-data"])
    assert again.exit_code == 0
    assert "nothing to do" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Service)) == 2


def test_no_default_admin_when_a_super_admin_exists(app, runner):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        admin.username = "root"
        db.session.commit()
    result = runner.invoke(args=["load-initial-data"])
    assert "Created super admin" not in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "admin")) is None


def test_sends_initial_data_loaded(app, runner):
    seen = []

    def receiver(sender, extname, **kw):
        seen.append(extname)

    with signals.initial_data_loaded.connected_to(receiver, sender=app):
        runner.invoke(args=["load-initial-data"])
    assert "core" in seen


def test_extra_roles_from_plugins(app, runner):
    def extra_roles(sender, **kw):
        return [("Auditors", "Auditor")]

    def extra_perms(sender, rolename, **kw):
        return ["logs.view"] if rolename == "Auditors" else []

    with (
        signals.get_extra_roles.connected_to(extra_roles, sender=app),
        signals.get_extra_role_permissions.connected_to(extra_perms, sender=app),
    ):
        runner.invoke(args=["load-initial-data"])
    with app.app_context():
        assert db.session.get(Role, "Auditors").label == "Auditor"
        assert (
            db.session.scalar(
                select(RolePermission.codename).where(RolePermission.role_name == "Auditors")
            )
            == "logs.view"
        )


def test_refuses_a_hostile_admin_username(app, runner):
    with app.app_context():
        _wipe()
    result = runner.invoke(args=["load-initial-data", "--admin-username", "../b.com/u2"])
    assert result.exit_code != 0 and "can't contain '/'" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
