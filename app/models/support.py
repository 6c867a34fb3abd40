"""Trial requests and the audit log of staff actions."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class TrialRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


TRIAL_STATUSES = tuple(TrialRequestStatus)


class TrialRequest(db.Model):
    __tablename__ = "trial_requests"
    __table_args__ = (
        # One open or granted trial per customer, enforced by the database.
        Index(
            "uq_trial_requests_one_per_user",
            "user_id",
            unique=True,
            sqlite_where=db.text("status IN ('pending', 'approved')"),
            postgresql_where=db.text("status IN ('pending', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company: Mapped[str] = mapped_column(String(200))
    hostname: Mapped[str] = mapped_column(String(255))
    expected_accounts: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=TrialRequestStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    license = relationship("License")


class AuditEntry(db.Model):
    """A staff or system action: who did what, to which customer, license or order, and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    # Why, for staff only; what the customer was told (by email or on the order), kept apart.
    reason: Mapped[str | None] = mapped_column(Text)
    customer_note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # None: the portal itself acted (reconcile, a webhook), shown as "system".
    actor = relationship("User", foreign_keys=[actor_id])
    customer = relationship("User", foreign_keys=[customer_id])
    license = relationship("License")
    order = relationship("Order")
