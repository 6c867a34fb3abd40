"""However many deliveries of a payment arrive at once, its license changes once.

Runs on the test database: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
"""

import json
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.billing.pricing import quote
from app.extensions import db
from app.models import Certificate, License, Order
from app.models.base import utcnow
from tests.conftest import sent_mail
from tests.integration.localstripe_fixture import sign_webhook

pytestmark = pytest.mark.integration

DELIVERIES = 20
STRIPE_CUSTOMER = "cus_concurrent"


@pytest.fixture
def buyer(customer):
    customer.stripe_customer_id = STRIPE_CUSTOMER
    db.session.commit()
    return customer


@pytest.fixture
def make_order(buyer):
    def make(accounts=50, license=None):
        price = quote(accounts)
        order = Order(
            user=buyer,
            license=license,
            kind="upgrade" if license else "new",
            accounts=price.accounts,
            packs=price.packs,
            amount_cents=price.amount_cents,
            currency=price.currency,
            status="pending",
            stripe_payment_intent_id=f"pi_{uuid.uuid4().hex[:14]}",
            payment_attempted_at=utcnow(),
        )
        db.session.add(order)
        db.session.commit()
        return order

    return make


def succeeded(order, event_id=None):
    intent = {
        "id": order.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": order.amount_cents,
        "currency": order.currency,
        "customer": STRIPE_CUSTOMER,
        "metadata": {"order_id": str(order.id)},
        "status": "succeeded",
    }
    event = {"id": event_id or f"evt_{uuid.uuid4().hex[:14]}", "type": "payment_intent.succeeded"}
    return json.dumps({**event, "object": "event", "data": {"object": intent}}).encode()


def deliver_at_once(app, payloads):
    """POST every payload to the webhook from its own thread, all released at the same moment."""
    start = threading.Barrier(len(payloads))

    def deliver(payload):
        client = app.test_client()
        signature = sign_webhook(payload, app.config["STRIPE_WEBHOOK_SECRET"])
        start.wait()
        return client.post(
            "/webhooks/stripe",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        responses = list(pool.map(deliver, payloads))
    db.session.rollback()  # read what the deliveries committed
    return responses


def certificates_of(order):
    return db.session.scalars(select(Certificate).where(Certificate.order_id == order.id)).all()


def test_same_event_delivered_by_20_threads_issues_one_certificate(app, make_order):
    order = make_order(accounts=50)

    responses = deliver_at_once(app, [succeeded(order, event_id="evt_same")] * DELIVERIES)

    assert [response.status_code for response in responses] == [200] * DELIVERIES
    outcomes = Counter(response.json["outcome"] for response in responses)
    assert outcomes["fulfilled"] == 1
    assert set(outcomes) <= {"fulfilled", "already fulfilled", "already processed"}
    [certificate] = certificates_of(order)
    paid = db.session.get(Order, order.id)
    assert (paid.status, paid.license.accounts, certificate.serial) == ("paid", 50, 1)
    assert len(sent_mail()) == 1


def test_20_different_events_for_one_payment_fulfil_once(app, make_order):
    order = make_order(accounts=75)

    responses = deliver_at_once(app, [succeeded(order) for _ in range(DELIVERIES)])

    outcomes = Counter(response.json["outcome"] for response in responses)
    assert outcomes == {"fulfilled": 1, "already fulfilled": DELIVERIES - 1}
    assert len(certificates_of(order)) == 1
    assert db.session.get(Order, order.id).license.accounts == 75


def test_two_orders_on_one_license_paid_at_once_both_add_their_accounts(app, make_order, make_license):
    license = make_license(accounts=50)
    first, second = make_order(accounts=25, license=license), make_order(accounts=50, license=license)
    payloads = [succeeded(first) for _ in range(DELIVERIES // 2)] + [
        succeeded(second) for _ in range(DELIVERIES // 2)
    ]

    responses = deliver_at_once(app, payloads)

    assert Counter(response.json["outcome"] for response in responses)["fulfilled"] == 2
    assert db.session.get(License, license.id).accounts == 125
    serials = sorted(
        c.serial for c in db.session.scalars(select(Certificate).where(Certificate.license_id == license.id))
    )
    assert serials == [1, 2, 3]
    assert len(certificates_of(first)) == len(certificates_of(second)) == 1
