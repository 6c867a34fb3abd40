"""Orders for accounts, paid by card through Stripe, and the Stripe events about them."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, UTCDateTime, utcnow


class OrderStatus(LabelledEnum):
    """An order's state, stored as its value, with its label: the customer's and support's word for it."""

    PENDING = "pending", "pending"
    PROCESSING = "processing", "being paid"  # a card submission holds the order while Stripe is asked
    PAID = "paid", "paid"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"
    REFUNDED = "refunded", "refunded"
    DISPUTED = "disputed", "disputed"


ORDER_STATUSES = tuple(OrderStatus)

ORDER_TRANSITIONS = {
    OrderStatus.PENDING: {
        OrderStatus.PROCESSING,
        OrderStatus.PAID,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.PROCESSING: {OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FAILED},
    OrderStatus.FAILED: {OrderStatus.PROCESSING, OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.DISPUTED, OrderStatus.REFUNDED},
    OrderStatus.DISPUTED: {OrderStatus.PAID, OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}
"""The states an order may move to from each state; ``move_order`` enforces it.

A payment may succeed whatever the portal last heard (pending, being paid,
failed); a paid order is never payable again; cancelled and refunded are final.
"""


def _net_default(context):
    """An order placed without tax is all net."""
    return context.get_current_parameters()["amount_cents"]


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # None until a new license is paid for; set at once for an upgrade.
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "new" license or "upgrade"
    accounts: Mapped[int] = mapped_column(Integer)
    packs: Mapped[int] = mapped_column(Integer)
    # The total charged: net_cents plus tax_cents, computed once when the order is placed.
    amount_cents: Mapped[int] = mapped_column(Integer)
    net_cents: Mapped[int] = mapped_column(Integer, default=_net_default)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points: 1900 is 19 %
    tax_cents: Mapped[int] = mapped_column(Integer, default=0)
    tax_treatment: Mapped[str] = mapped_column(String(20), default="none")
    # The buyer's billing details when the order was placed: its tax and its invoice follow them.
    buyer: Mapped[dict | None] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default=OrderStatus.PENDING, index=True)
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    card_brand: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    failure_message: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Accounts taken off the license by refunds so far (a partial refund by packs, then the rest).
    refunded_accounts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the customer last submitted a card: the webhook is given a moment after it.
    payment_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
    license = relationship("License")
    attempts = relationship("PaymentAttempt", order_by="PaymentAttempt.id", back_populates="order")

    @property
    def status_label(self):
        return OrderStatus(self.status).label

    def __repr__(self):
        return f"<Order {self.id} {self.status} {self.accounts}>"


class PaymentAttempt(db.Model):
    """A PaymentIntent made for an order: every attempt is kept, not only the latest."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    stripe_payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    # The charge, once the payment has one: support may be given either id.
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order = relationship("Order", back_populates="attempts")


class StripeEvent(db.Model):
    """Every verified webhook delivery, stored before it is handled."""

    __tablename__ = "stripe_events"
    __table_args__ = (UniqueConstraint("stripe_id", name="uq_stripe_events_stripe_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON)
    # The id of the object the event is about (a PaymentIntent, a charge): what the order page looks for.
    object_id: Mapped[str | None] = mapped_column(String(255), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The worker's failed tries, when the next is due, and when it gave up (then it waits for an operator).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What processing did: the sentence for people, and its short code (app/billing/outcomes.py).
    outcome: Mapped[str | None] = mapped_column(String(100))
    outcome_code: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
