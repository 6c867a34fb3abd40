"""What customers write to support, and the notes staff keep on a customer."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class SupportMessage(db.Model):
    """A message sent with Contact support, which opens a conversation: emailed to SUPPORT_EMAIL,
    answered in the console, and followed under Contact support."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")
    license = relationship("License")
    replies = relationship("SupportReply", back_populates="message", order_by="SupportReply.id")


class SupportReply(db.Model):
    """An answer in a support conversation: from staff in the console, or the customer's follow-up."""

    __tablename__ = "support_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("support_messages.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message = relationship("SupportMessage", back_populates="replies")
    author = relationship("User")


class CustomerNote(db.Model):
    """A note staff keep on a customer: who wrote it and when."""

    __tablename__ = "customer_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    customer = relationship("User", foreign_keys=[customer_id])
    author = relationship("User", foreign_keys=[author_id])
