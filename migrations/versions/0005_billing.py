"""when the latest payment attempt of an order started

Revision ID: 0005_billing
Revises: 0004_trials_audit
"""

from alembic import op
import sqlalchemy as sa

revision = "0005_billing"
down_revision = "0004_trials_audit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("payment_attempted_at")
