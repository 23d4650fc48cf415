"""identities list: index public aliases by (internal, address)

The identities list reads public aliases in address order and counts them; without this
index both scan every mailbox's self-alias (a full index scan at 500,000 mailboxes).

Revision ID: 0002_identities
Revises: 0001
"""

from alembic import op

revision = "0002_identities"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_alias", schema=None) as batch_op:
        batch_op.create_index("ix_admin_alias_internal_address", ["internal", "address"])


def downgrade():
    with op.batch_alter_table("admin_alias", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_alias_internal_address")
