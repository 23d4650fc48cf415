"""`flask domains create|delete` call the same services as the UI."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAlias, Log


def test_create_and_delete_from_the_shell(app, runner):
    result = runner.invoke(args=["domains", "create", "Shell.COM", "--quota", "10",
                                 "--alias", "shell.net"])  # fmt: skip
    assert result.exit_code == 0 and "Domain shell.com created." in result.output
    with app.app_context():
        domain = db.session.scalar(select(Domain).where(Domain.name == "shell.com"))
        assert domain.quota == 10 and [a.name for a in domain.aliases] == ["shell.net"]
    again = runner.invoke(args=["domains", "create", "shell.com"])
    assert again.exit_code == 1 and "A domain named shell.com already exists." in again.output
    result = runner.invoke(args=["domains", "delete", "shell.com"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Domain.id)) is None
        assert db.session.scalar(select(DomainAlias.id)) is None
    missing = runner.invoke(args=["domains", "delete", "shell.com"])
    assert missing.exit_code == 1 and "Domain shell.com not found." in missing.output


def test_domain_commands_act_as_the_cli_super_admin(app, runner):
    assert runner.invoke(args=["domains", "create", "audited.test"]).exit_code == 0
    with app.app_context():
        row = db.session.scalars(
            select(Log).where(Log.object_type == "Domain").order_by(Log.id.desc())
        ).first()
        # The one CLI actor: the first super admin, logged on the 'cli' channel.
        assert (row.username, row.channel) == ("admin", "cli")
