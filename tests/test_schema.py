"""The migrated schema equals the models, on whichever database the suite runs on."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
