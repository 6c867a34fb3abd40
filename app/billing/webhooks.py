"""POST /webhooks/stripe: Stripe tells the portal about payments, refunds and disputes.

The view checks the signature on the raw body, stores the event under its Stripe id (unique),
hands it to the task queue and answers 200 at once, as Stripe asks of an endpoint: nothing else
runs in the request. A worker applies it with ``handle_event``, which dispatches on its type
(app/billing/event_log.py keeps the retries and the failures). An invalid signature or a body
that is not an event is answered 400; 500 only when the event could not be stored, so that
Stripe delivers it again.
"""

import logging
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from app import outbox
from app.billing import emails, refund_claims, refunding
from app.billing.event_log import ALREADY_PROCESSED, store_event
from app.billing.fulfilment import close_dispute, fulfil_order, locked_order, open_dispute
from app.billing.gateway import DisputeStatus, GatewayError, InvalidWebhook, PaymentStatus, payment_info
from app.billing.orders import SETTLED, UNPAID, fail_order
from app.billing.outcomes import Outcome, OutcomeCode, ignored
from app.extensions import csrf, db
from app.models import Order, RefundKind, StripeEvent
from app.web.services import current_gateway

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

WON_DISPUTE_STATUSES = (DisputeStatus.WON, DisputeStatus.WARNING_CLOSED)
RECEIVED = Outcome(OutcomeCode.RECEIVED, "received")
NOT_AN_EVENT = Outcome(OutcomeCode.NOT_AN_EVENT, "not a Stripe event")


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    try:
        event = current_gateway().parse_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except InvalidWebhook as error:
        return jsonify(error=error.message), 400
    except GatewayError as error:
        log.error("Stripe webhook not verified: %s", error.message)
        return jsonify(error="The portal cannot verify webhooks at the moment."), 500
    if not _well_formed(event):
        log.warning("malformed Stripe event refused: %.300r", event)
        return _answer(NOT_AN_EVENT, 400)
    try:
        event_id, processed = store_event(db.session, event, datetime.now(UTC))
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Stripe event %s (%s) could not be stored", event["id"], event["type"])
        return _answer(Outcome(OutcomeCode.ERROR, "not stored"), 500)
    if processed:
        return _answer(ALREADY_PROCESSED, 200)
    # The task queue registers itself here (app/queue.py); when it is down the sweep applies the event.
    current_app.extensions["stripe_event_dispatch"](event_id)
    return _answer(RECEIVED, 200)


def _answer(outcome, status_code):
    return jsonify(outcome=outcome.sentence, code=outcome.code), status_code


def _well_formed(event):
    data = event.get("data")
    return (
        isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and len(event["type"]) <= 100
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )


def handle_event(session, event, settings, now):  # noqa: C901 (one branch per Stripe event type)
    """Apply one verified Stripe event to the orders; returns what happened (an ``Outcome``)."""
    obj = event["data"]["object"]
    match event["type"]:
        case "payment_intent.succeeded":
            order = _order_for_intent(session, obj)
            if order is None:
                return ignored("no order of this portal")
            return fulfil_order(session, order, payment_info(obj), settings, now)
        case "payment_intent.payment_failed":
            return _payment_failed(session, obj)
        case "charge.refunded":
            return _charge_refunded(session, obj, settings, now)
        case "charge.dispute.created":
            order = _order_for_payment(session, obj.get("payment_intent"))
            if order is None:
                return ignored("no order for this dispute")
            # Under the order's lock: a closing delivered at the same moment is either stored by now
            # (and seen here) or waits for this one and then finds the order disputed.
            order = locked_order(session, order)
            if _dispute_closed_already(session, obj.get("id")):
                # Stripe delivers in any order: the closing came first and stands.
                return ignored("the dispute is closed already")
            return open_dispute(session, order)
        case "charge.dispute.closed":
            order = _order_for_payment(session, obj.get("payment_intent"))
            if order is None:
                return ignored("no order for this dispute")
            if obj.get("status") not in (*WON_DISPUTE_STATUSES, DisputeStatus.LOST):
                return ignored(f"the dispute is {obj.get('status')}")
            won = obj["status"] in WON_DISPUTE_STATUSES
            return close_dispute(session, order, won, settings, now)
        case other:
            return ignored(f"{other} is not handled")


def _payment_failed(session, intent):
    order = _order_for_intent(session, intent)
    if order is None:
        return ignored("no order of this portal")
    if _earlier_attempt(order, intent):
        return ignored("an earlier attempt failed, a later one is under way")
    message = (intent.get("last_payment_error") or {}).get("message") or "The payment failed."
    if not fail_order(session, order, message):
        return ignored(f"the order is {order.status}")
    order.stripe_payment_intent_id = intent["id"]
    outbox.add(session, emails.payment_failed(order))
    return Outcome(OutcomeCode.ORDER_FAILED, "order failed")


def _earlier_attempt(order, intent):
    """A PaymentIntent of an attempt that the customer has followed with another card."""
    if order.stripe_payment_intent_id is not None:
        return order.stripe_payment_intent_id != intent["id"]
    # A decline whose id the portal never learnt: made before the latest attempt, it is not that one.
    created = intent.get("created")
    started = order.payment_attempted_at
    # Stripe counts whole seconds: created in the second the attempt started is that attempt.
    return isinstance(created, int) and started is not None and created + 1 <= started.timestamp()


def _dispute_closed_already(session, dispute_id):
    if not dispute_id:
        return False
    closed = session.scalars(select(StripeEvent.payload).where(StripeEvent.type == "charge.dispute.closed"))
    return any(
        ((payload.get("data") or {}).get("object") or {}).get("id") == dispute_id for payload in closed
    )


def _charge_refunded(session, charge, settings, now):
    if any(attempt.kind == RefundKind.EXTRA for attempt, _ in refunding.portal_refunds(session, charge)):
        return ignored("the portal's refund of an extra payment")
    order = _order_for_payment(session, charge.get("payment_intent"))
    if order is not None and order.status in UNPAID and settings.gateway is not None:
        # The refund arrived before the payment's own success: settle the payment first,
        # as Stripe has it now, so that the refund then takes its accounts back.
        order = _fulfil_from_stripe(session, order.stripe_payment_intent_id, settings, now) or order
    if order is None:
        return _keep_refund(session, charge, settings, now)
    return refunding.charge_refunded(session, order, charge, _refund_reason(charge), settings, now)


def _keep_refund(session, charge, settings, now):
    """A refund of a payment whose order the portal does not know (yet): kept until the payment's success
    or reconcile finds the order, which then applies it."""
    payment_intent_id = _id_of(charge.get("payment_intent"))
    if not payment_intent_id or not isinstance(payment_intent_id, str):
        return ignored("no order for this charge")
    refund_claims.keep_refund(
        session, payment_intent_id, charge.get("amount_refunded") or 0, _refund_reason(charge), now
    )
    # Paid meanwhile (its commit came between the two reads): apply it now rather than wait.
    order = _order_for_payment(session, payment_intent_id)
    if (
        order is not None
        and order.status in SETTLED
        and refund_claims.take_kept_refund(session, order, payment_intent_id, now)
    ):
        return refunding.charge_refunded(session, order, charge, _refund_reason(charge), settings, now)
    return Outcome(OutcomeCode.KEPT, "kept: no order for this payment yet")


def _fulfil_from_stripe(session, payment_intent_id, settings, now):
    """Fulfil the order a PaymentIntent paid, from Stripe's record of it; the order, or None."""
    if not payment_intent_id:
        return None
    payment = settings.gateway.retrieve_payment(payment_intent_id)
    if not (payment.order_id or "").isdigit():
        return None
    order = session.get(Order, int(payment.order_id))
    # Another installation sharing the Stripe account numbers its orders too.
    if order is None or order.user.stripe_customer_id != payment.customer_id:
        return None
    if payment.status == PaymentStatus.SUCCEEDED:
        fulfil_order(session, order, payment, settings, now)
    return order if order.stripe_payment_intent_id == payment.id else None


def _refund_reason(charge):
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        reason = (refund.get("metadata") or {}).get("reason")
        if reason:
            return reason
    return "Refunded in Stripe"


def _order_for_intent(session, intent):
    """The order a PaymentIntent pays: by its order_id metadata, if it is this portal's customer."""
    if not isinstance(intent.get("id"), str) or not intent["id"]:
        return None  # no PaymentIntent id: nothing to record the payment under, so nothing changes
    order = None
    order_id = str((intent.get("metadata") or {}).get("order_id") or "")
    if order_id.isdigit():
        # With its customer: checked here, then named on the receipt.
        order = session.get(Order, int(order_id), options=[joinedload(Order.user)])
    if order is None:
        order = _order_for_payment(session, intent.get("id"))
    # Another installation sharing the Stripe account numbers its orders too.
    if order is None or order.user.stripe_customer_id != _id_of(intent.get("customer")):
        return None
    return order


def _order_for_payment(session, payment_intent):
    payment_intent_id = _id_of(payment_intent)
    if not payment_intent_id or not isinstance(payment_intent_id, str):
        return None  # not an id of a PaymentIntent: nothing of the portal's
    return session.scalar(select(Order).where(Order.stripe_payment_intent_id == payment_intent_id))


def _id_of(value):
    """Stripe sends a related object as its id, or expanded (localstripe expands some)."""
    return value.get("id") if isinstance(value, dict) else value
