"""Support conversations: a Contact support message, support's replies and the customer's follow-ups.

Plain functions taking a session; the caller commits. Support replies in the console; the
customer reads the thread under Contact support and gets each reply by email, which links to
the thread (replies by email are not read).
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import outbox
from app.exceptions import PortalError
from app.models import SupportMessage, SupportReply
from app.outbox import Email

MAX_REPLY = 10_000


class EmptyReply(PortalError):
    """A reply with nothing in it."""


def _checked(body):
    body = (body or "").strip()
    if not body:
        raise EmptyReply("Write the reply first.")
    if len(body) > MAX_REPLY:
        raise EmptyReply(f"Keep the reply under {MAX_REPLY:,} characters.")
    return body


def reply_from_support(session, staff, message, body):
    """Add support's answer to the conversation and email it to the customer, with a link to the thread."""
    reply = SupportReply(message=message, author_id=staff.id, from_staff=True, body=_checked(body))
    session.add(reply)
    session.flush()
    outbox.add(
        session,
        Email(
            message.user.email,
            f"Re: {message.subject} [Support #{message.id}]",
            "support_reply",
            {"message_id": message.id, "message_subject": message.subject, "reply_body": reply.body},
        ),
    )
    return reply


def follow_up(session, user, message, body, support_email):
    """The customer's answer in their own conversation, sent on to support like the first message."""
    reply = SupportReply(message=message, author_id=user.id, from_staff=False, body=_checked(body))
    session.add(reply)
    session.flush()
    outbox.add(
        session,
        Email(
            support_email,
            f"Re: [Support #{message.id}] {message.subject}",
            "support_follow_up",
            {
                "message_id": message.id,
                "customer_email": user.email,
                "message_subject": message.subject,
                "reply_body": reply.body,
            },
            reply_to=user.email,
        ),
    )
    return reply


def conversations():
    """Every conversation, the newest first, with its customer, license and replies."""
    return (
        select(SupportMessage)
        .options(
            selectinload(SupportMessage.user),
            selectinload(SupportMessage.license),
            selectinload(SupportMessage.replies),
        )
        .order_by(SupportMessage.created_at.desc(), SupportMessage.id.desc())
    )


def waiting_for_support(message):
    """Support has not answered the customer's last word yet."""
    return not message.replies or not message.replies[-1].from_staff
