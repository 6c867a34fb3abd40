"""Refunds: each attempt the portal makes at Stripe, and refunds reported before their order was known."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class RefundKind(StrEnum):
    FULL = "full"  # support refunds the order in full (or what a partial refund left)
    PACKS = "packs"  # support refunds some of the order's packs
    EXTRA = "extra"  # a payment the order does not need, refunded in full (automatically or by support)
    KEPT = "kept"  # Stripe reported a refund of a payment whose order the portal did not know yet


class RefundStatus(StrEnum):
    CLAIMED = "claimed"  # on record before Stripe is asked: no second attempt may start
    APPLIED = "applied"  # Stripe refunded it and the order (and license) show it
    FAILED = "failed"  # Stripe refused it; nothing changed
    KEPT = "kept"  # waiting for its order to be found (the payment's success, reconcile)


class RefundAttempt(db.Model):
    """One refund, claimed before Stripe is called, applied to the order once.

    ``claim`` names the state the refund starts from ("order-17-after-0": the
    first refund of order 17, "extra-pi_…": that extra payment) and is unique
    while the attempt stands, so a double click, two agents or a retry find
    the attempt already made instead of making another; a failed attempt
    gives it up (None). ``idempotency_key`` is the attempt's own at Stripe,
    and its id travels in the refund's metadata, so Stripe's
    ``charge.refunded`` is matched to it.
    """

    __tablename__ = "refund_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    stripe_payment_intent_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=RefundStatus.CLAIMED)
    claim: Mapped[str | None] = mapped_column(String(300), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # None: the whole rest of the payment.
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    packs: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order = relationship("Order")
    actor = relationship("User")

    def __repr__(self):
        return f"<RefundAttempt {self.id} {self.kind} {self.status} order {self.order_id}>"
