"""Signed webhook deliveries, written one a line for bench/wrk.lua to POST in turn."""

import hashlib
import hmac
import json
import os
import time

from bench.baseline import sign
from bench.seed import WEBHOOK_SECRET

HOOK_BODY_BYTES = 2048


def stripe_signature(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """The Stripe-Signature header Stripe sends with ``payload`` (v1: HMAC-SHA256 of "t.payload")."""
    timestamp = timestamp or int(time.time())
    signed = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


def succeeded_event(order_id, payment_intent, amount, customer):
    return json.dumps(
        {
            "id": f"evt_{payment_intent}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment_intent,
                    "object": "payment_intent",
                    "amount": amount,
                    "currency": "usd",
                    "customer": customer,
                    "metadata": {"order_id": str(order_id)},
                    "status": "succeeded",
                    "last_payment_error": None,
                }
            },
        }
    )


def write_portal_events(path, orders):
    """One signed ``payment_intent.succeeded`` a line, for each (order id, intent, amount, customer)."""
    with open(path, "w") as out:
        for order in orders:
            payload = succeeded_event(*order)
            out.write(f"Stripe-Signature: {stripe_signature(payload)}\t{payload}\n")
    return path


def write_baseline_hooks(path, count, prefix):
    """``count`` 2 KB bodies, each signed with HMAC-SHA256 and named by a distinct event id."""
    with open(path, "w") as out:
        for n in range(count):
            event_id = f"{prefix}-{n}"
            filler = os.urandom(HOOK_BODY_BYTES // 2).hex()
            body = json.dumps({"id": event_id, "filler": filler[: HOOK_BODY_BYTES - 40]})
            out.write(f"X-Event-Id: {event_id}\tX-Signature: {sign(body.encode())}\t{body}\n")
    return path
