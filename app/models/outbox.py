"""Email messages waiting to be sent, written in the transaction that causes them."""

from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


def new_message_id():
    return make_msgid(domain="license-portal")


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # What to send: the template under templates/email/ and its values (app/outbox.py).
    template: Mapped[str | None] = mapped_column(String(100))
    template_values: Mapped[dict | None] = mapped_column(JSON)
    # Drawn from the template by the worker when it sends, and kept as sent.
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "content_type": ..., "content": text, "encoding": "base64" for a binary file}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    # Fixed when the message is queued and sent with every attempt: a copy sent again after a worker
    # died mid-send carries the same Message-ID, so the receiving server or client can drop it.
    message_id: Mapped[str | None] = mapped_column(String(255), default=new_message_id)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A worker sending the message holds it until then; after that another may take it.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After a transient failure, not tried again before then (backoff).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.status} {self.subject!r}>"
