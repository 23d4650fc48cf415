"""Every map and Dovecot query is an index lookup (same cost at 500k mailboxes as at 10)."""

import pytest
from sqlalchemy import insert, text

from modoboa_flask.blueprints.mailserver import dovecot
from modoboa_flask.blueprints.mailserver.postfix_maps import CORE_MAPS
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, AliasRecipient, Domain, Mailbox, SenderAddress, User

FILLER = 300


def _fill():
    """Enough rows that a planner prefers an index whenever one applies."""
    db.session.execute(insert(Domain), [{"name": f"fill{i}.test"} for i in range(FILLER)])
    db.session.execute(
        insert(User),
        [{"username": f"u{i}@fill.test", "email": f"u{i}@fill.test"} for i in range(FILLER)],
    )
    db.session.flush()
    dom = dict(db.session.execute(text("SELECT name, id FROM admin_domain")).all())
    users = dict(db.session.execute(text("SELECT username, id FROM core_user")).all())
    db.session.execute(
        insert(Mailbox),
        [
            {
                "address": f"u{i}",
                "domain_id": dom[f"fill{i}.test"],
                "user_id": users[f"u{i}@fill.test"],
            }
            for i in range(FILLER)
        ],
    )
    mailboxes = dict(db.session.execute(text("SELECT address, id FROM admin_mailbox")).all())
    db.session.execute(
        insert(SenderAddress),
        [{"address": f"s{i}@fill.test", "mailbox_id": mailboxes[f"u{i}"]} for i in range(FILLER)],
    )
    db.session.execute(
        insert(Alias), [{"address": f"a{i}@fill.test", "description": ""} for i in range(FILLER)]
    )
    db.session.flush()
    aliases = dict(db.session.execute(text("SELECT address, id FROM admin_alias")).all())
    db.session.execute(
        insert(AliasRecipient),
        [{"address": "x@y.test", "alias_id": aliases[f"a{i}@fill.test"]} for i in range(FILLER)],
    )
    db.session.commit()


def _concrete(query: str) -> str:
    # Postfix and Dovecot expand these before running the query.
    for var, value in (("%Lu", "user@example.com"), ("%s", "user@example.com"),
                       ("%d", "example.com"), ("%u", "user"), ("%Ld", "example.com"),
                       ("%Ln", "user")):  # fmt: skip
        query = query.replace(var, value)
    return query


def _run(sql: str):
    # Raw driver SQL: the queries hold ':' (quota rules) that text() would take for binds.
    return db.session.connection().exec_driver_sql(sql)


def _full_scans(dialect: str, query: str) -> list:
    if dialect == "sqlite":
        rows = _run("EXPLAIN QUERY PLAN " + query).all()
        return [r[-1] for r in rows if r[-1].startswith("SCAN")]
    if dialect == "postgresql":
        _run("SET enable_seqscan = off")
        plan = [r[0] for r in _run("EXPLAIN " + query).all()]
        return [line for line in plan if "Seq Scan" in line]
    result = _run("EXPLAIN " + query).mappings().all()
    # "Impossible WHERE noticed after reading const tables": a unique-key probe found no row.
    return [
        dict(r)
        for r in result
        if (r["type"] == "ALL" or r["key"] is None) and "Impossible WHERE" not in (r["Extra"] or "")
    ]


@pytest.fixture(scope="module")
def filled(mail_app):
    with mail_app.app_context():
        _fill()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
        elif db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
        else:
            for table in ("admin_domain", "core_user", "admin_mailbox", "admin_alias",
                          "modoboa_admin_aliasrecipient"):  # fmt: skip
                db.session.execute(text(f"ANALYZE TABLE {table}"))
        db.session.commit()
    return mail_app


def _queries(dbtype):
    q = {m.filename: m.query(dbtype) for m in CORE_MAPS}
    dq = dovecot.queries(
        dbtype, home_template="/srv/%d/%n", uid="1", gid="1", quota_rule="*:bytes={quota}M"
    )
    q["dovecot password_query"] = dq["password_query"]
    q["dovecot user_query"] = dq["user_query"]
    # iterate_query lists every account by design (doveadm -A): no lookup to index.
    q["quota dict"] = "SELECT bytes, messages FROM admin_quota WHERE username='user@example.com'"
    return q


def test_every_lookup_uses_an_index(filled):
    with filled.app_context():
        dialect = db.engine.dialect.name
        dbtype = {"postgresql": "postgres", "sqlite": "sqlite"}.get(dialect, "mysql")
        scans = {}
        for name, query in _queries(dbtype).items():
            found = _full_scans(dialect, _concrete(query))
            if found:
                scans[name] = found
        db.session.rollback()
    assert scans == {}
