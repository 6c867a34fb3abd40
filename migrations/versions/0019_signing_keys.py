"""signing keys in the database, private parts sealed with LICENSE_KEY_SECRET, so every host signs alike

Revision ID: 0019_signing_keys
Revises: 0018_refund_attempts
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_signing_keys"
down_revision = "0018_refund_attempts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kid", sa.String(16), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=True),
        sa.Column("endorsed_by", sa.String(16), nullable=True),
        sa.Column("endorsement", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signs_from", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("kid", name="uq_signing_keys_kid"),
    )


def downgrade():
    op.drop_table("signing_keys")
