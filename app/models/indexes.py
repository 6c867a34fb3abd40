"""Indexes for the lists staff and customers page through (migration 0010), declared apart from
the tables so that the models say what a row is and this module says how the lists find rows."""

from sqlalchemy import Index

from app.models.license import License
from app.models.order import Order
from app.models.support import AuditEntry
from app.models.user import User

LIST_INDEXES = (
    Index("ix_orders_created_at_id", Order.created_at, Order.id),
    Index("ix_orders_user_id_created_at", Order.user_id, Order.created_at, Order.id),
    Index("ix_audit_log_actor_id_created_at", AuditEntry.actor_id, AuditEntry.created_at, AuditEntry.id),
    Index("ix_audit_log_license_id", AuditEntry.license_id),
    Index("ix_audit_log_order_id", AuditEntry.order_id),
    Index("ix_users_created_at", User.created_at),
    Index("ix_users_role", User.role),
    # Partial: only the few users who have had a staff role, by email (the audit log's staff filter).
    # A full index on staff_since would be one NULL for every customer, which SQLite's planner skips.
    Index(
        "ix_users_staff_email",
        User.email,
        sqlite_where=User.staff_since.is_not(None),
        postgresql_where=User.staff_since.is_not(None),
    ),
)

# The console's search by part of an email, company or license code; PostgreSQL only (pg_trgm).
TRIGRAM_INDEXES = tuple(
    Index(
        f"ix_{column.table.name}_{column.name}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column.name: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")
    for column in (User.email, User.company, License.code)
)
