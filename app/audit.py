"""The audit log: every staff action, and what the portal does on its own (the actor "system"),
written in the same transaction as the action."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditEntry
from app.models.base import LabelledEnum


class AuditAction(LabelledEnum):
    """What an audit entry records, stored as its value, with the log's words for it (``label``).

    The audit log's filter offers every member; ``record`` takes no other action.
    """

    TRIAL_APPROVE = "trial.approve", "approved a trial"
    TRIAL_DENY = "trial.deny", "denied a trial"
    TRIAL_ISSUE = "trial.issue", "issued a trial"
    TRIAL_EXTEND = "trial.extend", "extended a trial"
    LICENSE_REVOKE = "license.revoke", "revoked a license"
    LICENSE_REINSTATE = "license.reinstate", "reinstated a license"
    INSTALLATION_RELEASE = "installation.release", "released a server"
    ORDER_REFUND = "order.refund", "refunded an order"
    ORDER_PARTIAL_REFUND = "order.partial_refund", "refunded part of an order"
    ORDER_CANCEL = "order.cancel", "cancelled an order"
    ORDER_EXPIRE = "order.expire", "cancelled an unpaid order automatically"
    ORDER_EXTRA_REFUND = "order.extra_refund", "refunded an extra payment automatically"
    ORDER_REFUND_EXTRA = "order.refund_extra", "refunded an extra payment"
    DOCUMENT_RESEND = "document.resend", "re-sent an invoice or credit note"
    STAFF_INVITE = "staff.invite", "invited a staff member"
    STAFF_ROLE = "staff.role", "changed a role"
    STAFF_DISABLE = "staff.disable", "disabled an account"
    STAFF_ENABLE = "staff.enable", "enabled an account"
    STAFF_TWO_FACTOR_RESET = "staff.two_factor_reset", "reset a second factor"
    CUSTOMER_NOTE = "customer.note", "added a note"
    CUSTOMER_RESEND_CONFIRMATION = "customer.resend_confirmation", "sent a new confirmation link"
    CUSTOMER_SEND_RESET = "customer.send_reset", "sent a password reset link"


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


SYSTEM = None  # the actor of what the portal does on its own


def record(
    actor, action, *, customer=None, license=None, order=None, reason=None, customer_note=None, **details
):
    """Add an audit entry to the session; the caller commits it with the action itself.

    ``actor`` is the staff member, or ``SYSTEM``; ``reason`` is for staff only, ``customer_note``
    what the customer was told.

    ``action`` is an ``AuditAction`` (or its value); any other raises ``ValueError``, so that every
    action in the log has a label and can be filtered.
    """
    action = AuditAction(action)
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
        customer_note=customer_note,
        details=details,
    )
    db.session.add(entry)
    return entry
