"""DNS health: admin_mxrecord, admin_dnsblresult (Modoboa's), dns_domaincheck,
dns_domainverification

Revision ID: 0002_dns
Revises: 0002_auth
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_dns"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_mxrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=39), nullable=False),
        sa.Column("managed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["admin_domain.id"],
            name=op.f("fk_admin_mxrecord_domain_id_admin_domain"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_mxrecord")),
    )
    with op.batch_alter_table("admin_mxrecord", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_mxrecord_domain_id"), ["domain_id"])

    op.create_table(
        "admin_dnsblresult",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=254), nullable=False),
        sa.Column("mx_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["admin_domain.id"],
            name=op.f("fk_admin_dnsblresult_domain_id_admin_domain"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mx_id"],
            ["admin_mxrecord.id"],
            name=op.f("fk_admin_dnsblresult_mx_id_admin_mxrecord"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_dnsblresult")),
        sa.UniqueConstraint(
            "domain_id",
            "provider",
            "mx_id",
            name=op.f("uq_admin_dnsblresult_domain_id_provider_mx_id"),
        ),
    )
    with op.batch_alter_table("admin_dnsblresult", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_dnsblresult_domain_id"), ["domain_id"])
        batch_op.create_index(batch_op.f("ix_admin_dnsblresult_mx_id"), ["mx_id"])
        batch_op.create_index(batch_op.f("ix_admin_dnsblresult_provider"), ["provider"])
        batch_op.create_index(batch_op.f("ix_admin_dnsblresult_status"), ["status"])

    op.create_table(
        "dns_domaincheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("alerted", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["admin_domain.id"],
            name=op.f("fk_dns_domaincheck_domain_id_admin_domain"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dns_domaincheck")),
        sa.UniqueConstraint("domain_id", "check", name=op.f("uq_dns_domaincheck_domain_id_check")),
    )
    with op.batch_alter_table("dns_domaincheck", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dns_domaincheck_domain_id"), ["domain_id"])

    op.create_table(
        "dns_domainverification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("enable", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["admin_domain.id"],
            name=op.f("fk_dns_domainverification_domain_id_admin_domain"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dns_domainverification")),
        sa.UniqueConstraint("domain_id", name=op.f("uq_dns_domainverification_domain_id")),
    )


def downgrade():
    op.drop_table("dns_domainverification")
    op.drop_table("dns_domaincheck")
    op.drop_table("admin_dnsblresult")
    op.drop_table("admin_mxrecord")
