"""when each user first had a staff role, so the audit log's actor filter reads no audit entries

Revision ID: 0013_staff_since
Revises: 0012_bench_indexes

The actor filter listed current staff and anyone the log shows invited or moved to a staff role;
reading the log for that could scan it whole. Existing staff get their account's creation time;
former staff the time of their earliest invitation or role change in the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_staff_since"
down_revision = "0012_bench_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("staff_since", sa.DateTime(timezone=True), nullable=True))
    # Partial: the few users who have had a staff role, by email; a full index on staff_since
    # would hold a NULL for every customer, and SQLite's planner would pass it by.
    has_been_staff = sa.text("staff_since IS NOT NULL")
    op.create_index(
        "ix_users_staff_email",
        "users",
        ["email"],
        sqlite_where=has_been_staff,
        postgresql_where=has_been_staff,
    )
    op.execute(
        """
        UPDATE users SET staff_since = COALESCE(
            (SELECT MIN(audit_log.created_at) FROM audit_log
              WHERE audit_log.customer_id = users.id
                AND audit_log.action IN ('staff.invite', 'staff.role')),
            CASE WHEN users.role IN ('support', 'admin') THEN users.created_at END)
        WHERE users.role IN ('support', 'admin')
           OR users.id IN (SELECT customer_id FROM audit_log
                            WHERE action IN ('staff.invite', 'staff.role') AND customer_id IS NOT NULL)
        """
    )


def downgrade():
    op.drop_index("ix_users_staff_email", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("staff_since")
