"""control-panel installations of a license and their usage reports

Revision ID: 0006_installations
Revises: 0005_billing
"""

from alembic import op
import sqlalchemy as sa

revision = "0006_installations"
down_revision = "0005_billing"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("install_id", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=20), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=True),
        sa.Column("created_accounts", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["license_id"], ["licenses.id"], name=op.f("fk_installations_license_id_licenses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
        sa.UniqueConstraint("license_id", "slot", name="uq_installations_license_slot"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_installations_token_hash")),
    )
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_installations_license_id"), ["license_id"], unique=False)

    op.create_table(
        "usage_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_accounts", sa.Integer(), nullable=False),
        sa.Column("licensed_accounts", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"], ["installations.id"], name=op.f("fk_usage_reports_installation_id_installations")
        ),
        sa.ForeignKeyConstraint(["license_id"], ["licenses.id"], name=op.f("fk_usage_reports_license_id_licenses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_reports")),
    )
    with op.batch_alter_table("usage_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_reports_license_id"), ["license_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_reports_installation_id"), ["installation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("usage_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_reports_installation_id"))
        batch_op.drop_index(batch_op.f("ix_usage_reports_license_id"))
    op.drop_table("usage_reports")
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_installations_license_id"))
    op.drop_table("installations")
