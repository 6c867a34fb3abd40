"""Everyday help for a customer: notes kept by staff, a new confirmation link, a password reset."""

from sqlalchemy import select

from app import audit, outbox
from app.exceptions import PortalError
from app.models import CustomerNote, SupportMessage
from app.outbox import Email

MAX_NOTE_LENGTH = 5000


def add_note(session, actor, customer, body):
    body = (body or "").strip()
    if not body:
        raise PortalError("Write the note first: it was empty, so nothing was saved.")
    if len(body) > MAX_NOTE_LENGTH:
        raise PortalError(f"Keep a note under {MAX_NOTE_LENGTH:,} characters; nothing was saved.")
    note = CustomerNote(customer_id=customer.id, author_id=actor.id, body=body)
    session.add(note)
    audit.record(actor, audit.AuditAction.CUSTOMER_NOTE, customer=customer)
    return note


def resend_confirmation(session, actor, customer, link):
    """Email the customer a new confirmation link (``link``), unless the address is confirmed."""
    if customer.is_confirmed:
        raise PortalError(f"{customer.email} is already confirmed; no email was sent.")
    outbox.add(session, Email(customer.email, "Confirm your email address", "confirm", {"link": link}))
    audit.record(actor, audit.AuditAction.CUSTOMER_RESEND_CONFIRMATION, customer=customer)
    return customer


def send_password_reset(session, actor, customer, link):
    """Email the customer a link (``link``) to choose a new password."""
    if not customer.is_active:
        raise PortalError(f"{customer.email} is disabled; enable the account before sending a reset link.")
    outbox.add(session, Email(customer.email, "Reset your password", "reset", {"link": link}))
    audit.record(actor, audit.AuditAction.CUSTOMER_SEND_RESET, customer=customer)
    return customer


def notes_on(session, customer):
    return session.scalars(
        select(CustomerNote)
        .where(CustomerNote.customer_id == customer.id)
        .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc())
    ).all()


def messages_from(session, customer):
    return session.scalars(
        select(SupportMessage)
        .where(SupportMessage.user_id == customer.id)
        .order_by(SupportMessage.created_at.desc(), SupportMessage.id.desc())
    ).all()
