"""However many deliveries of a payment arrive at once, and however many workers apply them at once,
its license changes once.

Runs on the test database: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
"""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from app.extensions import db
from app.models import Certificate, License, Order, StripeEvent
from tests.conftest import sent_mail
from tests.factories import certificates_of
from tests.support.localstripe import sign_webhook
from tests.support.payments import post_webhook, succeeded_payload
from tests.support.tasks import run_queued_at_once

DELIVERIES = 20


def deliver_at_once(app, payloads):
    """POST every payload to the webhook from its own thread, all released at the same moment, then
    apply the queued events the same way, one worker thread each; the stored events' outcomes."""
    start = threading.Barrier(len(payloads))

    def deliver(payload):
        client = app.test_client()
        signature = sign_webhook(payload, app.config["STRIPE_WEBHOOK_SECRET"])
        start.wait()
        return post_webhook(client, payload, signature)

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        responses = list(pool.map(deliver, payloads))
    assert [response.status_code for response in responses] == [200] * len(payloads)
    run_queued_at_once(app, "apply_stripe_event")
    db.session.rollback()  # read what the workers committed
    ids = {json.loads(payload)["id"] for payload in payloads}
    return Counter(db.session.scalars(select(StripeEvent.outcome).where(StripeEvent.stripe_id.in_(ids))))


def test_same_event_delivered_by_20_threads_issues_one_certificate(app, make_stripe_order):
    order = make_stripe_order(accounts=50)

    outcomes = deliver_at_once(app, [succeeded_payload(order, event_id="evt_same")] * DELIVERIES)

    assert outcomes == {"fulfilled": 1}
    [certificate] = certificates_of(order.id)
    paid = db.session.get(Order, order.id)
    assert (paid.status, paid.license.accounts, certificate.serial) == ("paid", 50, 1)
    assert len(sent_mail()) == 1


def test_20_different_events_for_one_payment_fulfil_once(app, make_stripe_order):
    order = make_stripe_order(accounts=75)

    outcomes = deliver_at_once(app, [succeeded_payload(order) for _ in range(DELIVERIES)])

    assert outcomes == {"fulfilled": 1, "already fulfilled": DELIVERIES - 1}
    assert len(certificates_of(order.id)) == 1
    assert db.session.get(Order, order.id).license.accounts == 75


def test_two_orders_on_one_license_paid_at_once_both_add_their_accounts(app, make_stripe_order, make_license):
    license = make_license(accounts=50)
    first, second = (
        make_stripe_order(accounts=25, license=license),
        make_stripe_order(accounts=50, license=license),
    )
    payloads = [succeeded_payload(first) for _ in range(DELIVERIES // 2)] + [
        succeeded_payload(second) for _ in range(DELIVERIES // 2)
    ]

    outcomes = deliver_at_once(app, payloads)

    assert outcomes["fulfilled"] == 2
    assert db.session.get(License, license.id).accounts == 125
    serials = sorted(
        c.serial for c in db.session.scalars(select(Certificate).where(Certificate.license_id == license.id))
    )
    assert serials == [1, 2, 3]
    assert len(certificates_of(first.id)) == len(certificates_of(second.id)) == 1
