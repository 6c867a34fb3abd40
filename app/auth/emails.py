"""Emails sent to an address whoever asks (reset links, "already registered"): capped per address."""

from datetime import timedelta

from flask import url_for
from sqlalchemy import func, select

from app import outbox
from app.auth.tokens import reset_state, reset_tokens
from app.models import OutboxMessage, User
from app.models.user import normalize_email
from app.outbox import Email

RESET_SUBJECT = "Reset your password"
# Emails to one address per hour, whoever asks: password resets, "already registered" notes.
EMAILS_PER_ADDRESS_PER_HOUR = 3


def emails_sent_recently(session, address, subject, now):
    """How many emails with ``subject`` went to ``address`` in the past hour (the outbox keeps them)."""
    return session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == address,
            OutboxMessage.subject == subject,
            OutboxMessage.created_at > now - timedelta(hours=1),
        )
    )


def send_reset_link(session, config, email, now):
    """Queue a reset link to ``email`` if an active account has it and the cap allows; the caller commits.

    Run by the worker after the request has answered, so that the answer takes the same time
    whether the address has an account or not.
    """
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        return False
    if emails_sent_recently(session, user.email, RESET_SUBJECT, now) >= EMAILS_PER_ADDRESS_PER_HOUR:
        return False
    token = reset_tokens(config).make(user.id, reset_state(user))
    link = url_for("auth.reset_password", token=token, _external=True)
    outbox.add(session, Email(user.email, RESET_SUBJECT, "reset", {"link": link}))
    return True
