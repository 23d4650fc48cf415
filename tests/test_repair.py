"""`flask repair` checks the rows the mail servers read, fixes what is safe, reports the rest."""

from contextlib import contextmanager

from sqlalchemy import func, select, text

from modoboa_flask import repair
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    Quota,
    User,
)
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


def test_without_dry_run_bad_names_are_left_for_a_hand_fix(app, runner):
    with app.app_context():
        ids = _hostile_rows()
    result = runner.invoke(args=["repair"])
    assert result.exit_code == 1
    assert f"admin_mailbox {ids['mailbox_evil']} '../b.com/u2'" in result.stdout
    assert "Fix the rows left by hand" in result.stderr
    with app.app_context():
        assert db.session.get(Mailbox, ids["mailbox_evil"]).address == "../b.com/u2"
        assert db.session.get(User, ids["boss"]).username == "../boss"
        # No self-alias or quota row is made for a name that has to change.
        assert db.session.get(Quota, "..@a.com") is None
        assert db.session.scalar(select(Alias.id).where(Alias.address == "..@a.com")) is None


_FK_SWITCH = {  # (off, on): a restore or a hand-made change that skipped the checks
    "sqlite": ("PRAGMA foreign_keys=OFF", "PRAGMA foreign_keys=ON"),
    "postgresql": ("SET session_replication_role = replica",
                   "SET session_replication_role = DEFAULT"),
    "mysql": ("SET FOREIGN_KEY_CHECKS=0", "SET FOREIGN_KEY_CHECKS=1"),
    "mariadb": ("SET FOREIGN_KEY_CHECKS=0", "SET FOREIGN_KEY_CHECKS=1"),
}  # fmt: skip


@contextmanager
def _raw_sql():
    """`run(sql, **params)` on one connection without foreign-key checks, committed at the end."""
    db.session.close()
    with db.engine.connect() as conn:
        off, on = _FK_SWITCH[conn.dialect.name]
        conn.exec_driver_sql(off)
        try:
            yield lambda sql, **params: conn.execute(text(sql), params)
            conn.commit()
        finally:
            conn.exec_driver_sql(on)
            conn.commit()


INSERT_ALIAS = ("INSERT INTO admin_alias (address, domain_id, enabled, internal, description) "
                "VALUES (:a, :d, :t, :i, '')")  # fmt: skip
INSERT_RECIPIENT = ("INSERT INTO modoboa_admin_aliasrecipient (address, alias_id, r_mailbox_id, "
                    "r_alias_id) VALUES (:a, :al, :m, :r)")  # fmt: skip
INSERT_GRANT = "INSERT INTO admin_domain_admins (domain_id, user_id) VALUES (:d, :u)"


def _plant_fixable() -> dict:
    """Defects `flask repair` fixes: one of each, written with raw SQL."""
    domain_id = factories.make_domain("a.com")
    boss = factories.make_user("DomainAdmins", username="boss")
    users = {local: factories.make_mailbox(domain_id, local)
             for local in ("noalias", "norcpt", "noquota", "fine")}  # fmt: skip
    with _raw_sql() as run:
        mailbox = {local: run("SELECT id FROM admin_mailbox WHERE user_id = :u", u=user).scalar()
                   for local, user in users.items()}  # fmt: skip
        alias_of = {local: run("SELECT id FROM admin_alias WHERE address = :a",
                               a=f"{local}@a.com").scalar()
                    for local in ("noalias", "norcpt")}  # fmt: skip
        run("DELETE FROM modoboa_admin_aliasrecipient WHERE alias_id IN (:a, :b)",
            a=alias_of["noalias"], b=alias_of["norcpt"])  # fmt: skip
        run("DELETE FROM admin_alias WHERE id = :a", a=alias_of["noalias"])
        run("DELETE FROM admin_quota WHERE username = 'noquota@a.com'")
        # "gone" first: SQLite hands the highest deleted id to the next row.
        for address in ("gone@a.com", "list@a.com"):
            run(INSERT_ALIAS, a=address, d=domain_id, t=True, i=False)
        list_id = run("SELECT id FROM admin_alias WHERE address = 'list@a.com'").scalar()
        gone_id = run("SELECT id FROM admin_alias WHERE address = 'gone@a.com'").scalar()
        run(INSERT_RECIPIENT, a="fine@a.com", al=list_id, m=mailbox["fine"], r=None)  # kept
        run(INSERT_RECIPIENT, a="ext@example.net", al=gone_id, m=None, r=None)
        run(INSERT_RECIPIENT, a="old@a.com", al=list_id, m=99999, r=None)
        run(INSERT_RECIPIENT, a="old-list@a.com", al=list_id, m=None, r=99998)
        run("DELETE FROM admin_alias WHERE id = :a", a=gone_id)
        run(INSERT_GRANT, d=domain_id, u=boss)  # kept
        run(INSERT_GRANT, d=99997, u=boss)
        run(INSERT_GRANT, d=domain_id, u=99996)
        recipients = dict(run("SELECT address, id FROM modoboa_admin_aliasrecipient").all())
        grants = run("SELECT id FROM admin_domain_admins ORDER BY id").scalars().all()
    return dict(mailbox=mailbox, norcpt_alias=alias_of["norcpt"], recipients=recipients,
                grants=grants, boss=boss, domain_id=domain_id)  # fmt: skip


def _fixable_lines(ids) -> set:
    mailbox, recipients, grants = ids["mailbox"], ids["recipients"], ids["grants"]
    table = "modoboa_admin_aliasrecipient"
    return {
        f"admin_mailbox {mailbox['noalias']} 'noalias@a.com': no self-alias (Postfix can't "
        "deliver to it)|create it",
        f"admin_mailbox {mailbox['norcpt']} 'norcpt@a.com': self-alias {ids['norcpt_alias']} "
        "has no recipient for this mailbox|add the recipient",
        f"admin_mailbox {mailbox['noquota']} 'noquota@a.com': no admin_quota row"
        "|create it with usage 0",
        f"{table} {recipients['ext@example.net']} 'ext@example.net': its alias no longer exists"
        "|delete it",
        f"{table} {recipients['old@a.com']} 'old@a.com': its mailbox 99999 no longer exists"
        "|delete it",
        f"{table} {recipients['old-list@a.com']} 'old-list@a.com': its alias 99998 no longer "
        "exists|delete it",
        f"admin_domain_admins {grants[1]} 'domain 99997, user {ids['boss']}': the domain 99997 "
        "no longer exists|delete it",
        f"admin_domain_admins {grants[2]} 'domain {ids['domain_id']}, user 99996': the user "
        "99996 no longer exists|delete it",
    }


def _plant_report_only() -> dict:
    """Defects only a person can fix: domain aliases named like domains, forming a loop."""
    ids = {"x_domain": factories.make_domain("x.org"), "y_domain": factories.make_domain("y.org")}
    with _raw_sql() as run:
        insert = "INSERT INTO admin_domainalias (name, target_id, enabled) VALUES (:n, :t, :e)"
        run(insert, n="y.org", t=ids["x_domain"], e=True)
        run(insert, n="x.org", t=ids["y_domain"], e=True)
        for source, target, domain in (("@y.org", "@x.org", "x_domain"),
                                       ("@x.org", "@y.org", "y_domain")):  # fmt: skip
            run(INSERT_ALIAS, a=source, d=ids[domain], t=True, i=True)
            alias_id = run("SELECT id FROM admin_alias WHERE address = :a", a=source).scalar()
            run(INSERT_RECIPIENT, a=target, al=alias_id, m=None, r=None)
        for name in ("x.org", "y.org"):
            ids[name] = run("SELECT id FROM admin_domainalias WHERE name = :n", n=name).scalar()
        ids["loop_alias"] = alias_id  # the walk starts from @x.org, the first in name order
    return ids


def _report_only_lines(ids) -> set:
    return {
        f"admin_domainalias {ids['x.org']} 'x.org': domain {ids['x_domain']} has the same name",
        f"admin_domainalias {ids['y.org']} 'y.org': domain {ids['y_domain']} has the same name",
        f"admin_alias {ids['loop_alias']} '@x.org': domain alias loop @x.org -> @y.org -> @x.org",
    }


def _plant_everything(app):
    """Every defect the checks know, in one database (with a hostile name besides)."""
    with app.app_context():
        fixable, report = _plant_fixable(), _plant_report_only()
        dots = factories.make_mailbox(fixable["domain_id"], "u3")
        dots_id = db.session.scalar(select(Mailbox.id).where(Mailbox.user_id == dots))
        db.session.execute(text("UPDATE admin_mailbox SET address = '..' WHERE id = :i"),
                           {"i": dots_id})  # fmt: skip
        db.session.commit()
    hostile = f"admin_mailbox {dots_id} '..': the local part can't start or end with a dot"
    return fixable, report, hostile


def _counts() -> dict:
    models = (Alias, AliasRecipient, Quota, DomainAdmin, DomainAlias, Mailbox)
    count = select(func.count())
    return {model.__tablename__: db.session.scalar(count.select_from(model)) for model in models}


def test_dry_run_lists_every_planted_defect_and_changes_nothing(app, runner):
    fixable, report, hostile = _plant_everything(app)
    with app.app_context():
        before = _counts()
    result = runner.invoke(args=["repair", "--dry-run"])
    assert result.exit_code == 1, result.output
    would = {line.replace("|", " (would ") + ")" for line in _fixable_lines(fixable)}
    assert set(result.stdout.splitlines()) == would | _report_only_lines(report) | {hostile}
    assert "12 problem(s) found." in result.stderr
    with app.app_context():
        assert _counts() == before


def test_repair_fixes_what_is_safe_and_reports_the_rest(app, runner):
    fixable, report, hostile = _plant_everything(app)
    mailbox = fixable["mailbox"]
    result = runner.invoke(args=["repair"])
    assert result.exit_code == 1, result.output
    done = {line.replace("|", ": fixed (") + ")" for line in _fixable_lines(fixable)}
    assert set(result.stdout.splitlines()) == done | _report_only_lines(report) | {hostile}
    assert "4 problem(s) found." in result.stderr and "by hand" in result.stderr
    with app.app_context():
        for local in ("noalias", "norcpt"):  # each self-alias delivers to its mailbox again
            alias = db.session.scalar(
                select(Alias).where(Alias.address == f"{local}@a.com", Alias.internal.is_(True))
            )
            assert [(r.address, r.r_mailbox_id) for r in alias.recipients] == [
                (f"{local}@a.com", mailbox[local])
            ]
        quota = db.session.get(Quota, "noquota@a.com")
        assert (quota.bytes, quota.messages) == (0, 0)
        left = db.session.scalars(select(AliasRecipient.address).order_by(AliasRecipient.address))
        assert "fine@a.com" in (left := list(left))
        assert not {"ext@example.net", "old@a.com", "old-list@a.com"} & set(left)
        assert db.session.scalars(select(DomainAdmin.id)).all() == fixable["grants"][:1]
        assert db.session.get(DomainAlias, report["x.org"]).target_id == report["y_domain"]
        assert db.session.scalar(select(Mailbox.id).where(Mailbox.address == "..")) is not None
    again = runner.invoke(args=["repair", "--dry-run"])
    assert set(again.stdout.splitlines()) == _report_only_lines(report) | {hostile}


def test_repair_exits_0_once_everything_is_fixed(app, runner):
    with app.app_context():
        _plant_fixable()
    result = runner.invoke(args=["repair"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Fixed 8 problem(s)."
    again = runner.invoke(args=["repair", "--dry-run"])
    assert (again.exit_code, again.output) == (0, "No problem found.\n")


def test_a_failing_fix_writes_nothing(app, runner, monkeypatch):
    with app.app_context():
        _plant_fixable()
        before = _counts()

    def broken(address):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repair, "ensure_quota_row", broken)
    result = runner.invoke(args=["repair"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    with app.app_context():
        assert _counts() == before  # the self-alias fixes before it were rolled back too
