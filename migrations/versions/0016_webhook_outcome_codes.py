"""each stored webhook event keeps its outcome's short code beside the sentence

Revision ID: 0016_webhook_outcome_codes
Revises: 0015_drop_records_versions

The metrics label webhook events by this code: the sentence can name a payment, so a label made
of it grew with every flagged payment. Events processed before keep their sentence and get the
code their sentence begins with; a sentence of no known kind gets "unknown".
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_webhook_outcome_codes"
down_revision = "0015_drop_records_versions"
branch_labels = None
depends_on = None

# (the code, a LIKE pattern of the sentences that had it), first match wins.
CODES = (
    ("already_fulfilled", "already fulfilled"),
    ("already_processed", "already processed"),
    ("fulfilled", "fulfilled"),
    ("extra_refunded", "flagged: Extra payment refunded%"),
    ("flagged", "flagged:%"),
    ("ignored", "ignored:%"),
    ("order_failed", "order failed"),
    ("refunded", "order refunded"),
    ("partial_refund", "partial refund recorded%"),
    ("dispute_opened", "order disputed%"),
    ("dispute_won", "dispute won%"),
    ("dispute_lost", "dispute lost%"),
    ("unchanged", "unchanged:%"),
    ("waiting", "waiting:%"),
)


def upgrade():
    with op.batch_alter_table("stripe_events") as batch:
        batch.add_column(sa.Column("outcome_code", sa.String(length=30), nullable=True))
    cases = " ".join(f"WHEN outcome LIKE '{pattern}' THEN '{code}'" for code, pattern in CODES)
    op.execute(f"UPDATE stripe_events SET outcome_code = CASE {cases} ELSE 'unknown' END WHERE outcome IS NOT NULL")


def downgrade():
    with op.batch_alter_table("stripe_events") as batch:
        batch.drop_column("outcome_code")
