"""billing details, tax on orders, invoices and credit notes with gapless numbers

Revision ID: 0010_invoices
Revises: 0009_contact_notes
"""

from alembic import op
import sqlalchemy as sa

revision = "0010_invoices"
down_revision = "0009_contact_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "billing_details",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(20), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("tax_id", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "document_counters",
        sa.Column("series", sa.String(10), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "billing_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("billing_documents.id"), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seller", sa.JSON(), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=False),
        sa.Column("license_code", sa.String(32), nullable=True),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("unit_cents", sa.Integer(), nullable=False),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tax_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_treatment", sa.String(20), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_brand", sa.String(30), nullable=True),
        sa.Column("card_last4", sa.String(4), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("order_id", "event", name="uq_billing_documents_order_event"),
    )
    op.create_index("ix_billing_documents_order_id", "billing_documents", ["order_id"])
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("net_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tax_rate_bp", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tax_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tax_treatment", sa.String(20), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("buyer", sa.JSON(), nullable=True))
    # Orders placed before tax existed were all net.
    op.execute("UPDATE orders SET net_cents = amount_cents")


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("buyer")
        batch_op.drop_column("tax_treatment")
        batch_op.drop_column("tax_cents")
        batch_op.drop_column("tax_rate_bp")
        batch_op.drop_column("net_cents")
    op.drop_index("ix_billing_documents_order_id", table_name="billing_documents")
    op.drop_table("billing_documents")
    op.drop_table("document_counters")
    op.drop_table("billing_details")
