"""POST /webhooks/stripe, branch by branch, with events signed the way Stripe signs them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.billing import webhooks
from app.billing.gateway import StripeGateway
from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import License, Order, StripeEvent
from app.queue import queue_of, task
from tests.conftest import sent_mail
from tests.factories import certificates_of
from tests.support.localstripe import sign_webhook
from tests.support.payments import deliver_and_apply, payment_intent, stripe_event, succeeded_event
from tests.support.tasks import run_queued

SECRET = "whsec_test_portal"


def charge_of(order, **changes):
    charge = {
        "id": f"ch_{order.id}",
        "object": "charge",
        "amount": order.amount_cents,
        "amount_refunded": order.amount_cents,
        "currency": order.currency,
        "payment_intent": order.stripe_payment_intent_id,
        "refunded": True,
        "refunds": {"data": [{"id": "re_1", "metadata": {"reason": "Bought the wrong amount"}}]},
    }
    return {**charge, **changes}


def dispute_of(order, status="needs_response"):
    return {
        "id": f"dp_{order.id}",
        "object": "dispute",
        "charge": f"ch_{order.id}",
        "payment_intent": order.stripe_payment_intent_id,
        "status": status,
    }


@pytest.fixture
def deliver(client):
    def deliver(event, secret=SECRET, signature=None):
        payload = json.dumps(event).encode()
        return deliver_and_apply(
            client, payload, signature if signature is not None else sign_webhook(payload, secret)
        )

    return deliver


def stored_events():
    return db.session.scalars(select(StripeEvent)).all()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- verification -------------------------------------------------------------------------


def test_bad_signature_is_refused_and_nothing_is_stored(deliver, make_stripe_order):
    order = make_stripe_order()

    response = deliver(succeeded_event(order), secret="whsec_someone_else")

    assert response.status_code == 400
    assert stored_events() == []
    assert db.session.get(Order, order.id).status == "pending"


def test_missing_signature_is_refused(deliver, make_stripe_order):
    response = deliver(succeeded_event(make_stripe_order()), signature="")

    assert response.status_code == 400
    assert stored_events() == []


def test_signed_body_that_is_not_an_event_is_refused(client):
    payload = b'{"hello": "world"}'

    response = client.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign_webhook(payload, SECRET)}
    )

    assert response.status_code == 400
    assert stored_events() == []


def test_event_without_an_id_is_refused(deliver):
    response = deliver({"type": "payment_intent.succeeded", "data": {"object": {}}})

    assert response.status_code == 400
    assert stored_events() == []


def test_no_signing_secret_is_a_portal_failure_so_stripe_retries(app, deliver, make_stripe_order):
    app.extensions["stripe_gateway"] = StripeGateway(secret_key="sk_test_portal", webhook_secret=None)

    response = deliver(succeeded_event(make_stripe_order()))

    assert response.status_code == 500
    assert stored_events() == []


def test_unhandled_event_type_is_stored_and_answered_200(deliver):
    response = deliver(
        stripe_event("customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_cus")
    )

    assert response.status_code == 200
    [stored] = stored_events()
    assert (stored.stripe_id, stored.type, stored.outcome) == (
        "evt_cus",
        "customer.created",
        "ignored: customer.created is not handled",
    )
    assert stored.processed_at is not None and stored.payload["data"]["object"]["id"] == "cus_1"


# --- payment_intent.succeeded ---------------------------------------------------------------


def test_succeeded_payment_creates_the_license_and_its_certificate(
    deliver, make_stripe_order, keyring, buyer
):
    order = make_stripe_order(accounts=50)

    response = deliver(succeeded_event(order))

    assert (response.status_code, response.json["outcome"]) == (200, "fulfilled")
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.paid_at is not None
    license = order.license
    assert (license.kind, license.accounts, license.owner_id) == ("paid", 50, buyer.id)
    [certificate] = certificates_of(order.id)
    assert (certificate.serial, certificate.reason) == (1, "purchase")
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.license_code, claims.accounts, claims.kind) == (license.code, 50, "paid")
    assert stored_events()[0].outcome == "fulfilled"


def test_receipt_is_queued_with_the_certificate_attached(deliver, make_stripe_order, buyer):
    order = make_stripe_order(accounts=50)

    deliver(succeeded_event(order))

    [receipt] = sent_mail(buyer.email)
    order = db.session.get(Order, order.id)
    assert receipt.subject == f"Receipt for order {order.id}: license {order.license.code}"
    assert "$225.00" in receipt.text_body and "Visa ending in 4242" in receipt.text_body
    assert order.stripe_payment_intent_id in receipt.text_body
    [attachment, invoice] = receipt.attachments
    assert (invoice["filename"], invoice["content_type"]) == (
        f"INV-{order.paid_at.year}-000001.pdf",
        "application/pdf",
    )
    assert attachment["filename"] == f"{order.license.code}-1.lic"
    assert attachment["content_type"] == "text/plain"
    assert attachment["content"] == certificates_of(order.id)[0].text


@pytest.mark.parametrize(
    "latest_charge",
    [
        "ch_3Webhook",  # as Stripe sends it in an event
        {"id": "ch_3Webhook", "object": "charge", "amount_refunded": 0},  # as localstripe expands it
    ],
)
def test_the_charge_of_a_payment_is_kept_and_support_finds_the_order_by_it(
    deliver, make_stripe_order, agent, buyer, latest_charge
):
    order = make_stripe_order(accounts=50)

    deliver(succeeded_event(order, latest_charge=latest_charge))

    [attempt] = db.session.get(Order, order.id).attempts
    assert attempt.stripe_charge_id == "ch_3Webhook"
    found = agent.get("/support/customers", query_string={"q": "ch_3Webhook"})
    assert found.location == f"/support/orders/{order.id}"
    page = agent.get(found.location).get_data(as_text=True)
    assert f"/support/customers/{buyer.id}" in page


def test_upgrade_adds_the_accounts_with_the_next_serial(deliver, make_stripe_order, make_license):
    license = make_license(accounts=50)
    order = make_stripe_order(license=license, accounts=25)

    response = deliver(succeeded_event(order))

    assert (response.status_code, response.json["outcome"]) == (200, "fulfilled")
    license = db.session.get(License, license.id)
    assert license.accounts == 75
    [certificate] = certificates_of(order.id)
    assert (certificate.serial, certificate.reason, certificate.accounts) == (2, "upgrade", 75)


def test_buying_a_trial_converts_it_with_the_same_code(deliver, make_stripe_order, make_license):
    trial = make_license(kind="trial", accounts=25)
    order = make_stripe_order(license=trial, accounts=100)

    deliver(succeeded_event(order))

    license = db.session.get(License, trial.id)
    assert (license.code, license.kind, license.accounts, license.trial_expires_at) == (
        trial.code,
        "paid",
        100,
        None,
    )
    [certificate] = certificates_of(order.id)
    assert (certificate.reason, certificate.kind, certificate.expires_at) == (
        "trial_conversion",
        "paid",
        None,
    )


def test_same_event_delivered_again_is_not_processed_again(deliver, make_stripe_order):
    order = make_stripe_order()
    succeeded = succeeded_event(order)

    first, second = deliver(succeeded), deliver(succeeded)

    assert first.json["outcome"] == "fulfilled"
    assert (second.status_code, second.json["outcome"]) == (200, "already processed")
    assert len(certificates_of(order.id)) == 1
    assert len(stored_events()) == 1


def test_another_event_for_a_fulfilled_payment_changes_nothing(deliver, make_stripe_order):
    order = make_stripe_order()

    deliver(succeeded_event(order))
    again = deliver(succeeded_event(order))

    assert again.json["outcome"] == "already fulfilled"
    assert len(certificates_of(order.id)) == 1
    assert db.session.get(Order, order.id).license.accounts == 50


def test_wrong_amount_is_flagged_not_fulfilled(deliver, make_stripe_order):
    order = make_stripe_order(accounts=50)

    response = deliver(succeeded_event(order, amount=100))

    assert response.status_code == 200
    assert response.json["outcome"].startswith("flagged:")
    order = db.session.get(Order, order.id)
    assert (order.status, order.flagged, order.license_id) == ("pending", True, None)
    assert "100 USD" in order.flag_reason and "22500 USD" in order.flag_reason
    assert certificates_of(order.id) == []


def test_the_outcome_is_a_code_for_machines_and_a_sentence_naming_the_payment(deliver, make_stripe_order):
    order = make_stripe_order(accounts=50)

    response = deliver(succeeded_event(order, id="pi_3Wrongamount", amount=100))

    assert response.json["code"] == "flagged"
    assert response.json["outcome"].startswith("flagged: Payment pi_3Wrongamount is for 100 USD")
    [stored] = stored_events()
    assert (stored.outcome_code, stored.outcome) == ("flagged", response.json["outcome"][:100])


def test_the_webhook_metric_keeps_one_series_per_outcome_however_many_payments_are_flagged(
    app, client, deliver, make_stripe_order
):
    order = make_stripe_order(accounts=50)
    for number in range(100):
        deliver(succeeded_event(order, id=f"pi_3Flagged{number:03}", amount=100 + number))
    deliver(succeeded_event(order))

    app.config["METRICS_TOKEN"] = "scrape-secret"
    body = client.get("/metrics/portal", headers={"Authorization": "Bearer scrape-secret"}).get_data(
        as_text=True
    )
    series = [line for line in body.splitlines() if line.startswith("portal_webhook_events_total{")]
    assert sorted(series) == [
        'portal_webhook_events_total{outcome="flagged",type="payment_intent.succeeded"} 100.0',
        'portal_webhook_events_total{outcome="fulfilled",type="payment_intent.succeeded"} 1.0',
    ]


def test_wrong_currency_is_flagged_not_fulfilled(deliver, make_stripe_order):
    order = make_stripe_order()

    deliver(succeeded_event(order, currency="eur"))

    order = db.session.get(Order, order.id)
    assert (order.status, order.flagged) == ("pending", True)


def test_payment_of_another_stripe_customer_is_ignored(deliver, make_stripe_order):
    order = make_stripe_order()

    response = deliver(succeeded_event(order, customer="cus_someone_else"))

    assert response.json["outcome"] == "ignored: no order of this portal"
    assert db.session.get(Order, order.id).status == "pending"


def test_payment_for_an_unknown_order_is_ignored(deliver, make_stripe_order):
    order = make_stripe_order()

    response = deliver(succeeded_event(order, id="pi_unknown", metadata={"order_id": "99999"}))

    assert (response.status_code, response.json["outcome"]) == (200, "ignored: no order of this portal")
    assert db.session.get(Order, order.id).status == "pending"
    assert count(License) == 0


def test_order_is_found_by_its_payment_when_metadata_is_missing(deliver, make_stripe_order):
    order = make_stripe_order()

    response = deliver(succeeded_event(order, metadata={}))

    assert response.json["outcome"] == "fulfilled"


def test_failed_order_whose_payment_succeeds_later_is_fulfilled(deliver, make_stripe_order):
    order = make_stripe_order(status="failed")

    response = deliver(succeeded_event(order))

    assert response.json["outcome"] == "fulfilled"
    assert db.session.get(Order, order.id).status == "paid"


def test_second_successful_payment_of_a_paid_order_waits_for_its_refund(app, deliver, paid_order):
    order = paid_order()
    app.extensions["stripe_gateway"] = StripeGateway(
        secret_key="sk_test_portal",
        webhook_secret=SECRET,
        api_base="http://127.0.0.1:9",
        max_network_retries=0,
    )

    # No Stripe to refund the extra payment through: the worker tries again later.
    response = deliver(succeeded_event(order, id="pi_second_card"))

    assert (response.status_code, response.json["outcome"]) == (200, "error")
    [stored] = stored_events()
    assert stored.processed_at is None and stored.next_attempt_at is not None
    order = db.session.get(Order, order.id)
    assert (order.status, order.license.accounts) == ("paid", 50)
    assert len(certificates_of(order.id)) == 1


def test_the_webhook_answers_before_fulfilment_and_the_worker_fulfils(
    app, client, customer_browser, make_stripe_order
):
    order = make_stripe_order(accounts=50)
    payload = json.dumps(succeeded_event(order)).encode()

    response = client.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign_webhook(payload, SECRET)}
    )

    assert (response.status_code, response.json["code"]) == (200, "received")
    assert db.session.get(Order, order.id).status == "pending"
    page = customer_browser.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Payment received — preparing your certificate" in page
    assert customer_browser.get(f"/orders/{order.id}/status").json["received"] is True

    assert run_queued(app, "apply_stripe_event") == 1

    assert db.session.get(Order, order.id).status == "paid"
    assert len(certificates_of(order.id)) == 1
    page = customer_browser.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Payment received — preparing" not in page and "Thank you!" in page


def test_a_failure_is_kept_on_the_event_and_retried_with_backoff(
    app, deliver, make_stripe_order, monkeypatch
):
    order = make_stripe_order()
    real_fulfil = webhooks.fulfil_order

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhooks, "fulfil_order", broken)
    failed = deliver(succeeded_event(order))

    assert (failed.status_code, failed.json["outcome"]) == (200, "error")
    [stored] = stored_events()
    assert stored.processed_at is None and stored.error == "RuntimeError: database went away"
    assert stored.failures == 1 and stored.failed_at is None
    assert 9 <= (stored.next_attempt_at - stored.received_at).total_seconds() <= 11
    [retry] = [task for task in queue_of(app).scheduled() if task.name == "apply_stripe_event"]
    assert retry.args == (stored.id,)
    assert db.session.get(Order, order.id).status == "pending"

    monkeypatch.setattr(webhooks, "fulfil_order", real_fulfil)
    queue_of(app).execute(retry, timestamp=retry.eta)  # when it is due
    db.session.rollback()

    [stored] = stored_events()
    assert stored.processed_at is not None and stored.error is None and stored.outcome == "fulfilled"
    assert db.session.get(Order, order.id).status == "paid"


def test_after_the_last_attempt_the_event_is_failed_and_shown_to_operators(
    app, deliver, make_stripe_order, monkeypatch, runner, agent
):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    order = make_stripe_order()
    monkeypatch.setattr(webhooks, "fulfil_order", lambda *args: 1 / 0)

    deliver(succeeded_event(order, id="pi_3Failing"))

    [stored] = stored_events()
    assert stored.failed_at is not None and stored.next_attempt_at is None
    assert not [task for task in queue_of(app).scheduled() if task.args == (stored.id,)]
    listed = runner.invoke(args=["billing", "events", "--failed"])
    assert f"{stored.stripe_id}  payment_intent.succeeded" in listed.output
    assert "ZeroDivisionError: division by zero" in listed.output
    overview = agent.get("/support/").get_data(as_text=True)
    assert "1 Stripe event not applied" in overview and "ZeroDivisionError" in overview
    app.config["METRICS_TOKEN"] = "scrape-secret"
    metrics = agent.client.get("/metrics/portal", headers={"Authorization": "Bearer scrape-secret"})
    [age] = [
        line
        for line in metrics.get_data(as_text=True).splitlines()
        if line.startswith("portal_webhook_events_unapplied_oldest_age_seconds ")
    ]
    assert float(age.split()[1]) >= 0

    monkeypatch.undo()
    retried = runner.invoke(args=["billing", "events", "--retry", stored.stripe_id])
    assert "1 failed event(s) handed to the worker again." in retried.output
    run_queued(app, "apply_stripe_event")
    db.session.rollback()

    assert db.session.get(Order, order.id).status == "paid"
    assert "Stripe event" not in agent.get("/support/").get_data(as_text=True)


def test_an_event_the_queue_never_got_is_applied_by_the_sweep(app, client, make_stripe_order, monkeypatch):
    order = make_stripe_order()
    monkeypatch.setitem(app.extensions, "stripe_event_dispatch", lambda event_id: None)  # the queue is down
    payload = json.dumps(succeeded_event(order)).encode()
    assert (
        client.post(
            "/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign_webhook(payload, SECRET)}
        ).json["code"]
        == "received"
    )
    assert run_queued(app, "apply_stripe_event") == 0
    [stored] = stored_events()
    stored.received_at -= timedelta(seconds=61)
    db.session.commit()

    queue_of(app).execute(task(app, "stripe_event_sweep").s())
    run_queued(app, "apply_stripe_event")
    db.session.rollback()

    assert db.session.get(Order, order.id).status == "paid"
    assert len(certificates_of(order.id)) == 1


# --- payment_intent.payment_failed ----------------------------------------------------------


def failed_intent(order, **changes):
    error = {"code": "card_declined", "message": "Your card was declined."}
    return payment_intent(order, status="requires_payment_method", last_payment_error=error, **changes)


def test_failed_payment_fails_a_pending_order_and_tells_the_customer(deliver, make_stripe_order, buyer):
    order = make_stripe_order()

    response = deliver(stripe_event("payment_intent.payment_failed", failed_intent(order)))

    assert response.json["outcome"] == "order failed"
    order = db.session.get(Order, order.id)
    assert (order.status, order.failure_message) == ("failed", "Your card was declined.")
    [notice] = sent_mail(buyer.email)
    assert notice.subject == f"Payment for order {order.id} failed"
    assert "Your card was declined." in notice.text_body


def test_late_failure_never_unpays_an_order(deliver, paid_order):
    order = paid_order()

    response = deliver(stripe_event("payment_intent.payment_failed", failed_intent(order)))

    assert response.json["outcome"] == "ignored: the order is paid"
    assert db.session.get(Order, order.id).status == "paid"


def test_failure_of_an_earlier_attempt_leaves_the_current_one_alone(deliver, make_stripe_order):
    order = make_stripe_order(payment_intent="pi_current")

    response = deliver(stripe_event("payment_intent.payment_failed", failed_intent(order, id="pi_earlier")))

    assert response.json["outcome"].startswith("ignored: an earlier attempt failed")
    assert db.session.get(Order, order.id).status == "pending"


# --- charge.refunded ---------------------------------------------------------------------------


def test_full_refund_removes_the_accounts_and_issues_a_certificate(deliver, paid_order, make_license, buyer):
    license = make_license(accounts=50)
    order = paid_order(license=license, accounts=25)

    response = deliver(stripe_event("charge.refunded", charge_of(order)))

    assert response.json["outcome"] == "order refunded"
    order = db.session.get(Order, order.id)
    assert (order.status, order.refunded_cents, order.refund_reason) == (
        "refunded",
        11250,
        "Bought the wrong amount",
    )
    assert db.session.get(License, license.id).accounts == 50
    refund_certificate = certificates_of(order.id)[-1]
    assert (refund_certificate.serial, refund_certificate.reason, refund_certificate.accounts) == (
        3,
        "refund",
        50,
    )
    notice = sent_mail(buyer.email)[-1]
    assert notice.subject.startswith(f"Order {order.id} refunded")
    assert notice.attachments[0]["content"] == refund_certificate.text


def test_refund_reported_twice_refunds_once(deliver, paid_order):
    order = paid_order()

    deliver(stripe_event("charge.refunded", charge_of(order)))
    again = deliver(stripe_event("charge.refunded", charge_of(order)))

    assert again.json["outcome"] == "ignored: the order is refunded"
    assert [c.reason for c in certificates_of(order.id)] == ["purchase", "refund"]


def test_partial_refund_is_recorded_and_flagged_without_changing_the_license(deliver, paid_order):
    order = paid_order(accounts=50)

    response = deliver(
        stripe_event("charge.refunded", charge_of(order, amount_refunded=5000, refunded=False))
    )

    assert response.json["outcome"] == "partial refund recorded and flagged"
    order = db.session.get(Order, order.id)
    assert (order.status, order.refunded_cents, order.flagged) == ("paid", 5000, True)
    assert order.license.accounts == 50
    assert len(certificates_of(order.id)) == 1


def test_refund_of_an_unknown_charge_is_kept_and_changes_no_order(deliver, paid_order):
    order = paid_order()

    response = deliver(stripe_event("charge.refunded", charge_of(order, payment_intent="pi_elsewhere")))

    assert response.json["outcome"] == "kept: no order for this payment yet"
    assert db.session.get(Order, order.id).status == "paid"


# --- disputes ------------------------------------------------------------------------------------


def test_dispute_freezes_upgrades(deliver, paid_order):
    order = paid_order()

    response = deliver(stripe_event("charge.dispute.created", dispute_of(order)))

    assert response.json["outcome"] == "order disputed, upgrades frozen"
    order = db.session.get(Order, order.id)
    assert (order.status, order.license.upgrades_frozen) == ("disputed", True)


def test_won_dispute_puts_the_order_back_and_unfreezes(deliver, paid_order):
    order = paid_order()
    deliver(stripe_event("charge.dispute.created", dispute_of(order)))

    response = deliver(stripe_event("charge.dispute.closed", dispute_of(order, status="won")))

    assert response.json["outcome"] == "dispute won, order paid again"
    order = db.session.get(Order, order.id)
    assert (order.status, order.license.upgrades_frozen, order.license.accounts) == ("paid", False, 50)


def test_lost_dispute_acts_as_a_refund(deliver, paid_order):
    order = paid_order(accounts=50)
    deliver(stripe_event("charge.dispute.created", dispute_of(order)))

    response = deliver(stripe_event("charge.dispute.closed", dispute_of(order, status="lost")))

    assert response.json["outcome"] == "dispute lost, order refunded"
    order = db.session.get(Order, order.id)
    assert (order.status, order.license.accounts, order.license.upgrades_frozen) == ("refunded", 0, False)
    assert [c.reason for c in certificates_of(order.id)] == ["purchase", "dispute_lost"]


def test_dispute_still_under_review_changes_nothing(deliver, paid_order):
    order = paid_order()
    deliver(stripe_event("charge.dispute.created", dispute_of(order)))

    response = deliver(stripe_event("charge.dispute.closed", dispute_of(order, status="under_review")))

    assert response.json["outcome"] == "ignored: the dispute is under_review"
    assert db.session.get(Order, order.id).status == "disputed"


def test_upgrades_stay_frozen_while_another_order_is_disputed(deliver, paid_order, make_stripe_order):
    first = paid_order(accounts=50)
    second = make_stripe_order(license=first.license, accounts=25)
    deliver(succeeded_event(second))
    deliver(stripe_event("charge.dispute.created", dispute_of(first)))
    deliver(stripe_event("charge.dispute.created", dispute_of(second)))

    deliver(stripe_event("charge.dispute.closed", dispute_of(first, status="won")))

    assert db.session.get(License, first.license_id).upgrades_frozen is True


def test_dispute_of_an_unknown_payment_is_ignored(deliver, paid_order):
    order = paid_order()

    response = deliver(stripe_event("charge.dispute.created", {**dispute_of(order), "payment_intent": None}))

    assert response.json["outcome"] == "ignored: no order for this dispute"
    assert db.session.get(Order, order.id).status == "paid"


def test_events_are_kept_with_their_outcome(deliver, paid_order):
    order = paid_order()
    deliver(stripe_event("charge.dispute.created", dispute_of(order), event_id="evt_dispute"))

    stored = db.session.scalar(select(StripeEvent).where(StripeEvent.stripe_id == "evt_dispute"))

    assert (stored.type, stored.outcome) == ("charge.dispute.created", "order disputed, upgrades frozen")
    assert stored.received_at <= datetime.now(UTC)
    assert count(StripeEvent) == 1


def test_failure_of_an_unnamed_earlier_attempt_leaves_the_next_one_alone(deliver, make_stripe_order):
    order = make_stripe_order()
    order.stripe_payment_intent_id = None  # the declined attempt's PaymentIntent was never named
    db.session.commit()
    before_the_latest_attempt = int(order.payment_attempted_at.timestamp()) - 60

    response = deliver(
        stripe_event(
            "payment_intent.payment_failed",
            failed_intent(order, id="pi_declined", created=before_the_latest_attempt),
        )
    )

    assert response.json["outcome"].startswith("ignored: an earlier attempt failed")
    assert db.session.get(Order, order.id).status == "pending"
