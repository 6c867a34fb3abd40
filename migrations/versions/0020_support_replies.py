"""support replies: a Contact support message opens a conversation that support answers in the console

Revision ID: 0020_support_replies
Revises: 0019_signing_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_support_replies"
down_revision = "0019_signing_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "support_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("support_messages.id"), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("support_replies") as batch:
        batch.create_index("ix_support_replies_message_id", ["message_id"])


def downgrade():
    with op.batch_alter_table("support_replies") as batch:
        batch.drop_index("ix_support_replies_message_id")
    op.drop_table("support_replies")
