"""At most one charge per order: concurrent attempts, lost ids and webhooks, cancelling and expiry."""
# ruff: noqa: F811 (the payment fixtures are shared from test_payments)

import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.billing.orders import note_attempt
from app.extensions import db
from app.models import BillingDocument, StripeEvent
from app.models.base import utcnow
from tests.conftest import csrf_token, sent_mail
from tests.factories import certificates_of
from tests.integration.test_payments import (  # noqa: F401 (fixtures)
    forward,
    order,
    pay,
    place_order,
    post_webhook,
    run_reconcile,
    settings,
)
from tests.support.localstripe import sign_webhook
from tests.support.payments import NEEDS_3D_SECURE, VISA, stripe_event


@pytest.fixture
def new_card(customer_browser, localstripe):
    """A card set up through the order's payment page, as Stripe.js does it: its PaymentMethod id."""

    def new_card(order_id, card=VISA):
        page = customer_browser.get(f"/orders/{order_id}/pay").get_data(as_text=True)
        client_secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
        return localstripe.confirm_card_setup(client_secret, card)

    return new_card


@pytest.fixture
def charge_behind_the_portals_back(gateway, new_card):
    """Stripe charges the order, then the server stops before it saves the PaymentIntent id (webhook lost)."""

    def charge(order_id):
        payment_method = new_card(order_id)
        the_order = order(order_id)
        payment = gateway.create_payment(
            order_id=order_id,
            amount_cents=the_order.amount_cents,
            currency=the_order.currency,
            customer_id=the_order.user.stripe_customer_id,
            payment_method_id=payment_method,
            idempotency_key=f"order-{order_id}-{payment_method}",
        )
        assert payment.status == "succeeded"
        return payment

    return charge


def charges(localstripe, order_id):
    customer_id = order(order_id).user.stripe_customer_id
    return localstripe.api(f"/v1/charges?customer={customer_id}")["data"]


def kept_charges(localstripe, order_id):
    """The succeeded charges of the order's customer that were not refunded."""
    return [c for c in charges(localstripe, order_id) if c["status"] == "succeeded" and not c["refunded"]]


def test_ten_concurrent_submissions_with_different_cards_charge_once(
    app, place_order, new_card, customer_browser, localstripe, forward
):
    order_id = place_order()
    cards = [new_card(order_id) for _ in range(10)]
    page = customer_browser.get("/orders").get_data(as_text=True)
    start = threading.Barrier(len(cards))
    answers = []

    def click(payment_method):
        start.wait()
        answers.append(
            customer_browser.client.post(
                f"/orders/{order_id}/pay",
                json={"payment_method": payment_method},
                headers={"X-CSRFToken": csrf_token(page)},
            )
        )

    threads = [threading.Thread(target=click, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.rollback()

    assert len(answers) == 10
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 9
    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    run_reconcile(app)
    db.session.rollback()
    assert order(order_id).status == "paid"
    assert len(kept_charges(localstripe, order_id)) == 1
    assert len(certificates_of(order_id)) == 1


def test_a_new_card_after_an_abandoned_3d_secure_charges_once(app, place_order, pay, localstripe, forward):
    order_id = place_order()
    first = pay(order_id, NEEDS_3D_SECURE)
    assert first.json["status"] == "requires_action"

    second = pay(order_id, VISA)
    assert second.status_code == 200
    # The first box is still open: its authentication can no longer charge.
    with pytest.raises(AssertionError):
        localstripe.complete_3d_secure(first.json["client_secret"])

    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    run_reconcile(app)
    db.session.rollback()
    assert order(order_id).status == "paid"
    assert len(kept_charges(localstripe, order_id)) == 1
    assert len(certificates_of(order_id)) == 1


def test_lost_id_and_lost_webhook_are_found_by_reconcile(app, place_order, charge_behind_the_portals_back):
    order_id = place_order()
    payment = charge_behind_the_portals_back(order_id)
    assert order(order_id).status == "pending"

    result = run_reconcile(app)

    db.session.rollback()
    assert f"Order {order_id} ({payment.id}, found at Stripe): fulfilled" in result.output
    assert order(order_id).status == "paid"
    assert order(order_id).stripe_payment_intent_id == payment.id
    assert len(certificates_of(order_id)) == 1
    # Exactly once: a second run finds nothing new.
    assert "found at Stripe" not in run_reconcile(app).output


def test_paying_again_after_a_lost_charge_keeps_one_and_refunds_the_other(
    app, place_order, pay, forward, localstripe, charge_behind_the_portals_back
):
    order_id = place_order()
    lost = charge_behind_the_portals_back(order_id)

    answer = pay(order_id)
    forward("payment_intent.succeeded", answer.json and order(order_id).stripe_payment_intent_id)
    result = run_reconcile(app)

    db.session.rollback()
    paid = order(order_id)
    assert paid.status == "paid" and paid.stripe_payment_intent_id != lost.id
    assert "refunded automatically" in result.output or "Extra payment refunded" in paid.flag_reason
    assert len(kept_charges(localstripe, order_id)) == 1
    assert len(certificates_of(order_id)) == 1
    assert any("an extra payment was refunded" in m.subject for m in sent_mail(paid.user.email))
    invoice, credit_note = db.session.scalars(select(BillingDocument).order_by(BillingDocument.id)).all()
    assert (credit_note.event, credit_note.invoice_id) == (f"extra-{lost.id}", invoice.id)
    run_reconcile(app)
    assert len([c for c in charges(localstripe, order_id) if c["refunded"]]) == 1


def test_an_expired_order_is_cancelled_with_its_payment(app, place_order, pay, localstripe):
    order_id = place_order()
    answer = pay(order_id, NEEDS_3D_SECURE)
    intent_id = order(order_id).stripe_payment_intent_id
    order(order_id).created_at = utcnow() - timedelta(hours=25)
    db.session.commit()

    result = run_reconcile(app)

    db.session.rollback()
    assert f"Order {order_id}: expired, cancelled" in result.output
    assert order(order_id).status == "cancelled"
    assert localstripe.api(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    assert answer.json["status"] == "requires_action"


def test_a_recent_unpaid_order_does_not_expire(app, place_order):
    order_id = place_order()

    run_reconcile(app)

    db.session.rollback()
    assert order(order_id).status == "pending"


def test_cancelled_order_refunds_a_payment_that_still_arrives(
    app, place_order, customer_browser, localstripe, charge_behind_the_portals_back
):
    order_id = place_order()
    page = customer_browser.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Cancel order" in page
    late = charge_behind_the_portals_back(order_id)

    customer_browser.submit(f"/orders/{order_id}/cancel", {})
    db.session.rollback()
    assert order(order_id).status == "cancelled"
    page = customer_browser.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "This order was cancelled" in page and "Cancel order" not in page

    run_reconcile(app)

    db.session.rollback()
    assert order(order_id).status == "cancelled"
    assert kept_charges(localstripe, order_id) == []
    assert late.id in order(order_id).flag_reason
    assert any("an extra payment was refunded" in m.subject for m in sent_mail(order(order_id).user.email))
    [credit_note] = db.session.scalars(select(BillingDocument)).all()  # the order was never invoiced
    assert (credit_note.event, credit_note.total_cents, credit_note.invoice_id) == (
        f"extra-{late.id}",
        late.amount,
        None,
    )


def test_order_page_says_authentication_not_completed_and_offers_to_finish(
    place_order, pay, customer_browser
):
    order_id = place_order()
    answer = pay(order_id, NEEDS_3D_SECURE)
    order(order_id).payment_attempted_at = utcnow() - timedelta(seconds=30)
    db.session.commit()

    page = customer_browser.get(f"/orders/{order_id}").get_data(as_text=True)

    assert "Authentication not completed" in page and "Finish paying" in page
    assert "Waiting for payment confirmation" not in page
    pay_page = customer_browser.get(f"/orders/{order_id}/pay").get_data(as_text=True)
    assert f'data-resume-secret="{answer.json["client_secret"]}"' in pay_page


def test_an_order_whose_license_changed_cannot_be_paid(
    app, place_order, pay, forward, customer_browser, make_license
):
    license = make_license(kind="trial", accounts=25)
    stale = place_order(accounts=50, license=license)
    converting = place_order(accounts=75, license=license)
    assert stale != converting
    pay(converting)
    forward("payment_intent.succeeded", order(converting).stripe_payment_intent_id)

    answer = pay(stale, payment_method="pm_anything")
    page = customer_browser.get(f"/orders/{stale}").get_data(as_text=True)

    assert (
        answer.status_code == 409
        and "The license changed after this order was placed" in answer.json["error"]
    )
    assert "The license changed after this order was placed" in page and "Place a new order" in page
    db.session.rollback()
    assert order(stale).status == "pending"


def signed(localstripe, event):
    body = json.dumps(event).encode()
    return body, sign_webhook(body, localstripe.webhook_secret)


def test_a_refund_that_arrives_before_the_payments_success_still_refunds(
    app, place_order, pay, post_webhook, localstripe, gateway, webhook_inbox
):
    order_id = place_order()
    answer = pay(order_id)
    intent_id = (
        answer.json
        and localstripe.api(f"/v1/charges?customer={order(order_id).user.stripe_customer_id}")["data"][0][
            "payment_intent"
        ]
    )
    # The portal has not heard of the success yet when Stripe's refund event comes in.
    assert order(order_id).status == "pending"
    gateway.refund(intent_id, "Customer asked")
    charge = localstripe.api(f"/v1/charges?customer={order(order_id).user.stripe_customer_id}")["data"][0]
    success = localstripe.api(f"/v1/payment_intents/{intent_id}")

    refunded = post_webhook(*signed(localstripe, stripe_event("charge.refunded", charge)))
    late_success = post_webhook(*signed(localstripe, stripe_event("payment_intent.succeeded", success)))

    assert refunded.status_code == 200 and late_success.status_code == 200
    db.session.rollback()
    the_order = order(order_id)
    assert the_order.status == "refunded"
    assert the_order.license.accounts == 0
    assert [c.reason for c in certificates_of(order_id)] == ["purchase", "refund"]
    assert any("refunded" in m.subject for m in sent_mail(the_order.user.email))


def test_a_dispute_closed_before_it_was_created_ends_closed(
    app, place_order, pay, forward, post_webhook, localstripe
):
    order_id = place_order()
    pay(order_id)
    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    charge = localstripe.api(f"/v1/charges?customer={order(order_id).user.stripe_customer_id}")["data"][0]
    dispute = {
        "id": "dp_out_of_order",
        "object": "dispute",
        "charge": charge["id"],
        "payment_intent": charge["payment_intent"],
        "amount": charge["amount"],
    }

    post_webhook(*signed(localstripe, stripe_event("charge.dispute.closed", {**dispute, "status": "won"})))
    created = post_webhook(
        *signed(localstripe, stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}))
    )

    assert created.json["outcome"] == "ignored: the dispute is closed already"
    db.session.rollback()
    assert order(order_id).status == "paid"
    assert order(order_id).license.upgrades_frozen is False


def test_support_sees_the_stripe_state_and_cancels_an_unpaid_order(
    place_order, pay, customer_browser, staff, localstripe
):
    order_id = place_order()
    pay(order_id, NEEDS_3D_SECURE)
    intent_id = order(order_id).stripe_payment_intent_id
    customer_browser.logout()
    customer_browser.login(staff.email)

    page = customer_browser.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert intent_id in page and "requires_action" in page
    empty = customer_browser.submit(
        f"/support/orders/{order_id}/cancel", {"reason": ""}, f"/support/orders/{order_id}"
    )
    assert empty.status_code == 400 and "Give a reason for cancelling" in empty.get_data(as_text=True)
    db.session.rollback()
    assert order(order_id).status == "pending"

    customer_browser.submit(
        f"/support/orders/{order_id}/cancel",
        {"reason": "Customer asked by phone"},
        f"/support/orders/{order_id}",
    )

    db.session.rollback()
    assert order(order_id).status == "cancelled"
    assert localstripe.api(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    trail = customer_browser.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert "cancelled an order" in trail.lower() and "Customer asked by phone" in trail


def test_reconcile_processes_again_an_event_cut_short_by_a_crash(
    app, place_order, pay, localstripe, webhook_inbox
):
    order_id = place_order()
    pay(order_id)
    intent_id = order(order_id).stripe_payment_intent_id
    _, _, body = webhook_inbox.wait_for("payment_intent.succeeded", intent_id)
    event = json.loads(body)
    # Stored, then the server stopped before processing it.
    db.session.add(
        StripeEvent(
            stripe_id=event["id"],
            type=event["type"],
            payload=event,
            received_at=utcnow() - timedelta(minutes=10),
        )
    )
    db.session.commit()

    result = run_reconcile(app)

    db.session.rollback()
    # The order is settled once (by its PaymentIntent), and the event is closed, not left behind.
    assert f"Event {event['id']} (payment_intent.succeeded): already fulfilled" in result.output
    assert order(order_id).status == "paid"
    assert len(certificates_of(order_id)) == 1
    stored = db.session.scalar(select(StripeEvent).where(StripeEvent.stripe_id == event["id"]))
    assert stored.processed_at is not None and stored.outcome == "already fulfilled"
    assert "Event" not in run_reconcile(app).output


def test_support_sees_every_attempt_and_refunds_an_extra_payment_with_a_reason(
    place_order, pay, forward, customer_browser, staff, localstripe, gateway
):
    order_id = place_order()
    abandoned = pay(order_id, NEEDS_3D_SECURE) and order(order_id).stripe_payment_intent_id
    pay(order_id)
    paid_with = order(order_id).stripe_payment_intent_id
    forward("payment_intent.succeeded", paid_with)
    # A charge the portal saw but could not refund at once (Stripe was away): support decides.
    db.session.rollback()
    the_order = order(order_id)
    setup = gateway.create_setup_intent(the_order.user.stripe_customer_id)
    extra = gateway.create_payment(
        order_id=order_id,
        amount_cents=the_order.amount_cents,
        currency=the_order.currency,
        customer_id=the_order.user.stripe_customer_id,
        payment_method_id=localstripe.confirm_card_setup(setup.client_secret, VISA),
        idempotency_key=f"order-{order_id}-paid-twice-{the_order.user.stripe_customer_id}",
    )
    note_attempt(order(order_id), extra)
    db.session.commit()
    customer_email = order(order_id).user.email
    customer_browser.logout()
    customer_browser.login(staff.email)

    page = customer_browser.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert [abandoned, paid_with, extra.id] == re.findall(r'id="attempt-(pi_\w+)"', page)
    assert "canceled" in page and extra.charge_id in page
    assert page.count("extra payment</span>") == 1
    found = customer_browser.get(
        "/support/customers", query_string={"q": extra.charge_id}, follow_redirects=True
    )
    assert customer_email in found.get_data(as_text=True)

    url = f"/support/orders/{order_id}/payments/{extra.id}/refund"
    blank = customer_browser.submit(url, {f"{extra.id}-reason": ""}, f"/support/orders/{order_id}")
    assert blank.status_code == 400 and "Give a reason for the refund" in blank.get_data(as_text=True)
    kept = customer_browser.submit(
        f"/support/orders/{order_id}/payments/{paid_with}/refund",
        {f"{paid_with}-reason": "wrong one"},
        f"/support/orders/{order_id}",
    )
    assert kept.status_code == 409 and "is not an extra payment" in kept.get_data(as_text=True)
    assert len(kept_charges(localstripe, order_id)) == 2

    done = customer_browser.submit(
        url, {f"{extra.id}-reason": "Paid twice, ticket 88"}, f"/support/orders/{order_id}"
    )

    assert done.status_code == 302
    assert [c["payment_intent"] for c in kept_charges(localstripe, order_id)] == [paid_with]
    db.session.rollback()
    assert order(order_id).status == "paid"
    [email] = [m for m in sent_mail(customer_email) if "an extra payment was refunded" in m.subject]
    credit_note = db.session.scalar(
        select(BillingDocument).where(BillingDocument.event == f"extra-{extra.id}")
    )
    assert credit_note.total_cents == extra.amount
    assert email.attachments[0]["filename"] == credit_note.filename
    after = customer_browser.get(f"/support/orders/{order_id}").get_data(as_text=True)
    assert "Refund this payment" not in after
    assert "refunded an extra payment" in after.lower() and "Paid twice, ticket 88" in after
