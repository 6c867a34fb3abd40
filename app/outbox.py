"""What to send: an email as plain values, written to the outbox in the caller's transaction.

Domain code says which message goes to whom and with which facts; it renders nothing. The
worker draws the text and HTML from ``templates/email/<template>.{txt,html}`` when it sends
(``app/mail.py``). Values are JSON: ids, codes, email addresses, amounts in integer cents,
and times as ISO 8601 strings in UTC, which the ``date`` and ``datetime`` filters read.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from app.models import OutboxMessage


@dataclass(frozen=True)
class Email:
    recipient: str
    subject: str
    template: str
    values: dict = field(default_factory=dict)
    attachments: tuple = ()
    reply_to: str | None = None


def add(session, email):
    """Queue ``email`` in ``session``: it is sent once, after the transaction commits, or never."""
    message = OutboxMessage(
        recipient=email.recipient,
        subject=email.subject,
        reply_to=email.reply_to,
        template=email.template,
        template_values=plain(email.values),
        attachments=list(email.attachments),
    )
    session.add(message)
    return message


def plain(values):
    """``values`` as they are stored; a time becomes ISO 8601 text, anything else not JSON is refused."""
    return json.loads(json.dumps(values, default=_plain_time))


def _plain_time(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()
    raise TypeError(f"an email's values are plain JSON and aware datetimes, not {type(value).__name__}")
