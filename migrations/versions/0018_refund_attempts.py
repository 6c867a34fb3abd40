"""refund attempts: each refund claimed before Stripe is called, and refunds kept until their order is known

Revision ID: 0018_refund_attempts
Revises: 0017_outbox_templates
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_refund_attempts"
down_revision = "0017_outbox_templates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refund_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("claim", sa.String(300), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("stripe_refund_id", sa.String(255), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("packs", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("claim", name="uq_refund_attempts_claim"),
        sa.UniqueConstraint("idempotency_key", name="uq_refund_attempts_idempotency_key"),
        sa.UniqueConstraint("stripe_refund_id", name="uq_refund_attempts_stripe_refund_id"),
    )
    op.create_index("ix_refund_attempts_order_id", "refund_attempts", ["order_id"])
    op.create_index(
        "ix_refund_attempts_stripe_payment_intent_id", "refund_attempts", ["stripe_payment_intent_id"]
    )


def downgrade():
    op.drop_table("refund_attempts")
