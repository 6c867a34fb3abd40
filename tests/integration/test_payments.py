"""Paying for orders against localstripe, with the webhooks it really sends."""

import functools
import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.billing.fulfilment import FulfilmentSettings, apply_full_refund
from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import Order, StripeEvent
from app.models.base import utcnow
from tests.conftest import csrf_token, sent_mail
from tests.factories import STANDARD_TERMS, add_order, certificates_of
from tests.support import payments as payments_helpers
from tests.support.localstripe import sign_webhook
from tests.support.payments import (
    DECLINED_CARD,
    NEEDS_3D_SECURE,
    VISA,
    stripe_event,
    stripe_settings,
)


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe)


@pytest.fixture
def place_order(customer_browser):
    def place(accounts=50, license=None):
        url = f"/licenses/{license.code}/upgrade" if license else "/orders/new"
        response = customer_browser.submit(url, {"accounts": str(accounts), "confirmed": "yes"})
        return int(re.fullmatch(r"/orders/(\d+)/pay", response.headers["Location"]).group(1))

    return place


@pytest.fixture
def pay(customer_browser, localstripe):
    """What the payment page's script does: set up the card with Stripe, then ask the portal to charge it."""

    def pay(order_id, card=VISA, payment_method=None):
        if payment_method is None:
            page = customer_browser.get(f"/orders/{order_id}/pay").get_data(as_text=True)
            client_secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
            payment_method = localstripe.confirm_card_setup(client_secret, card)
        else:
            page = customer_browser.get("/orders/new").get_data(as_text=True)
        response = customer_browser.client.post(
            f"/orders/{order_id}/pay",
            json={"payment_method": payment_method},
            headers={"X-CSRFToken": csrf_token(page)},
        )
        response.payment_method = payment_method
        return response

    return pay


@pytest.fixture
def post_webhook(client):
    return functools.partial(payments_helpers.deliver_and_apply, client)


@pytest.fixture
def forward(webhook_inbox, post_webhook):
    """Hand the portal the event localstripe sent about a PaymentIntent, as Stripe would deliver it."""

    def forward(event_type, payment_intent_id):
        _, signature, body = webhook_inbox.wait_for(event_type, payment_intent_id)
        return post_webhook(body, signature)

    return forward


def order(order_id):
    return db.session.get(Order, order_id)


def run_reconcile(app):
    return app.test_cli_runner().invoke(args=["billing", "reconcile", "--older-than", "0"])


def test_purchase_is_fulfilled_by_stripes_webhook(place_order, pay, forward, keyring, customer):
    order_id = place_order(accounts=50)

    answer = pay(order_id)

    assert answer.status_code == 200
    assert answer.json == {"status": "succeeded", "redirect": f"/orders/{order_id}"}
    paid = order(order_id)
    assert (paid.status, paid.card_brand, paid.card_last4) == ("pending", "visa", "4242")

    delivered = forward("payment_intent.succeeded", paid.stripe_payment_intent_id)

    assert (delivered.status_code, delivered.json["outcome"]) == (200, "fulfilled")
    paid = order(order_id)
    assert paid.status == "paid" and paid.license.accounts == 50
    [certificate] = certificates_of(order_id)
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.license_code, claims.accounts, claims.serial) == (paid.license.code, 50, 1)
    [receipt] = sent_mail(customer.email)
    assert receipt.attachments[0]["content"] == certificate.text


def test_the_stripe_customer_is_made_once_and_kept(place_order, pay, customer, localstripe):
    pay(place_order(accounts=25))
    pay(place_order(accounts=50))

    stripe_customer = db.session.get(type(customer), customer.id).stripe_customer_id
    assert stripe_customer.startswith("cus_")
    charges = localstripe.api(f"/v1/charges?customer={stripe_customer}")["data"]
    assert sorted(charge["amount"] for charge in charges) == [11250, 22500]


def test_declined_card_shows_stripes_message_and_another_card_can_pay(place_order, pay, forward, localstripe):
    order_id = place_order()

    declined = pay(order_id, DECLINED_CARD)

    assert declined.status_code == 402
    assert declined.json == {"status": "declined", "error": "Your card was declined."}
    failed = order(order_id)
    assert (failed.status, failed.failure_message) == ("failed", "Your card was declined.")
    customer_id = failed.user.stripe_customer_id
    failed_intent = localstripe.api(f"/v1/charges?customer={customer_id}")["data"][0]["payment_intent"]
    late = forward("payment_intent.payment_failed", failed_intent)
    assert late.json["outcome"] == "ignored: the order is failed"
    assert certificates_of(order_id) == []

    retried = pay(order_id, VISA)

    assert retried.status_code == 200
    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    assert order(order_id).status == "paid"


def test_same_webhook_delivered_five_times_fulfils_once(place_order, pay, webhook_inbox, post_webhook):
    order_id = place_order()
    pay(order_id)
    _, signature, body = webhook_inbox.wait_for(
        "payment_intent.succeeded", order(order_id).stripe_payment_intent_id
    )

    outcomes = [post_webhook(body, signature).json["outcome"] for _ in range(5)]

    assert outcomes == ["fulfilled"] + ["already processed"] * 4
    assert len(certificates_of(order_id)) == 1
    assert order(order_id).license.accounts == 50
    assert len(sent_mail()) == 1


def test_lost_webhook_is_made_good_by_reconcile(app, place_order, pay, forward):
    order_id = place_order()
    pay(order_id)

    result = run_reconcile(app)

    assert result.exit_code == 0, result.output
    assert f"Order {order_id} ({order(order_id).stripe_payment_intent_id}): fulfilled" in result.output
    assert order(order_id).status == "paid"
    late = forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    assert late.json["outcome"] == "already fulfilled"
    assert len(certificates_of(order_id)) == 1


def test_webhook_arriving_while_reconcile_runs_fulfils_once(
    app, place_order, pay, webhook_inbox, post_webhook
):
    order_id = place_order()
    pay(order_id)
    _, signature, body = webhook_inbox.wait_for(
        "payment_intent.succeeded", order(order_id).stripe_payment_intent_id
    )
    start = threading.Barrier(2)
    results = {}

    def webhook():
        start.wait()
        results["webhook"] = payments_helpers.deliver_and_apply(app.test_client(), body, signature)

    def reconcile():
        start.wait()
        results["reconcile"] = run_reconcile(app)

    threads = [threading.Thread(target=webhook), threading.Thread(target=reconcile)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.rollback()  # read what the two threads committed

    assert results["webhook"].status_code == 200
    assert results["reconcile"].exit_code == 0, results["reconcile"].output
    # Exactly one of them fulfils: the stored event (applied by the worker, or by reconcile when it
    # found the event waiting), or reconcile's check of the order.
    outcomes = [results["webhook"].json["outcome"]]
    outcomes += re.findall(r"^Order .*?: (.+)$", results["reconcile"].output, re.MULTILINE)
    assert outcomes.count("fulfilled") == 1, outcomes
    assert set(outcomes) <= {"fulfilled", "already fulfilled", "already processed"}, outcomes
    assert len(certificates_of(order_id)) == 1
    assert order(order_id).license.accounts == 50
    assert len(sent_mail()) == 1


def test_status_page_fulfils_when_the_webhook_is_late(place_order, pay, customer_browser):
    order_id = place_order()
    pay(order_id)
    assert customer_browser.get(f"/orders/{order_id}/status").json == {
        "status": "pending",
        "waiting": True,
        "received": False,
    }
    order(order_id).payment_attempted_at = utcnow() - timedelta(seconds=30)
    db.session.commit()

    assert customer_browser.get(f"/orders/{order_id}/status").json == {
        "status": "paid",
        "waiting": False,
        "received": False,
    }
    assert len(certificates_of(order_id)) == 1


def test_3d_secure_payment_is_paid_once_the_bank_confirms(place_order, pay, localstripe, forward):
    order_id = place_order()

    answer = pay(order_id, NEEDS_3D_SECURE)

    assert answer.json["status"] == "requires_action"
    localstripe.complete_3d_secure(answer.json["client_secret"])
    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    assert order(order_id).status == "paid"


def test_payment_page_offers_to_finish_a_started_3d_secure(place_order, pay, customer_browser):
    order_id = place_order()
    answer = pay(order_id, NEEDS_3D_SECURE)

    page = customer_browser.get(f"/orders/{order_id}/pay").get_data(as_text=True)

    assert f'data-resume-secret="{answer.json["client_secret"]}"' in page
    assert "Your bank asked you to confirm the payment you started." in page


def test_double_submission_charges_once(place_order, pay, localstripe):
    order_id = place_order()
    first = pay(order_id)

    second = pay(order_id, payment_method=first.payment_method)

    assert second.status_code == 409 and second.json["redirect"] == f"/orders/{order_id}"
    customer_id = order(order_id).user.stripe_customer_id
    assert len(localstripe.api(f"/v1/charges?customer={customer_id}")["data"]) == 1


def test_simultaneous_submissions_of_one_card_charge_once(app, place_order, customer_browser, localstripe):
    order_id = place_order()
    page = customer_browser.get(f"/orders/{order_id}/pay").get_data(as_text=True)
    client_secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
    payment_method = localstripe.confirm_card_setup(client_secret, VISA)
    start = threading.Barrier(3)
    answers = []

    def click():
        start.wait()
        answers.append(
            customer_browser.client.post(
                f"/orders/{order_id}/pay",
                json={"payment_method": payment_method},
                headers={"X-CSRFToken": csrf_token(page)},
            )
        )

    threads = [threading.Thread(target=click) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.rollback()

    assert len(answers) == 3
    assert all(answer.json.get("redirect") == f"/orders/{order_id}" for answer in answers)
    customer_id = order(order_id).user.stripe_customer_id
    assert len(localstripe.api(f"/v1/charges?customer={customer_id}")["data"]) == 1


def test_payment_page_of_a_charged_order_goes_to_the_order(place_order, pay, customer_browser):
    order_id = place_order()
    pay(order_id)

    assert customer_browser.get(f"/orders/{order_id}/pay").headers["Location"] == f"/orders/{order_id}"


def test_bad_signature_is_refused_and_nothing_is_stored(place_order, pay, webhook_inbox, post_webhook):
    order_id = place_order()
    pay(order_id)
    _, signature, body = webhook_inbox.wait_for(
        "payment_intent.succeeded", order(order_id).stripe_payment_intent_id
    )

    response = post_webhook(body.replace(b'"amount": 22500', b'"amount": 100'), signature)

    assert response.status_code == 400
    assert db.session.scalars(select(StripeEvent)).all() == []
    assert order(order_id).status == "pending"


def test_payment_of_the_wrong_amount_is_flagged_not_fulfilled(
    place_order, pay, gateway, localstripe, forward
):
    order_id = place_order(accounts=50)
    pay(order_id)
    placed = order(order_id)
    setup = gateway.create_setup_intent(placed.user.stripe_customer_id)
    short = gateway.create_payment(
        order_id=order_id,
        amount_cents=100,
        currency="usd",
        customer_id=placed.user.stripe_customer_id,
        payment_method_id=localstripe.confirm_card_setup(setup.client_secret, VISA),
        idempotency_key=f"short-{setup.id}",
    )

    response = forward("payment_intent.succeeded", short.id)

    assert response.json["outcome"].startswith("flagged:")
    flagged = order(order_id)
    assert (flagged.status, flagged.flagged) == ("pending", True)
    assert certificates_of(order_id) == []


def test_support_refund_takes_the_accounts_back(
    app, place_order, pay, forward, gateway, keyring, post_webhook
):
    order_id = place_order(accounts=50)
    pay(order_id)
    forward("payment_intent.succeeded", order(order_id).stripe_payment_intent_id)
    paid = order(order_id)

    gateway.refund(paid.stripe_payment_intent_id, "Ordered by mistake", idempotency_key=f"refund-{order_id}")
    certificate = apply_full_refund(
        db.session, paid, FulfilmentSettings(keyring, STANDARD_TERMS), utcnow(), "Ordered by mistake"
    )
    db.session.commit()

    refunded = order(order_id)
    assert (refunded.status, refunded.refunded_cents, refunded.license.accounts) == ("refunded", 22500, 0)
    assert (certificate.serial, certificate.reason, certificate.accounts) == (2, "refund", 0)
    # Stripe's own report of the refund (localstripe sends none) then changes nothing.
    charge = {
        "id": "ch_refunded",
        "object": "charge",
        "amount": 22500,
        "amount_refunded": 22500,
        "refunded": True,
        "payment_intent": refunded.stripe_payment_intent_id,
    }
    payload = json.dumps(stripe_event("charge.refunded", charge, event_id="evt_refund")).encode()
    reported = post_webhook(payload, sign_webhook(payload, "whsec_test_portal"))
    assert reported.json["outcome"] == "ignored: the order is refunded"
    assert len(certificates_of(order_id)) == 2


def test_reconcile_fails_an_order_whose_payment_failed(app, place_order, pay, localstripe):
    order_id = place_order()
    answer = pay(order_id, NEEDS_3D_SECURE)
    localstripe.complete_3d_secure(answer.json["client_secret"], success=False)

    result = run_reconcile(app)

    assert result.exit_code == 0, result.output
    failed = order(order_id)
    assert (failed.status, failed.failure_message) == (
        "failed",
        "The provided PaymentMethod has failed authentication.",
    )


def test_reconcile_reports_a_payment_stripe_does_not_know(app, make_order_with_payment):
    make_order_with_payment("pi_unknown_to_stripe")

    result = run_reconcile(app)

    assert result.exit_code == 1
    assert "pi_unknown_to_stripe): not checked: Not Found" in result.output


@pytest.fixture
def make_order_with_payment(customer):
    def make(payment_intent_id):
        return add_order(
            customer,
            accounts=25,
            stripe_payment_intent_id=payment_intent_id,
            payment_attempted_at=utcnow() - timedelta(minutes=10),
        )

    return make
