"""Stripe's side of a payment for the tests: test cards, the portal's settings, and webhook events."""

import json
import uuid

VISA = "4242424242424242"
DECLINED_CARD = "4000000000000341"
NEEDS_3D_SECURE = "4000002500003155"


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
