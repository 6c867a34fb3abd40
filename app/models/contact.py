"""What customers write to support, and the notes staff keep on a customer."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class SupportMessage(db.Model):
    """A message sent with Contact support; emailed to SUPPORT_EMAIL and shown in the console."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")
    license = relationship("License")


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
