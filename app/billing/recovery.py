"""What ``flask billing reconcile`` does beyond settling orders with a known payment.

- Unpaid orders older than ``ORDER_EXPIRY_HOURS`` are cancelled, with any open
  PaymentIntent cancelled at Stripe first.
- An attempt whose request never came back (the server stopped) is freed.
- Payments whose id the portal never saved are found through the customer's
  charges and their ``order_id`` metadata, and settled like any other: the
  order is fulfilled once, and an extra payment is refunded.
- Stored webhook events whose processing was cut short are processed again.

Each function returns lines saying what it did, for the command to print.
"""

from datetime import timedelta

from sqlalchemy import func, select

from app import audit
from app.billing import payments
from app.billing.fulfilment import commit_exactly_once, fulfil_order
from app.billing.gateway import GatewayError, PaymentStatus
from app.billing.orders import PAYABLE, UNPAID, end_payment_attempt
from app.billing.webhooks import receive_event
from app.models import Order, OrderStatus, StripeEvent, User

LOST_PAYMENT_LOOKBACK = timedelta(days=7)


def expire_orders(session, gateway, now, hours):
    """Cancel the unpaid orders placed more than `hours` ago."""
    expired = session.scalars(
        select(Order)
        .where(Order.status.in_(PAYABLE), Order.created_at <= now - timedelta(hours=hours))
        .order_by(Order.id)
    ).all()
    lines = []
    for order in expired:
        reason = f"Not paid within {hours} hours: cancelled automatically."
        refusal = payments.cancel(session, gateway, order, reason)
        if refusal is None:
            audit.record(audit.SYSTEM, audit.AuditAction.ORDER_EXPIRE, order=order, reason=reason)
            session.commit()
        lines.append(
            f"Order {order.id}: {'expired, cancelled' if refusal is None else 'not expired: ' + refusal}"
        )
    return lines


def free_stuck_attempts(session, now):
    """Attempts claimed long ago whose request never reported Stripe's answer: the order waits again."""
    stuck = session.scalars(
        select(Order).where(
            Order.status == OrderStatus.PROCESSING,
            Order.stripe_payment_intent_id.is_(None),
            Order.payment_attempted_at <= now - payments.STUCK_AFTER,
        )
    ).all()
    lines = []
    for order in stuck:
        if end_payment_attempt(session, order):
            lines.append(f"Order {order.id}: an interrupted payment attempt was freed")
    session.commit()
    return lines


def find_lost_payments(session, gateway, settings, now):
    """Settle succeeded payments the portal never heard of, by the customers' charges at Stripe."""
    since = now - LOST_PAYMENT_LOOKBACK
    customers = session.scalars(
        select(User)
        .join(Order, Order.user_id == User.id)
        .where(
            User.stripe_customer_id.is_not(None),
            func.coalesce(Order.payment_attempted_at, Order.created_at) >= since,
            Order.status.in_((*UNPAID, OrderStatus.CANCELLED, OrderStatus.PAID)),
        )
        .distinct()
    ).all()
    known = set(
        session.scalars(
            select(Order.stripe_payment_intent_id).where(Order.stripe_payment_intent_id.is_not(None))
        )
    )
    lines = []
    for user in customers:
        try:
            found = gateway.customer_payments(user.stripe_customer_id)
        except GatewayError as error:
            lines.append(f"Customer {user.id}: payments not listed: {error.message}")
            continue
        for payment in found:
            if (
                payment.status != PaymentStatus.SUCCEEDED
                or payment.id in known
                or not (payment.order_id or "").isdigit()
            ):
                continue
            if payment.amount_refunded >= payment.amount:
                continue  # the money went back already: the order stays unpaid (and expires)
            order = session.get(Order, int(payment.order_id))
            if order is None or order.user_id != user.id or payment.customer_id != user.stripe_customer_id:
                continue
            outcome = _settle(session, order, payment, settings, now)
            lines.append(f"Order {order.id} ({payment.id}, found at Stripe): {outcome}")
    return lines


def _settle(session, order, payment, settings, now):
    try:
        return commit_exactly_once(session, lambda: fulfil_order(session, order, payment, settings, now))
    except GatewayError as error:
        session.rollback()
        return f"not settled: {error.message}"


def reprocess_events(session, settings, now, older_than):
    """Process again the stored events whose processing was cut short (a crash, a failure)."""
    events = session.scalars(
        select(StripeEvent)
        .where(StripeEvent.processed_at.is_(None), StripeEvent.received_at <= now - older_than)
        .order_by(StripeEvent.id)
    ).all()
    lines = []
    for event in events:
        payload = event.payload
        delivery = receive_event(session, payload, settings, now)
        lines.append(f"Event {payload.get('id')} ({payload.get('type')}): {delivery.outcome}")
    return lines
