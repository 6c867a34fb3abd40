"""What ``flask billing reconcile`` does beyond settling orders with a known payment.

- Unpaid orders older than ``ORDER_EXPIRY_HOURS`` are cancelled, with any open
  PaymentIntent cancelled at Stripe first.
- An attempt whose request never came back (the server stopped) is freed.
- Payments whose id the portal never saved are found in one listing of the
  recent PaymentIntents at Stripe, by their ``order_id`` metadata, and settled
  like any other: the order is fulfilled once, and an extra payment is refunded.
- Stored webhook events that no worker applied are applied (not those that
  failed for good: they wait for ``flask billing events --retry``).

Each function returns lines saying what it did, for the command to print.
"""

from datetime import timedelta

from sqlalchemy import select

from app import audit
from app.billing import event_log, payments
from app.billing.fulfilment import commit_exactly_once, fulfil_order
from app.billing.gateway import GatewayError, PaymentStatus
from app.billing.orders import PAYABLE, UNPAID, end_payment_attempt
from app.billing.webhooks import handle_event
from app.models import Order, OrderStatus, StripeEvent

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
    """Settle succeeded payments the portal never heard of, found among recent PaymentIntents at Stripe."""
    try:
        found = gateway.recent_order_payments(now - LOST_PAYMENT_LOOKBACK)
    except GatewayError as error:
        return [f"Recent payments not listed: {error.message}"]
    known = set(
        session.scalars(
            select(Order.stripe_payment_intent_id).where(
                Order.stripe_payment_intent_id.in_([payment.id for payment in found])
            )
        )
    )
    lines = []
    for listed in found:
        if listed.status != PaymentStatus.SUCCEEDED or listed.id in known or not listed.order_id.isdigit():
            continue
        order = session.get(Order, int(listed.order_id))
        # Another installation sharing the Stripe account numbers its orders too.
        if order is None or order.status not in (*UNPAID, OrderStatus.CANCELLED, OrderStatus.PAID):
            continue
        if order.user.stripe_customer_id is None or listed.customer_id != order.user.stripe_customer_id:
            continue
        try:
            payment = gateway.retrieve_payment(listed.id)  # with its charge: what was refunded already
        except GatewayError as error:
            lines.append(f"Order {order.id} ({listed.id}): not checked: {error.message}")
            continue
        if payment.amount_refunded >= payment.amount:
            continue  # the money went back already: the order stays unpaid (and expires)
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
    """Apply the stored events that no worker applied (a crash, a queue that was down)."""
    events = session.execute(
        select(StripeEvent.id, StripeEvent.stripe_id, StripeEvent.type)
        .where(*event_log.unapplied(now, older_than))
        .order_by(StripeEvent.id)
    ).all()
    lines = []
    for event_id, stripe_id, event_type in events:
        applied = event_log.apply_event(
            session, event_id, lambda payload: handle_event(session, payload, settings, now), now
        )
        lines.append(f"Event {stripe_id} ({event_type}): {applied.outcome}")
    return lines
