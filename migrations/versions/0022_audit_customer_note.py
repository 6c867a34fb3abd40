"""audit entries keep what the customer was told apart from the internal reason

Revision ID: 0022_audit_customer_note
Revises: 0021_events_in_worker
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_audit_customer_note"
down_revision = "0021_events_in_worker"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("customer_note", sa.Text(), nullable=True))
    # Trial approvals and direct trials kept the note sent to the customer as their reason.
    op.execute(
        "UPDATE audit_log SET customer_note = reason, reason = NULL"
        " WHERE action IN ('trial.approve', 'trial.issue') AND reason IS NOT NULL"
    )


def downgrade():
    op.execute(
        "UPDATE audit_log SET reason = customer_note"
        " WHERE action IN ('trial.approve', 'trial.issue') AND customer_note IS NOT NULL"
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("customer_note")
