"""DKIM: Modoboa 2.x's dkim_* columns on admin_domain, and admin_dkimkey for rotation

A database upgraded from Modoboa 2.x already has the admin_domain columns: they are kept,
and each domain's key there becomes its active key in admin_dkimkey.

Revision ID: 0003_dkim
Revises: 0002_stats
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_dkim"
down_revision = "0002_stats"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("enable_dkim", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("dkim_key_selector", sa.String(length=30), server_default="modoboa", nullable=False),
    sa.Column("dkim_key_length", sa.Integer(), nullable=True),
    sa.Column("dkim_public_key", sa.Text(), server_default="", nullable=False),
    sa.Column("dkim_private_key_path", sa.String(length=254), server_default="", nullable=False),
)


def upgrade():
    existing = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("admin_domain")}
    missing = [c for c in COLUMNS if c.name not in existing]
    if missing:
        with op.batch_alter_table("admin_domain", schema=None) as batch_op:
            for column in missing:
                batch_op.add_column(column)

    op.create_table(
        "admin_dkimkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=30), nullable=False),
        sa.Column("key_length", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("private_key_path", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["admin_domain.id"],
            name=op.f("fk_admin_dkimkey_domain_id_admin_domain"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_dkimkey")),
        sa.UniqueConstraint(
            "domain_id", "selector", name=op.f("uq_admin_dkimkey_domain_id_selector")
        ),
    )
    with op.batch_alter_table("admin_dkimkey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_dkimkey_domain_id"), ["domain_id"])

    if len(missing) < len(COLUMNS):
        # Modoboa 2.x keys: they were in use, so they are active and (presumably) published.
        op.execute(
            "INSERT INTO admin_dkimkey (domain_id, selector, key_length, public_key, "
            "private_key_path, state, published, created, activated_at) "
            "SELECT id, dkim_key_selector, COALESCE(dkim_key_length, 2048), dkim_public_key, "
            "dkim_private_key_path, 'active', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
            "FROM admin_domain WHERE dkim_public_key <> ''"
        )


def downgrade():
    op.drop_table("admin_dkimkey")
    with op.batch_alter_table("admin_domain", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column.name)
