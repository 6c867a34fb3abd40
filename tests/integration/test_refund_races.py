"""Refunds racing each other and Stripe's reports of them end with Stripe, the order, the license,
the credit notes and the emails agreeing, through localstripe standing in for Stripe.

Runs on the test database: PostgreSQL when DATABASE_URL is set, SQLite otherwise. localstripe
sends no ``charge.*`` events, so those are posted here, signed with the test secret, carrying
the charge as localstripe holds it.
"""

import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, BillingDocument, License, Order, RefundAttempt
from tests.conftest import csrf_token, sent_mail
from tests.factories import add_order
from tests.support.localstripe import sign_webhook
from tests.support.payments import VISA, deliver_and_apply, stripe_event, stripe_settings

pytestmark = pytest.mark.integration

REASON = "Bought too many packs (ticket #77)"
CLICKS = 20


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe)


@pytest.fixture
def paid_order(gateway, localstripe, customer, make_license):
    """An upgrade of 75 accounts (3 packs, $337.50) on a 50-account license, paid in localstripe."""

    def make():
        order = add_order(customer, license=make_license(accounts=50), accounts=75)
        customer.stripe_customer_id = customer.stripe_customer_id or gateway.create_customer(
            customer.email, user_id=customer.id
        )
        setup = gateway.create_setup_intent(customer.stripe_customer_id)
        payment = gateway.create_payment(
            order_id=order.id,
            amount_cents=order.amount_cents,
            currency="usd",
            customer_id=customer.stripe_customer_id,
            payment_method_id=localstripe.confirm_card_setup(setup.client_secret, VISA),
            idempotency_key=f"order-{order.id}-{uuid.uuid4()}",  # ids repeat across tests, localstripe stays
        )
        order.status, order.paid_at = "paid", datetime.now(UTC)
        order.stripe_payment_intent_id = payment.id
        order.license.accounts = 125
        db.session.commit()
        return order

    return make


class Console:
    """The order's page as one agent loaded it, and its refund forms posted from any number of threads."""

    def __init__(self, app, agent, order):
        self.app, self.agent, self.order_id = app, agent, order.id
        page = agent.get(f"/support/orders/{order.id}").get_data(as_text=True)
        self.token = csrf_token(page)
        self.refunded_before = re.search(r'name="refunded_before" value="(\d+)"', page).group(1)

    def packs(self, packs):
        return self._post("partial-refund", {"packs": str(packs), "reason": REASON})

    def full(self):
        return self._post("refund", {"reason": REASON})

    def _post(self, action, data):
        client = self.app.test_client()
        client._cookies = dict(self.agent.client._cookies)  # the same signed-in agent
        return client.post(
            f"/support/orders/{self.order_id}/{action}",
            data={"csrf_token": self.token, "refunded_before": self.refunded_before, **data},
        )


def at_once(*actions):
    """Run every action from its own thread, all released at the same moment; their results."""
    start = threading.Barrier(len(actions))

    def run(action):
        start.wait()
        return action()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        results = list(pool.map(run, actions))
    db.session.rollback()  # read what they committed
    return results


def deliver(app, localstripe, event):
    body = json.dumps(event).encode()
    return deliver_and_apply(app.test_client(), body, sign_webhook(body, localstripe.webhook_secret))


def stripe_refunds(localstripe, order):
    return localstripe.api(f"/v1/refunds?payment_intent={_payment_of(order)}")["data"]


def charge_of(localstripe, order):
    """The order's charge as localstripe holds it now, with its refunds listed."""
    intent = localstripe.api(f"/v1/payment_intents/{_payment_of(order)}")
    return localstripe.api(f"/v1/charges/{intent['latest_charge']['id']}")


def _payment_of(order):
    return order if isinstance(order, str) else order.stripe_payment_intent_id


def report_refund_when_made(app, localstripe, order):
    """Stripe's side: as soon as the order's charge has a refund, post its ``charge.refunded``."""
    order = _payment_of(order)  # read here: the thread has no database session

    def report():
        deadline = time.monotonic() + 20
        while not stripe_refunds(localstripe, order):
            assert time.monotonic() < deadline, "no refund was made"
            time.sleep(0.005)
        return deliver(app, localstripe, stripe_event("charge.refunded", charge_of(localstripe, order)))

    return report


def fresh(order):
    db.session.rollback()
    return db.session.get(Order, order.id)


def credit_notes(order):
    return db.session.scalars(
        select(BillingDocument).where(
            BillingDocument.order_id == order.id, BillingDocument.kind == "credit_note"
        )
    ).all()


def assert_agrees_with_stripe(localstripe, order):
    """What Stripe refunded is what the order, its credit notes and its license say."""
    order = fresh(order)
    refunded_at_stripe = sum(refund["amount"] for refund in stripe_refunds(localstripe, order))
    assert order.refunded_cents == refunded_at_stripe
    assert sum(note.total_cents for note in credit_notes(order)) == refunded_at_stripe
    license = db.session.get(License, order.license_id)
    assert license.accounts == 125 - order.refunded_accounts
    assert license.current_certificate.accounts == license.accounts
    assert order.refunded_accounts <= order.accounts
    return order


def test_a_double_click_on_a_pack_refund_refunds_once(app, agent, paid_order, localstripe, customer):
    order = paid_order()
    console = Console(app, agent, order)

    first = console.packs(1)
    second = console.packs(1)  # the same page, clicked again

    assert first.status_code == second.status_code == 302
    assert len(stripe_refunds(localstripe, order)) == 1
    order = assert_agrees_with_stripe(localstripe, order)
    assert (order.refunded_cents, order.refunded_accounts, order.flagged) == (11250, 25, False)
    assert len(credit_notes(order)) == 1
    assert len([m for m in sent_mail(customer.email) if "Part of order" in m.subject]) == 1
    assert len(db.session.scalars(select(AuditEntry)).all()) == 1


def test_20_concurrent_refund_clicks_make_one_refund(app, agent, paid_order, localstripe, customer):
    order = paid_order()
    console = Console(app, agent, order)

    answers = at_once(*[lambda: console.packs(2)] * CLICKS)

    assert [answer.status_code for answer in answers] == [302] * CLICKS
    assert len(stripe_refunds(localstripe, order)) == 1
    order = assert_agrees_with_stripe(localstripe, order)
    assert (order.refunded_cents, order.refunded_accounts) == (22500, 50)
    assert len(credit_notes(order)) == 1
    assert len([m for m in sent_mail(customer.email) if "Part of order" in m.subject]) == 1
    assert len(db.session.scalars(select(RefundAttempt)).all()) == 1


def test_a_pack_refund_and_stripes_report_of_it_apply_it_once_and_flag_nothing(
    app, agent, paid_order, localstripe, customer
):
    for _ in range(3):
        order = paid_order()
        console = Console(app, agent, order)

        clicked, reported = at_once(
            lambda console=console: console.packs(1), report_refund_when_made(app, localstripe, order)
        )

        assert clicked.status_code == 302 and reported.status_code == 200
        assert "the portal's refund" in reported.json["outcome"]
        order = assert_agrees_with_stripe(localstripe, order)
        assert (order.refunded_cents, order.refunded_accounts, order.flagged) == (11250, 25, False)
        assert len(credit_notes(order)) == 1


def test_stripes_report_of_a_pack_refund_arriving_first_is_matched_to_its_attempt(
    app, agent, paid_order, localstripe, gateway
):
    order = paid_order()
    console = Console(app, agent, order)
    # The console claimed the refund and Stripe made it, but the console has not heard back yet.
    attempt = RefundAttempt(
        order_id=order.id,
        stripe_payment_intent_id=order.stripe_payment_intent_id,
        kind="packs",
        status="claimed",
        claim=f"order-{order.id}-after-0",
        idempotency_key=f"refund-{uuid.uuid4().hex}",
        amount_cents=11250,
        packs=1,
        reason=REASON,
        actor_id=None,
    )
    db.session.add(attempt)
    db.session.commit()
    gateway.refund(
        order.stripe_payment_intent_id,
        REASON,
        idempotency_key=attempt.idempotency_key,
        amount_cents=11250,
        attempt=attempt.id,
    )

    reported = deliver(app, localstripe, stripe_event("charge.refunded", charge_of(localstripe, order)))
    retried = console.packs(1)

    assert reported.json["outcome"] == "the portal's refund applied"
    assert retried.status_code == 302
    assert len(stripe_refunds(localstripe, order)) == 1
    order = assert_agrees_with_stripe(localstripe, order)
    assert (order.refunded_accounts, order.flagged) == (25, False)


def test_a_pack_refund_and_a_full_refund_from_one_page_make_one_refund(app, agent, paid_order, localstripe):
    for _ in range(3):
        order = paid_order()
        console = Console(app, agent, order)

        answers = at_once(lambda console=console: console.packs(1), console.full)

        assert sorted(answer.status_code for answer in answers) == [302, 400]
        assert len(stripe_refunds(localstripe, order)) == 1
        assert_agrees_with_stripe(localstripe, order)


def test_a_full_refund_after_a_pack_refund_takes_only_the_rest(app, agent, paid_order, localstripe):
    order = paid_order()
    Console(app, agent, order).packs(1)
    console = Console(app, agent, fresh(order))

    answers = at_once(console.full, report_refund_when_made(app, localstripe, fresh(order)))

    assert answers[0].status_code == 302
    order = assert_agrees_with_stripe(localstripe, order)
    assert (order.status, order.refunded_cents, order.refunded_accounts) == ("refunded", 33750, 75)
    assert db.session.get(License, order.license_id).accounts == 50


def test_a_pack_refund_racing_a_lost_dispute_removes_the_accounts_once(app, agent, paid_order, localstripe):
    for _ in range(5):
        order = paid_order()
        console = Console(app, agent, order)
        charge = charge_of(localstripe, order)
        dispute = {
            "id": f"dp_{uuid.uuid4().hex[:12]}",
            "object": "dispute",
            "charge": charge["id"],
            "payment_intent": order.stripe_payment_intent_id,
            "amount": charge["amount"],
        }

        def dispute_lost(dispute=dispute):
            # Stripe delivers in any order: the closing may come before the opening.
            lost = stripe_event("charge.dispute.closed", {**dispute, "status": "lost"})
            return deliver(app, localstripe, lost)

        at_once(lambda console=console: console.packs(1), dispute_lost)

        order = fresh(order)
        license = db.session.get(License, order.license_id)
        assert (order.status, order.refunded_accounts) == ("refunded", 75)
        assert license.accounts == 50 and license.current_certificate.accounts == 50
        assert sum(note.total_cents for note in credit_notes(order)) == order.amount_cents


def test_dispute_created_and_closed_delivered_together_end_closed(app, localstripe, paid_order):
    for _ in range(10):
        order = paid_order()
        charge = charge_of(localstripe, order)
        dispute = {
            "id": f"dp_{uuid.uuid4().hex[:12]}",
            "object": "dispute",
            "charge": charge["id"],
            "payment_intent": order.stripe_payment_intent_id,
            "amount": charge["amount"],
        }

        at_once(
            lambda dispute=dispute: deliver(
                app,
                localstripe,
                stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}),
            ),
            lambda dispute=dispute: deliver(
                app, localstripe, stripe_event("charge.dispute.closed", {**dispute, "status": "won"})
            ),
        )

        order = fresh(order)
        assert order.status == "paid"
        assert db.session.get(License, order.license_id).upgrades_frozen is False


def test_a_refund_from_a_page_shown_before_another_refund_is_refused_and_changes_nothing(
    app, agent, paid_order, localstripe
):
    order = paid_order()
    stale = Console(app, agent, order)
    Console(app, agent, order).packs(1)  # another agent, from the same state, a moment earlier
    Console(app, agent, fresh(order)).packs(1)  # and another refund after it

    response = stale.full()

    assert response.status_code == 400
    assert "look at the order again" in response.get_data(as_text=True)
    assert len(stripe_refunds(localstripe, order)) == 2
    order = assert_agrees_with_stripe(localstripe, order)
    assert (order.status, order.refunded_cents) == ("paid", 22500)
