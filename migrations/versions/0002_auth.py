"""login failures per channel (web form / API token)

Revision ID: 0002_auth
Revises: 0002_mailconf
Create Date: 2026-12-07 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002_auth"
down_revision = "0002_mailconf"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_loginfailure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=10), server_default="web", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("core_loginfailure", schema=None) as batch_op:
        batch_op.drop_column("channel")
