"""every PaymentIntent made for an order, with its charge; accounts refunded per order

Revision ID: 0011_payment_attempts
Revises: 0010_invoices
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_payment_attempts"
down_revision = "0010_invoices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(255), nullable=False),
        sa.Column("stripe_charge_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("stripe_payment_intent_id", name="uq_payment_attempts_stripe_payment_intent_id"),
    )
    op.create_index("ix_payment_attempts_order_id", "payment_attempts", ["order_id"])
    op.create_index("ix_payment_attempts_stripe_charge_id", "payment_attempts", ["stripe_charge_id"])
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("refunded_accounts", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE orders SET refunded_accounts = accounts WHERE status = 'refunded'")
    # The payments already known: each order's latest PaymentIntent.
    op.execute(
        "INSERT INTO payment_attempts (order_id, stripe_payment_intent_id, created_at) "
        "SELECT id, stripe_payment_intent_id, COALESCE(payment_attempted_at, created_at) "
        "FROM orders WHERE stripe_payment_intent_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("refunded_accounts")
    op.drop_table("payment_attempts")
