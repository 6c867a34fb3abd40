"""indexes for the console's lists and the audit trails at 100,000 rows; trigram search on PostgreSQL

Revision ID: 0012_bench_indexes
Revises: 0011_payment_attempts

- orders by date (the console's orders list sorts on created_at, id), and a customer's orders by
  date (their order history and the console's customer page);
- audit entries by actor and date (the audit log's actor filter), by license and by order
  (the audit trails on the license and order pages);
- users by date (the customer list) and by role (the staff in the audit log's actor filter);
- on PostgreSQL only, trigram indexes (pg_trgm) for the console's search by part of an email,
  a company or a license code (``ILIKE '%text%'``). SQLite has no such index: there the search
  reads the users table (docs/performance.md).
"""

from alembic import op

revision = "0012_bench_indexes"
down_revision = "0011_payment_attempts"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_orders_created_at_id", "orders", ["created_at", "id"]),
    ("ix_orders_user_id_created_at", "orders", ["user_id", "created_at", "id"]),
    ("ix_audit_log_actor_id_created_at", "audit_log", ["actor_id", "created_at", "id"]),
    ("ix_audit_log_license_id", "audit_log", ["license_id"]),
    ("ix_audit_log_order_id", "audit_log", ["order_id"]),
    ("ix_users_created_at", "users", ["created_at"]),
    ("ix_users_role", "users", ["role"]),
)

TRIGRAM_INDEXES = (
    ("ix_users_email_trgm", "users", "email"),
    ("ix_users_company_trgm", "users", "company"),
    ("ix_licenses_code_trgm", "licenses", "code"),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name == "postgresql":
        # Needs a role that may create the extension (the owner of the database on PostgreSQL 13+
        # when pg_trgm is trusted, as it is by default).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM_INDEXES:
            op.create_index(
                name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ in TRIGRAM_INDEXES:
            op.drop_index(name, table_name=table)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
