"""Paying an order by card: the use cases behind the payment pages.

Each returns a small result value; the views only map it to HTTP. The rules
live here: which orders may still be paid, when an earlier attempt blocks a
new card, the idempotency key that makes a repeated submission one charge,
3-D Secure resumption, declines, and when the order page stops waiting for
the webhook and asks Stripe itself.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from app.billing.customers import new_setup_intent, stripe_customer
from app.billing.fulfilment import commit_exactly_once, settle_with_stripe
from app.billing.gateway import DECLINED, GatewayError
from app.billing.orders import PAYABLE, fail_order, record_payment, start_payment_attempt
from app.models import LicenseStatus, OrderStatus

log = logging.getLogger(__name__)

# Stripe's webhook usually arrives within a second or two; after this the order page asks Stripe itself.
WEBHOOK_GRACE = timedelta(seconds=5)
IN_FLIGHT = ("succeeded", "processing")
"""PaymentIntent states of an attempt that paid or may still pay: another card would charge twice."""
FAILED = (DECLINED, "requires_payment_method", "canceled")


class Paid(StrEnum):
    """How a card submission ended, for the view to answer."""

    REFUSED = "refused"  # the order may not be paid any more; `message` says why
    SETTLED = "settled"  # already paid, failed meanwhile, or an attempt is still in flight
    UNAVAILABLE = "unavailable"  # Stripe could not be reached: nothing was charged, try again
    REJECTED = "rejected"  # Stripe refused the request; `message` is Stripe's
    DECLINED = "declined"  # the card was declined; the order is failed and can be paid again
    NEEDS_AUTHENTICATION = "requires_action"  # 3-D Secure in the browser with `client_secret`
    SUBMITTED = "submitted"  # charged or processing: the webhook will confirm it


@dataclass(frozen=True)
class PaymentResult:
    outcome: Paid
    message: str | None = None
    client_secret: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class PayPage:
    """What the payment page needs: a new SetupIntent, and a 3-D Secure step to resume if one is open."""

    client_secret: str | None = None
    resume_secret: str | None = None
    go_to_order: bool = False
    refusal: str | None = None


def upgrade_refusal(license):
    """Why ``license`` cannot get more accounts now (revoked, or frozen by a dispute), or None."""
    if license is None:
        return None
    if license.status == LicenseStatus.REVOKED:
        return f"License {license.code} is revoked: it cannot be upgraded or paid for."
    if license.upgrades_frozen:
        return "Upgrades of this license are frozen while a payment dispute is open: pay this order later."
    return None


def payment_refusal(order):
    """Why an order placed earlier cannot be paid now (its license changed meanwhile), or None."""
    return upgrade_refusal(order.license)


def latest_payment(gateway, order):
    """The order's latest PaymentIntent as Stripe has it now; None if there is none or Stripe is away."""
    if not order.stripe_payment_intent_id:
        return None
    try:
        return gateway.retrieve_payment(order.stripe_payment_intent_id)
    except GatewayError as error:
        log.warning("payment of order %s not retrieved: %s", order.id, error.message)
        return None


def open_payment_page(session, gateway, order):
    """Prepare the card form of an unpaid order: a fresh SetupIntent, or why the form is not shown.

    Raises GatewayError when Stripe cannot make the SetupIntent.
    """
    if order.status not in PAYABLE:
        return PayPage(go_to_order=True)
    if refusal := payment_refusal(order):
        return PayPage(go_to_order=True, refusal=refusal)
    latest = latest_payment(gateway, order)
    if latest is not None and latest.status in IN_FLIGHT:
        return PayPage(go_to_order=True)
    resume_secret = (
        latest.client_secret if latest is not None and latest.status == "requires_action" else None
    )
    setup = new_setup_intent(session, gateway, order)
    return PayPage(client_secret=setup.client_secret, resume_secret=resume_secret)


def renew_card_setup(session, gateway, order):
    """A fresh SetupIntent for the next card, after a decline or a failed authentication.

    Raises GatewayError when Stripe cannot make it.
    """
    if order.status not in PAYABLE or payment_refusal(order):
        return PayPage(go_to_order=True)
    return PayPage(client_secret=new_setup_intent(session, gateway, order).client_secret)


def pay_with_card(session, gateway, order, payment_method, now):
    """Charge the card that Stripe.js set up for ``order``: one PaymentIntent per order and card.

    Commits twice: the attempt is on record before Stripe is asked (so the order page knows to
    look for the payment), and Stripe's answer is recorded once it comes.
    """
    if refusal := payment_refusal(order):
        return PaymentResult(Paid.REFUSED, message=refusal)
    if order.status not in PAYABLE or _payment_in_flight(gateway, order):
        return PaymentResult(Paid.SETTLED, status=order.status)
    if not start_payment_attempt(session, order, now):
        return PaymentResult(Paid.SETTLED, status=order.status)
    session.commit()
    try:
        payment = gateway.create_payment(
            order_id=order.id,
            amount_cents=order.amount_cents,
            currency=order.currency,
            customer_id=stripe_customer(session, gateway, order.user),
            payment_method_id=payment_method,
            # The same card on the same order gets Stripe's first answer again, never a second charge.
            idempotency_key=f"order-{order.id}-{payment_method}",
        )
    except GatewayError as error:
        log.warning("payment of order %s not made: %s", order.id, error.message)
        return PaymentResult(Paid.UNAVAILABLE if error.retryable else Paid.REJECTED, message=error.message)
    record_payment(order, payment)
    if payment.status in FAILED:
        message = payment.decline_message or "Your card was declined."
        fail_order(session, order, message)
        session.commit()
        return PaymentResult(Paid.DECLINED, message=message)
    session.commit()
    if payment.status == "requires_action":
        return PaymentResult(Paid.NEEDS_AUTHENTICATION, client_secret=payment.client_secret)
    return PaymentResult(Paid.SUBMITTED, status=payment.status)


def waiting_for_confirmation(order):
    """A card was submitted and the order waits for Stripe's word."""
    return order.status == OrderStatus.PENDING and order.payment_attempted_at is not None


def catch_up_with_stripe(session, gateway, order, settings, now):
    """Fulfil (or fail) a pending order from Stripe's own record when its webhook is late."""
    attempted = order.payment_attempted_at
    if order.status != OrderStatus.PENDING or not order.stripe_payment_intent_id or attempted is None:
        return None
    if now - attempted < WEBHOOK_GRACE:
        return None
    payment = latest_payment(gateway, order)
    if payment is None:
        return None
    return commit_exactly_once(session, lambda: settle_with_stripe(session, order, payment, settings, now))


def _payment_in_flight(gateway, order):
    """An earlier attempt that succeeded or is still processing: a new card would charge twice."""
    if order.status != OrderStatus.PENDING:
        return False
    latest = latest_payment(gateway, order)
    return latest is not None and latest.status in IN_FLIGHT
