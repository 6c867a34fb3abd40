"""Stripe's side of a payment for the tests: test cards, the portal's settings, and webhook events."""

import dataclasses
import json
import uuid

VISA = "4242424242424242"
DECLINED_CARD = "4000000000000341"
NEEDS_3D_SECURE = "4000002500003155"


def charge_in_localstripe(gateway, localstripe, order, card=VISA, *, complete_3d_secure=None):
    """Charge ``order`` to ``card`` in localstripe as the order page does; the payment as Stripe has it now.

    The order's owner becomes a Stripe customer first. ``complete_3d_secure`` answers the bank's check
    (True: completed, False: failed) for a card that asks for one.
    """
    from app.extensions import db

    customer_id = gateway.create_customer(order.user.email, user_id=order.user.id)
    order.user.stripe_customer_id = customer_id
    db.session.commit()
    setup = gateway.create_setup_intent(customer_id)
    payment = gateway.create_payment(
        order_id=order.id,
        amount_cents=order.amount_cents,
        currency=order.currency,
        customer_id=customer_id,
        payment_method_id=localstripe.confirm_card_setup(setup.client_secret, card),
        idempotency_key=f"order-{order.id}-{uuid.uuid4()}",  # ids repeat across tests, localstripe stays
    )
    if complete_3d_secure is not None:
        localstripe.complete_3d_secure(payment.client_secret, success=complete_3d_secure)
    return gateway.retrieve_payment(payment.id)


def stripe_settings(localstripe):
    """The portal's settings for paying through ``localstripe``."""
    return {
        "STRIPE_API_BASE": localstripe.base_url,
        "STRIPE_JS_URL": localstripe.js_url,
        "STRIPE_SECRET_KEY": localstripe.secret_key,
        "STRIPE_PUBLISHABLE_KEY": localstripe.publishable_key,
        "STRIPE_WEBHOOK_SECRET": localstripe.webhook_secret,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


def payment_intent(order, **changes):
    """The PaymentIntent that paid ``order`` in full, as Stripe reports it, with ``changes``."""
    intent = {
        "id": order.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": order.amount_cents,
        "currency": order.currency,
        "customer": order.user.stripe_customer_id,
        "metadata": {"order_id": str(order.id)},
        "status": "succeeded",
        "last_payment_error": None,
    }
    return {**intent, **changes}


def succeeded_payment(order, **changes):
    """The order's PaymentIntent paid in full by Visa, as the gateway hands it to fulfilment."""
    from app.billing.gateway import PaymentInfo

    payment = PaymentInfo(
        id=order.stripe_payment_intent_id or f"pi_order_{order.id}",
        status="succeeded",
        client_secret=None,
        amount=order.amount_cents,
        currency=order.currency,
        card_brand="visa",
        card_last4="4242",
        order_id=str(order.id),
        charge_id=f"ch_{order.id}",
    )
    return dataclasses.replace(payment, **changes)


def stripe_event(event_type, obj, event_id=None):
    """A Stripe event about ``obj``; a new event id unless one is given."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:14]}",
        "object": "event",
        "type": event_type,
        "data": {"object": obj},
    }


def succeeded_event(order, event_id=None, **changes):
    """The ``payment_intent.succeeded`` event of ``order``'s payment (``changes`` go to the PaymentIntent)."""
    return stripe_event("payment_intent.succeeded", payment_intent(order, **changes), event_id)


def succeeded_payload(order, event_id=None):
    """The body of a ``payment_intent.succeeded`` event for ``order``, as Stripe posts it."""
    return json.dumps(succeeded_event(order, event_id)).encode()


def post_webhook(client, payload, signature):
    """POST ``payload`` to the portal's Stripe webhook with the ``Stripe-Signature`` header ``signature``."""
    return client.post(
        "/webhooks/stripe",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )


@dataclasses.dataclass(frozen=True)
class AppliedEvent:
    """A webhook delivery as Stripe saw it (``status_code``), with what the worker then did (``json``)."""

    status_code: int
    json: dict


def deliver_and_apply(client, payload, signature):
    """POST the event as Stripe does, then let the worker apply it, as ``flask worker`` does.

    The webhook answers "received" at once; the returned value carries the outcome the worker
    stored on the event instead ("error" while it waits for a retry). Any other answer (a 400, an
    event processed already) is returned as it is.
    """
    from flask import has_app_context
    from sqlalchemy import select

    from app.extensions import db
    from app.models import StripeEvent
    from tests.support.tasks import run_queued

    response = post_webhook(client, payload, signature)
    if response.status_code != 200 or response.json["code"] != "received":
        return response
    app = client.application
    run_queued(app, "apply_stripe_event")
    with app.app_context():  # the event as the worker left it, from any thread
        stored = db.session.scalar(
            select(StripeEvent).where(StripeEvent.stripe_id == json.loads(payload)["id"])
        )
        if stored.processed_at is None:
            applied = {"outcome": "error", "code": "error", "error": stored.error}
        else:
            # The stored sentence is cut to 100 characters; the worker's outcome is the same words.
            applied = {"outcome": stored.outcome, "code": stored.outcome_code}
    if has_app_context():
        db.session.rollback()  # the test reads what the worker committed
    return AppliedEvent(response.status_code, applied)
