"""outbox messages are claimed with a lease and retried with backoff

Revision ID: 0006_outbox_claims
Revises: 0006_installations
"""

from alembic import op
import sqlalchemy as sa

revision = "0007_outbox_claims"
down_revision = "0006_installations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claimed_until")
