"""Paying an order: the pay page, each attempt with a card, and asking Stripe when the webhook is late.

The use cases return small frozen values saying what happened; the views
only turn those into pages and HTTP answers. Plain functions taking a
session and the gateway; they commit where an attempt must be on record
before Stripe is asked.
"""

import logging
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import object_session

from app.billing.customers import new_setup_intent, stripe_customer
from app.billing.fulfilment import commit_exactly_once, refund_extra_payment, settle_with_stripe
from app.billing.gateway import GatewayError, PaymentInfo, PaymentStatus
from app.billing.orders import (
    AWAITING_STRIPE,
    PAYABLE,
    SETTLED,
    cancel_order,
    end_payment_attempt,
    fail_order,
    record_payment,
    start_payment_attempt,
)
from app.exceptions import PortalError
from app.models import LicenseStatus, Order, OrderStatus

log = logging.getLogger(__name__)

WEBHOOK_GRACE = timedelta(seconds=5)
"""Stripe's webhook usually arrives within a second or two; after this the order page asks Stripe itself."""

IN_FLIGHT = (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING)
"""PaymentIntent states of an attempt that charged or may still charge: a new card would charge twice."""

NOT_CHARGED = (PaymentStatus.DECLINED, PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.CANCELED)
CANCELLABLE = (
    PaymentStatus.REQUIRES_PAYMENT_METHOD,
    PaymentStatus.REQUIRES_CONFIRMATION,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.REQUIRES_CAPTURE,
)
STUCK_AFTER = timedelta(minutes=2)
"""An attempt claimed this long ago whose request never came back is given up (Stripe times out at 30 s)."""

PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,200}")

UNAVAILABLE = (
    "We could not reach the payment provider. Nothing was charged twice: please try again in a moment."
)
NO_CARD = "Enter your card details again."
DECLINED_MESSAGE = "Your card was declined."

LICENSE_CHANGED = (
    "The license changed after this order was placed (another order for it was paid), "
    "so this order cannot be paid. Place a new order with the current numbers."
)
_PAYMENT_BLOCKED = {
    "revoked": "The license was revoked after this order was placed, so the order cannot be paid.",
    "frozen": "Upgrades of this license are frozen while a payment dispute is open: pay this order later.",
}
_UPGRADE_BLOCKED = {
    "revoked": "This license is revoked: it cannot be upgraded.",
    "frozen": "Upgrades of this license are frozen while a payment dispute is open.",
}


def license_block(license):
    """Why no upgrade of `license` can be bought or paid now ("revoked", "frozen"), or None."""
    if license is None:
        return None
    if license.status == LicenseStatus.REVOKED:
        return "revoked"
    if license.upgrades_frozen:
        return "frozen"
    return None


def upgrade_refusal(license):
    """Why a new upgrade of `license` cannot be ordered, in the customer's words, or None."""
    block = license_block(license)
    return _UPGRADE_BLOCKED[block] if block else None


def payment_refusal(order):
    """Why an upgrade placed earlier cannot be paid now (its license changed meanwhile), or None."""
    block = license_block(order.license)
    if block:
        return _PAYMENT_BLOCKED[block]
    if order.license_id is not None and _license_paid_since(order):
        return LICENSE_CHANGED
    return None


def _license_paid_since(order):
    """Another order on the order's license was paid after it was placed (a trial converted, an upgrade)."""
    return object_session(order).scalar(
        select(
            exists().where(
                Order.license_id == order.license_id,
                Order.id != order.id,
                Order.paid_at >= order.created_at,
            )
        )
    )


def idempotency_key(order, payment_method):
    """The same card on the same order gets Stripe's first answer again, never a second charge."""
    return f"order-{order.id}-{payment_method}"


@dataclass(frozen=True)
class PayPage:
    """What the pay page shows: ``go_to_order`` (nothing to pay here), ``refusal``, or the card form.

    ``client_secret`` sets up the next card; ``resume_secret`` finishes the
    3-D Secure of the latest attempt; ``unavailable`` when Stripe is away.
    """

    go_to_order: bool = False
    refusal: str | None = None
    unavailable: bool = False
    client_secret: str | None = None
    resume_secret: str | None = None


class AttemptKind(StrEnum):
    """What became of one card submission."""

    INVALID = "invalid"  # no usable card
    REFUSED = "refused"  # the license changed since the order was placed
    NOT_PAYABLE = "not_payable"  # paid meanwhile, or an earlier attempt is under way
    UNAVAILABLE = "unavailable"  # Stripe could not be reached: retry
    REJECTED = "rejected"  # Stripe refused the request
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: ``client_secret`` finishes it
    SENT = "sent"  # ``status`` is Stripe's


@dataclass(frozen=True)
class Attempt:
    """The outcome of one card submission: its ``kind``, and the customer's words when there are any."""

    kind: AttemptKind
    message: str | None = None
    status: str | None = None
    client_secret: str | None = None


def pay_page(session, gateway, order):
    """Prepare the card form for `order`, or say why there is nothing to pay. Commits a new SetupIntent."""
    if order.status not in PAYABLE:
        return PayPage(go_to_order=True)
    if refusal := payment_refusal(order):
        return PayPage(refusal=refusal)
    latest = latest_payment(gateway, order)
    if latest is not None and latest.status in IN_FLIGHT:
        return PayPage(go_to_order=True)
    resume_secret = (
        latest.client_secret
        if latest is not None and latest.status == PaymentStatus.REQUIRES_ACTION
        else None
    )
    setup = _setup_intent(session, gateway, order)
    if setup is None:
        return PayPage(unavailable=True)
    return PayPage(client_secret=setup.client_secret, resume_secret=resume_secret)


def next_card(session, gateway, order):
    """A fresh SetupIntent for the next card: its client secret, None when Stripe is away.

    Raises nothing; the caller checks ``order.status in PAYABLE`` and
    ``payment_refusal`` first.
    """
    setup = _setup_intent(session, gateway, order)
    return setup.client_secret if setup else None


def submit_payment(session, gateway, order, payment_method, now):
    """Charge the card that Stripe.js set up: at most one charge per order, whatever the clicks.

    The attempt is claimed first (a compare-and-set to "processing"), so of
    several requests for one order only one reaches Stripe; an earlier
    attempt still waiting for 3-D Secure is cancelled at Stripe before the
    new card is charged.
    """
    if not isinstance(payment_method, str) or not PAYMENT_METHOD_ID.fullmatch(payment_method):
        return Attempt(AttemptKind.INVALID, message=NO_CARD)
    if refusal := payment_refusal(order):
        return Attempt(AttemptKind.REFUSED, message=refusal)
    previous_attempt = order.payment_attempted_at
    if not start_payment_attempt(session, order, now):
        return Attempt(AttemptKind.NOT_PAYABLE)
    # On record before Stripe is asked: no other request can start an attempt now.
    session.commit()
    try:
        if not _clear_previous_attempt(gateway, order):
            end_payment_attempt(session, order)
            session.commit()
            return Attempt(AttemptKind.NOT_PAYABLE)
        payment = gateway.create_payment(
            order_id=order.id,
            amount_cents=order.amount_cents,
            currency=order.currency,
            customer_id=stripe_customer(session, gateway, order.user),
            payment_method_id=payment_method,
            idempotency_key=idempotency_key(order, payment_method),
        )
    except GatewayError as error:
        log.warning("payment of order %s not made: %s", order.id, error.message)
        # Not "sent": the order page offers to pay again (the same card gets the same answer).
        end_payment_attempt(session, order, payment_attempted_at=previous_attempt)
        session.commit()
        if error.retryable:
            return Attempt(AttemptKind.UNAVAILABLE, message=UNAVAILABLE)
        return Attempt(AttemptKind.REJECTED, message=error.message)
    return _record_answer(session, order, payment)


def _clear_previous_attempt(gateway, order):
    """Cancel the order's earlier PaymentIntent if it has not charged; False if it charged or may still."""
    if not order.stripe_payment_intent_id:
        return True
    latest = gateway.retrieve_payment(order.stripe_payment_intent_id)
    if latest.status in IN_FLIGHT:
        return False
    if latest.status in CANCELLABLE:
        try:
            gateway.cancel_payment(latest.id)
        except GatewayError:
            # It moved on meanwhile (e.g. the bank confirmed it): look again.
            return gateway.retrieve_payment(latest.id).status not in IN_FLIGHT
    return True


def _record_answer(session, order, payment):
    record_payment(order, payment)
    if payment.status in NOT_CHARGED:
        message = payment.decline_message or DECLINED_MESSAGE
        fail_order(session, order, message)
        session.commit()
        return Attempt(AttemptKind.DECLINED, message=message)
    # The webhook may have fulfilled the order already; then it stays paid.
    end_payment_attempt(session, order)
    session.commit()
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return Attempt(AttemptKind.REQUIRES_ACTION, client_secret=payment.client_secret)
    return Attempt(AttemptKind.SENT, status=payment.status)


def cancel(session, gateway, order, reason):
    """The customer (or support) cancels an unpaid order; its open PaymentIntent is cancelled at Stripe.

    Returns None when cancelled, otherwise why not in words. A payment that
    still succeeds for a cancelled order is refunded automatically.
    """
    if order.status not in PAYABLE:
        return f"This order is {order.status_label}: it cannot be cancelled."
    try:
        if not _clear_previous_attempt(gateway, order):
            return "A payment for this order is going through: it cannot be cancelled now."
    except GatewayError as error:
        log.warning("order %s not cancelled: %s", order.id, error.message)
        return UNAVAILABLE
    if not cancel_order(session, order, reason):
        return f"This order is {order.status_label}: it cannot be cancelled."
    session.commit()
    return None


def waiting(order):
    """The customer paid and the portal waits for Stripe to confirm it."""
    if order.status == OrderStatus.PROCESSING:
        return True
    return (
        order.status == OrderStatus.PENDING
        and bool(order.stripe_payment_intent_id)
        and order.payment_attempted_at is not None
    )


def payment_to_finish(order, now):
    """A card payment was started and Stripe has not confirmed it past the webhook's grace.

    Most often the bank's check (3-D Secure) was left unfinished: My licenses
    offers **Finish paying**, whose pay page resumes it (or shows the order
    when the payment went through after all).
    """
    return (
        order.status == OrderStatus.PENDING
        and waiting(order)
        and now - order.payment_attempted_at >= WEBHOOK_GRACE
    )


@dataclass(frozen=True)
class OrderState:
    """What the order page says beyond the order's status.

    ``waiting``: the page polls for Stripe's confirmation; ``needs_authentication``:
    the bank's 3-D Secure check was not completed (offer **Finish paying**).
    """

    waiting: bool = False
    needs_authentication: bool = False


def order_state(session, gateway, order, settings, now):
    """Bring an unpaid order in line with Stripe once the webhook had its time, and say what to show."""
    attempted = order.payment_attempted_at
    if order.status not in AWAITING_STRIPE or attempted is None:
        return OrderState()
    if now - attempted < WEBHOOK_GRACE:
        return OrderState(waiting=waiting(order))
    if order.status == OrderStatus.PROCESSING and not order.stripe_payment_intent_id:
        if now - attempted >= STUCK_AFTER:
            # The request that claimed the attempt never came back (a crash): free the order.
            end_payment_attempt(session, order)
            session.commit()
        return OrderState(waiting=waiting(order))
    payment = latest_payment(gateway, order)
    if payment is None:
        return OrderState(waiting=waiting(order))
    try:
        commit_exactly_once(session, lambda: settle_with_stripe(session, order, payment, settings, now))
    except GatewayError as error:
        session.rollback()
        log.warning("order %s not settled: %s", order.id, error.message)
    if order.status in AWAITING_STRIPE and payment.status == PaymentStatus.REQUIRES_ACTION:
        return OrderState(needs_authentication=True)
    return OrderState(waiting=waiting(order))


def latest_payment(gateway, order):
    """The order's latest PaymentIntent as Stripe has it now; None if there is none or Stripe is away."""
    if not order.stripe_payment_intent_id:
        return None
    try:
        return gateway.retrieve_payment(order.stripe_payment_intent_id)
    except GatewayError as error:
        log.warning("payment of order %s not retrieved: %s", order.id, error.message)
        return None


def _setup_intent(session, gateway, order):
    try:
        setup = new_setup_intent(session, gateway, order)
    except GatewayError as error:
        log.warning("no SetupIntent for order %s: %s", order.id, error.message)
        return None
    session.commit()
    return setup


@dataclass(frozen=True)
class StripeAttempt:
    """One PaymentIntent made for an order: ``payment`` as Stripe has it now, or ``error`` saying why not.

    ``extra``: it charged, the order does not need it, and it is not refunded in full.
    """

    payment_intent_id: str
    charge_id: str | None
    payment: PaymentInfo | None = None
    error: str | None = None
    extra: bool = False


def stripe_attempts(gateway, order):
    """Every attempt to pay `order`, oldest first, each as Stripe reports it now (for support)."""
    charges = {attempt.stripe_payment_intent_id: attempt.stripe_charge_id for attempt in order.attempts}
    if order.stripe_payment_intent_id:
        charges.setdefault(order.stripe_payment_intent_id, None)
    attempts = []
    for payment_intent_id, charge_id in charges.items():
        known = StripeAttempt(payment_intent_id, charge_id)
        try:
            payment = gateway.retrieve_payment(payment_intent_id)
        except GatewayError as error:
            attempts.append(replace(known, error=error.message))
            continue
        attempts.append(
            replace(
                known,
                charge_id=charge_id or payment.charge_id,
                payment=payment,
                extra=is_extra_payment(order, payment),
            )
        )
    return attempts


def is_extra_payment(order, payment):
    """`payment` charged for `order` but the order does not need it, and it is not refunded in full."""
    if payment.status != PaymentStatus.SUCCEEDED or payment.amount_refunded >= payment.amount:
        return False
    if order.status == OrderStatus.CANCELLED:
        return True
    return order.status in SETTLED and payment.id != order.stripe_payment_intent_id


def refund_extra(session, order, payment_intent_id, *, actor, reason, settings, now):
    """Support refunds an extra payment of `order` in full, with a reason (audited, the customer emailed).

    Raises ``PortalError`` when it is not one of the order's payments or not an
    extra one (the payment that paid the order is refunded with the order).
    """
    known = {attempt.stripe_payment_intent_id for attempt in order.attempts}
    if payment_intent_id not in known | {order.stripe_payment_intent_id}:
        raise PortalError("That payment is not one of this order's attempts.")
    payment = settings.gateway.retrieve_payment(payment_intent_id)
    if not is_extra_payment(order, payment):
        raise PortalError(
            f"Payment {payment_intent_id} is not an extra payment of order #{order.id}"
            " (it did not charge, is refunded already, or paid the order: refund the order instead)."
        )
    return refund_extra_payment(session, order, payment, settings, reason, now, actor=actor)
