"""The audit log: every staff action, written in the same transaction as the action."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditEntry


def entries():
    """Audit entries newest first, with who and what they are about loaded in a few queries."""
    return (
        select(AuditEntry)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .options(
            selectinload(AuditEntry.actor),
            selectinload(AuditEntry.customer),
            selectinload(AuditEntry.license),
            selectinload(AuditEntry.order),
        )
    )


def record(actor, action, *, customer=None, license=None, order=None, reason=None, **details):
    """Add an audit entry to the session; the caller commits it with the action itself."""
    if customer is None and license is not None:
        customer = license.owner
    if customer is None and order is not None:
        customer = order.user
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        customer_id=customer.id if customer is not None else None,
        license_id=license.id if license is not None else None,
        order_id=order.id if order is not None else None,
        reason=reason,
        details=details,
    )
    db.session.add(entry)
    return entry
