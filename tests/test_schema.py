"""The migrated schema equals the models, on whichever database the suite runs on."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from modoboa_flask.accounts import load_initial_data
from modoboa_flask.extensions import db
from modoboa_flask.models import Quota
from tests.migrated import migrated_app


def test_migrations_match_models_and_serve_the_mail_servers():
    with migrated_app() as app, app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "core_user",
            "admin_domain",
            "admin_domainalias",
            "admin_mailbox",
            "admin_alias",
            "modoboa_admin_aliasrecipient",
            "admin_senderaddress",
            "admin_mailboxoperation",
            "admin_quota",
            "postfix_relay_domains_service",
            "postfix_relay_domains_relaydomain",
        } <= tables
        load_initial_data()
        # Dovecot's quota dict inserts only the column it updates: defaults come from the server.
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO admin_quota (username, bytes) VALUES ('a@b.c', 5)")
        row = db.session.get(Quota, "a@b.c")
        assert (row.bytes, row.messages) == (5, 0)


def test_every_mail_server_lookup_column_is_indexed():
    with migrated_app() as app, app.app_context():
        inspector = inspect(db.engine)

        def leading_columns(table):
            cols = {tuple(ix["column_names"])[0] for ix in inspector.get_indexes(table)}
            cols |= {tuple(uc["column_names"])[0] for uc in inspector.get_unique_constraints(table)}
            cols |= set(inspector.get_pk_constraint(table)["constrained_columns"][:1])
            return cols

        expected = {
            "admin_domain": {"name"},
            "admin_domainalias": {"name", "target_id"},
            "admin_alias": {"address"},
            "modoboa_admin_aliasrecipient": {"alias_id", "r_mailbox_id"},
            "admin_mailbox": {"domain_id", "user_id"},
            "admin_senderaddress": {"address", "mailbox_id"},
            "admin_mailboxoperation": {"mailbox_id"},
            "core_user": {"email"},
            "admin_quota": {"username"},
            "postfix_relay_domains_relaydomain": {"domain_id"},
        }
        for table, columns in expected.items():
            assert columns <= leading_columns(table), table


def test_sql_written_for_modoboas_schema_still_inserts():
    """Columns the project added have server defaults: Modoboa's own column lists suffice."""
    with migrated_app() as app, app.app_context():
        load_initial_data()
        with db.engine.begin() as conn:
            sql = conn.exec_driver_sql
            sql(
                "INSERT INTO core_user (username, first_name, last_name, email, password,"
                " is_superuser, is_staff, is_active, is_local, master_user, date_joined,"
                " language) VALUES ('u@x.org', '', '', 'u@x.org', '', FALSE, FALSE, TRUE,"
                " TRUE, FALSE, CURRENT_TIMESTAMP, 'en')"
            )
            sql(
                "INSERT INTO admin_domain (name, quota, enabled, type)"
                " VALUES ('x.org', 0, TRUE, 'domain')"
            )
            sql(
                "INSERT INTO admin_mailbox (address, quota, use_domain_quota, domain_id, user_id)"
                " SELECT 'u', 0, FALSE, d.id, u.id FROM admin_domain d, core_user u"
                " WHERE d.name = 'x.org' AND u.username = 'u@x.org'"
            )
            sql(
                "INSERT INTO admin_mailboxoperation (mailbox_id, type, argument)"
                " SELECT id, 'rename', '/srv/vmail/x.org/old' FROM admin_mailbox"
            )
            sql(
                "INSERT INTO core_log (message, level, logger, date_created)"
                " VALUES ('m', 'INFO', 'modoboa.admin', CURRENT_TIMESTAMP)"
            )
            row = sql(
                "SELECT u.role, op.last_error, op.created, d.default_mailbox_quota, d.creation"
                " FROM core_user u, admin_mailboxoperation op, admin_domain d"
                " WHERE u.username = 'u@x.org'"
            ).one()
        role, last_error, created, default_quota, creation = row
        assert (role, last_error, default_quota) == ("SimpleUsers", "", 0)
        assert created is not None and creation is not None
        # The default is UTC, like the values the app writes (naive UTC).
        from modoboa_flask.models import Domain, MailboxOperation, utcnow

        op = db.session.scalar(select(MailboxOperation))
        domain = db.session.scalar(select(Domain).where(Domain.name == "x.org"))
        for stamp in (op.created, domain.creation, domain.last_modification):
            assert abs((utcnow() - stamp).total_seconds()) < 120


def test_upgrading_an_existing_database_keeps_its_rows():
    """SQLite rebuilds tables to change a default: referencing rows must survive it."""
    from flask_migrate import downgrade, upgrade

    with migrated_app() as app, app.app_context():
        downgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO core_user (username, first_name, last_name, email, password, role,"
                " is_superuser, is_staff, is_active, is_local, master_user, date_joined,"
                " last_modification, language) VALUES ('u@x.org', '', '', 'u@x.org', '',"
                " 'SimpleUsers', FALSE, FALSE, TRUE, TRUE, FALSE, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP, 'en')"
            )
            conn.exec_driver_sql(
                "INSERT INTO admin_domain (name, quota, default_mailbox_quota, enabled, type,"
                " creation, last_modification) VALUES ('x.org', 0, 0, TRUE, 'domain',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
            conn.exec_driver_sql(
                "INSERT INTO admin_mailbox (address, quota, use_domain_quota, domain_id, user_id,"
                " creation, last_modification) SELECT 'u', 0, FALSE, d.id, u.id,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM admin_domain d, core_user u"
            )
        db.engine.dispose()
        upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM admin_mailbox").scalar() == 1
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
