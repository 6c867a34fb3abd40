"""the outbox keeps what to send (a template and its values); the worker draws the bodies

Revision ID: 0017_outbox_templates
Revises: 0016_webhook_outcome_codes

A message is queued with its template's name and values, and the worker renders its text and
HTML when it sends, keeping them on the row. Rows queued before this have their bodies and no
template, and are sent as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_outbox_templates"
down_revision = "0016_webhook_outcome_codes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("template", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("template_values", sa.JSON(), nullable=True))
        batch.alter_column("text_body", existing_type=sa.Text(), nullable=True)
        batch.alter_column("html_body", existing_type=sa.Text(), nullable=True)


def downgrade():
    waiting = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM outbox WHERE text_body IS NULL AND status = 'queued'"))
    if waiting:
        raise RuntimeError(f"{waiting} queued email(s) are not rendered yet: send them first (flask outbox send).")
    op.execute("UPDATE outbox SET text_body = '', html_body = '' WHERE text_body IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("html_body", existing_type=sa.Text(), nullable=False)
        batch.alter_column("text_body", existing_type=sa.Text(), nullable=False)
        batch.drop_column("template_values")
        batch.drop_column("template")
