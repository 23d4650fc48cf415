"""server defaults on the columns modoboa_flask added to Modoboa's tables

SQL written for Modoboa's schema (an INSERT naming Modoboa's columns only) must keep
working: every column the project added gets a server default.

Revision ID: 0002_mailconf
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_mailconf"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOW = {
    "sqlite": "CURRENT_TIMESTAMP",  # UTC on SQLite
    "postgresql": "timezone('utc', now())",
    "mysql": "(UTC_TIMESTAMP())",
    "mariadb": "(UTC_TIMESTAMP())",
}
_STAMPS = ("creation", "last_modification")
# table -> {column: default}; None = the database's UTC now.
DEFAULTS = {
    "core_user": {"role": "'SimpleUsers'", "last_modification": None},
    "core_log": {
        "username": "''",
        "ip_address": "''",
        "channel": "''",
        "action": "''",
        "object_type": "''",
        "object_repr": "''",
    },
    "admin_domain": {"default_mailbox_quota": "0", **dict.fromkeys(_STAMPS)},
    "admin_domainalias": dict.fromkeys(_STAMPS),
    "admin_mailbox": dict.fromkeys(_STAMPS),
    "admin_alias": dict.fromkeys(_STAMPS),
    "admin_mailboxoperation": {"created": None, "last_error": "''"},
    "postfix_relay_domains_relaydomain": {"target_port": "25", **dict.fromkeys(_STAMPS)},
}
_TYPES = {"role": sa.String(32), "username": sa.String(254), "ip_address": sa.String(45)}
_TYPES.update(channel=sa.String(10), action=sa.String(20), object_type=sa.String(30))
_TYPES.update(object_repr=sa.String(254), last_error=sa.Text())
_TYPES.update(default_mailbox_quota=sa.Integer(), target_port=sa.Integer())


def _alter(with_defaults: bool) -> None:
    now = _NOW[op.get_bind().dialect.name]
    for table, columns in DEFAULTS.items():
        # batch mode: SQLite cannot ALTER a column's default in place (the table is rebuilt).
        with op.batch_alter_table(table) as batch:
            for column, default in columns.items():
                value = sa.text(default or now) if with_defaults else None
                batch.alter_column(
                    column,
                    existing_type=_TYPES.get(column, sa.DateTime()),
                    existing_nullable=False,
                    server_default=value,
                )


def upgrade():
    _alter(True)


def downgrade():
    _alter(False)
