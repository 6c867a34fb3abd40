"""events applied by the worker: retries and failures kept per event, one Message-ID per email, one run per period

Revision ID: 0021_events_in_worker
Revises: 0020_support_replies
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_events_in_worker"
down_revision = "0020_support_replies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stripe_events") as batch:
        batch.add_column(sa.Column("object_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_stripe_events_object_id", ["object_id"])
        batch.create_index("ix_stripe_events_processed_at", ["processed_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.String(255), nullable=True))
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("job", "period_start", name="uq_job_runs_job_period"),
    )


def downgrade():
    op.drop_table("job_runs")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("message_id")
    with op.batch_alter_table("stripe_events") as batch:
        batch.drop_index("ix_stripe_events_processed_at")
        batch.drop_index("ix_stripe_events_object_id")
        batch.drop_column("failed_at")
        batch.drop_column("next_attempt_at")
        batch.drop_column("failures")
        batch.drop_column("object_id")
