"""Orders before they are paid: placing one, and each attempt to pay it.

Plain functions taking a session; the caller commits. Status changes are
compare-and-set UPDATEs, so a webhook and the customer's browser acting on
one order at once cannot move it backwards.
"""

from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.models import LicenseKind, Order, OrderStatus, PaymentAttempt
from app.models.order import ORDER_TRANSITIONS

PAYABLE = (OrderStatus.PENDING, OrderStatus.FAILED)
"""An order in these states can still be paid: a failed attempt can be followed by another card."""

UNPAID = (*PAYABLE, OrderStatus.PROCESSING)
"""An order in these states has not been paid; a succeeded payment fulfils it."""

AWAITING_STRIPE = (OrderStatus.PENDING, OrderStatus.PROCESSING)
"""An order in these states may have a payment under way that Stripe has not settled."""

SETTLED = (OrderStatus.PAID, OrderStatus.DISPUTED, OrderStatus.REFUNDED)
"""An order in these states has been paid once; it never goes back to PAYABLE."""

REUSE_WITHIN = timedelta(days=1)
OPEN_ORDERS_SHOWN_FOR = timedelta(days=7)  # on My licenses, up to OPEN_ORDERS_SHOWN of them
OPEN_ORDERS_SHOWN = 5


def move_order(session, order, to_status, *, only_from=None, **values):
    """Compare-and-set: move `order` to `to_status` if ``ORDER_TRANSITIONS`` allows it from its status.

    One ``UPDATE … WHERE status IN (every state that may move to to_status)``:
    the database lets one concurrent writer match the row, so the caller that
    gets True is the one that moved the order. An illegal transition is
    refused with False and nothing written, exactly as a move that another
    writer made first. ``only_from`` narrows the states moved from (a payment
    fulfils an unpaid order, not a disputed one); naming a state from which
    the table does not allow `to_status` is a bug and raises ``ValueError``.
    `order` is refreshed either way.
    """
    allowed = tuple(status for status, targets in ORDER_TRANSITIONS.items() if to_status in targets)
    from_statuses = allowed if only_from is None else tuple(only_from)
    if illegal := [status for status in from_statuses if status not in allowed]:
        raise ValueError(f"An order never moves from {', '.join(illegal)} to {to_status}.")
    moved = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(from_statuses))
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(order)
    return moved == 1


def accounts_after(license, accounts):
    """Licensed accounts once the order is paid; a trial bought into gets exactly the amount bought."""
    if license is None or license.kind == LicenseKind.TRIAL:
        return accounts
    return license.accounts + accounts


def place_order(session, user, license, quote, now, *, charge=None, buyer=None):
    """A pending order for `quote` on `license` (None: a new license).

    ``charge`` is the tax on top of the quote for ``buyer`` (a snapshot of the
    billing details), computed here once and stored; None: the price is net.
    The customer's identical order placed within the last day and not yet
    charged is returned instead, so a double click or a reload of the
    confirmation step does not leave two orders waiting.
    """
    total = charge.total_cents if charge else quote.amount_cents
    same_license = Order.license_id.is_(None) if license is None else Order.license_id == license.id
    existing = session.scalar(
        select(Order)
        .where(
            Order.user_id == user.id,
            same_license,
            Order.accounts == quote.accounts,
            Order.amount_cents == total,
            Order.currency == quote.currency,
            Order.status.in_(PAYABLE),
            Order.stripe_payment_intent_id.is_(None),
            Order.created_at >= now - REUSE_WITHIN,
        )
        .order_by(Order.id.desc())
        .limit(1)
    )
    if existing is not None and existing.buyer == buyer:
        return existing
    order = Order(
        user=user,
        license=license,
        kind="new" if license is None else "upgrade",
        accounts=quote.accounts,
        packs=quote.packs,
        amount_cents=total,
        net_cents=quote.amount_cents,
        tax_rate_bp=charge.tax_rate_bp if charge else 0,
        tax_cents=charge.tax_cents if charge else 0,
        tax_treatment=charge.treatment if charge else "none",
        buyer=buyer,
        currency=quote.currency,
        status=OrderStatus.PENDING,
        created_at=now,
    )
    session.add(order)
    session.flush()
    return order


def start_payment_attempt(session, order, now):
    """Claim a new attempt to pay: the order is in progress until Stripe answers.

    A compare-and-set from a payable state, so of several requests for one
    order (several cards, several tabs) exactly one gets True and may charge.
    """
    return move_order(session, order, OrderStatus.PROCESSING, failure_message=None, payment_attempted_at=now)


def end_payment_attempt(session, order, **values):
    """Stripe has answered (or could not be asked): the order waits for its payment again."""
    return move_order(session, order, OrderStatus.PENDING, **values)


def cancel_order(session, order, reason):
    """An unpaid order is cancelled: it can no longer be paid. False when it was paid or is being paid."""
    return move_order(session, order, OrderStatus.CANCELLED, failure_message=reason)


def record_payment(order, payment):
    """Remember which PaymentIntent the latest attempt created, and the card it used."""
    if payment.id:
        order.stripe_payment_intent_id = payment.id
    note_attempt(order, payment)
    if payment.card_brand:
        order.card_brand = payment.card_brand
    if payment.card_last4:
        order.card_last4 = payment.card_last4


def note_attempt(order, payment):
    """Keep `payment` among the order's attempts (once), with its charge when it has one."""
    if not payment.id:
        return
    attempt = next((a for a in order.attempts if a.stripe_payment_intent_id == payment.id), None)
    if attempt is None:
        attempt = PaymentAttempt(stripe_payment_intent_id=payment.id)
        order.attempts.append(attempt)
    if payment.charge_id and not attempt.stripe_charge_id:
        attempt.stripe_charge_id = payment.charge_id


def fail_order(session, order, message):
    """A pending order whose payment failed becomes failed; any other state is left alone."""
    return move_order(session, order, OrderStatus.FAILED, failure_message=message)


def customer_orders(user_id):
    """The query of a customer's orders, newest first, each with its license (named in every list)."""
    return (
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(joinedload(Order.license))
    )


def orders_awaiting_payment(session, user, now):
    """The customer's recent orders that still wait for a payment (for My licenses)."""
    return session.scalars(
        customer_orders(user.id)
        .where(Order.status.in_(PAYABLE), Order.created_at >= now - OPEN_ORDERS_SHOWN_FOR)
        .limit(OPEN_ORDERS_SHOWN)
    ).all()


def orders_to_reconcile(session, *, started_before, failed_since):
    """(id, PaymentIntent id) of orders whose payment Stripe may know more about than the portal.

    Pending orders whose payment started before ``started_before``, and failed
    orders attempted since ``failed_since`` (a payment can still succeed after
    the portal heard of a failure).
    """
    started = func.coalesce(Order.payment_attempted_at, Order.created_at)
    return session.execute(
        select(Order.id, Order.stripe_payment_intent_id)
        .where(
            Order.stripe_payment_intent_id.is_not(None),
            or_(
                and_(Order.status.in_(AWAITING_STRIPE), started <= started_before),
                and_(Order.status == OrderStatus.FAILED, Order.payment_attempted_at >= failed_since),
            ),
        )
        .order_by(Order.id)
    ).all()
