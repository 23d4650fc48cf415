"""`flask repair --dry-run` lists rows an upgraded database may hold that today's rules refuse."""

from sqlalchemy import select, text

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, Mailbox, User
from tests import factories


def _hostile_rows() -> dict:
    """Rows Modoboa could store, written with raw SQL behind the services' back."""
    domain_id = factories.make_domain("a.com")
    good = factories.make_mailbox(domain_id, "o'brien")
    evil = factories.make_mailbox(domain_id, "u2")
    dots = factories.make_mailbox(domain_id, "u3")
    boss = factories.make_user("DomainAdmins", username="boss")
    bad_domain = factories.make_domain("ok.org")
    mailbox = {uid: db.session.scalar(select(Mailbox.id).where(Mailbox.user_id == uid))
               for uid in (evil, dots)}  # fmt: skip
    statements = [
        ("UPDATE admin_mailbox SET address = :v WHERE id = :i", "../b.com/u2", mailbox[evil]),
        ("UPDATE core_user SET username = :v WHERE id = :i", "../b.com/u2@a.com", evil),
        ("UPDATE admin_alias SET address = :v WHERE address = :i", "../b.com/u2@a.com",
         "u2@a.com"),
        ("UPDATE admin_mailbox SET address = :v WHERE id = :i", "..", mailbox[dots]),
        ("UPDATE core_user SET username = :v WHERE id = :i", "../boss", boss),
        ("UPDATE admin_domain SET name = :v WHERE id = :i", "Bad_Name.org", bad_domain),
    ]  # fmt: skip
    for sql, value, key in statements:
        db.session.execute(text(sql), {"v": value, "i": key})
    db.session.commit()
    alias_id = db.session.scalar(select(Alias.id).where(Alias.address == "../b.com/u2@a.com"))
    return dict(good=good, evil=evil, boss=boss, bad_domain=bad_domain, alias=alias_id, **{
        "mailbox_evil": mailbox[evil], "mailbox_dots": mailbox[dots]})  # fmt: skip


def test_a_clean_database_has_no_problem(app, runner):
    with app.app_context():
        factories.make_mailbox(factories.make_domain("a.com"), "o'brien")
    result = runner.invoke(args=["repair", "--dry-run"])
    assert result.exit_code == 0 and result.output == "No problem found.\n"


def test_dry_run_lists_hostile_rows(app, runner):
    with app.app_context():
        ids = _hostile_rows()
    result = runner.invoke(args=["repair", "--dry-run"])
    assert result.exit_code == 1
    lines = set(result.stdout.splitlines())
    assert lines == {
        f"admin_mailbox {ids['mailbox_evil']} '../b.com/u2': the local part can't contain '/'",
        f"admin_mailbox {ids['mailbox_dots']} '..': the local part can't start or end with a dot",
        f"core_user {ids['evil']} '../b.com/u2@a.com': the local part can't contain '/'",
        f"core_user {ids['boss']} '../boss': the username can't contain '/'",
        f"admin_alias {ids['alias']} '../b.com/u2@a.com': the local part can't contain '/'",
        f"admin_domain {ids['bad_domain']} 'Bad_Name.org': not a valid domain name",
    }
    assert "6 problem(s) found." in result.stderr
    with app.app_context():  # nothing changed
        assert db.session.get(User, ids["boss"]).username == "../boss"
        assert db.session.get(Domain, ids["bad_domain"]).name == "Bad_Name.org"


def test_names_not_in_normal_form_are_listed(app, runner):
    with app.app_context():
        domain_id = factories.make_domain("Upper.ORG")
    result = runner.invoke(args=["repair", "--dry-run"])
    assert result.exit_code == 1
    assert (
        f"admin_domain {domain_id} 'Upper.ORG': not stored in normal form (expected upper.org)"
        in (result.stdout)
    )


def test_without_dry_run_it_only_reports(app, runner):
    with app.app_context():
        ids = _hostile_rows()
    result = runner.invoke(args=["repair"])
    assert result.exit_code != 0
    assert "only reports for now: nothing was changed" in result.output
    assert "'../b.com/u2'" in result.output
    with app.app_context():
        assert db.session.get(Mailbox, ids["mailbox_evil"]).address == "../b.com/u2"
