"""Stripe's events applied against Stripe's own state: a refund before its order is known, and a late
payment after cancelling delivered more than once, through localstripe standing in for Stripe."""
# ruff: noqa: F811 (the payment fixtures are shared from test_payments and test_one_charge)

import pytest

from app.extensions import db
from app.models import BillingDocument, Order
from tests.conftest import sent_mail
from tests.integration.test_one_charge import (  # noqa: F401 (fixtures)
    charge_behind_the_portals_back,
    charges,
    kept_charges,
    new_card,
)
from tests.integration.test_payments import place_order, run_reconcile, settings  # noqa: F401 (fixtures)
from tests.integration.test_refund_races import at_once, deliver
from tests.support.payments import stripe_event

pytestmark = pytest.mark.integration


def order(order_id):
    db.session.rollback()
    return db.session.get(Order, order_id)


def test_a_refund_reported_before_the_success_of_a_payment_never_saved_leaves_the_order_refunded(
    app, place_order, charge_behind_the_portals_back, gateway, localstripe
):
    order_id = place_order()
    # Stripe charged, the portal never saved the PaymentIntent, and the customer was refunded in Stripe.
    payment = charge_behind_the_portals_back(order_id)
    gateway.refund(payment.id, "Customer asked")
    [charge] = charges(localstripe, order_id)
    intent = localstripe.api(f"/v1/payment_intents/{payment.id}")

    refunded = deliver(app, localstripe, stripe_event("charge.refunded", charge))
    succeeded = deliver(app, localstripe, stripe_event("payment_intent.succeeded", intent))

    assert refunded.status_code == succeeded.status_code == 200
    the_order = order(order_id)
    assert kept_charges(localstripe, order_id) == []  # Stripe kept nothing ...
    assert (the_order.status, the_order.refunded_cents) == (
        "refunded",
        the_order.amount_cents,
    )  # ... nor the order
    assert the_order.license.accounts == 0 and the_order.license.current_certificate.accounts == 0
    assert any("refunded" in m.subject for m in sent_mail(the_order.user.email))


def test_a_partial_refund_kept_for_a_payment_never_saved_is_applied_when_reconcile_finds_it(
    app, place_order, charge_behind_the_portals_back, gateway, localstripe
):
    order_id = place_order()
    payment = charge_behind_the_portals_back(order_id)
    gateway.refund(payment.id, "Goodwill", amount_cents=5000)
    [charge] = charges(localstripe, order_id)
    deliver(app, localstripe, stripe_event("charge.refunded", charge))

    run_reconcile(app)

    the_order = order(order_id)
    assert (the_order.status, the_order.refunded_cents, the_order.flagged) == ("paid", 5000, True)
    assert "Partly refunded in Stripe" in the_order.flag_reason


def test_a_late_payment_after_cancelling_delivered_three_times_is_refunded_and_told_once(
    app, place_order, charge_behind_the_portals_back, customer_browser, localstripe
):
    order_id = place_order()
    late = charge_behind_the_portals_back(order_id)
    customer_browser.submit(f"/orders/{order_id}/cancel", {}, form_url=f"/orders/{order_id}")
    assert order(order_id).status == "cancelled"
    intent = localstripe.api(f"/v1/payment_intents/{late.id}")

    answers = at_once(
        lambda: deliver(app, localstripe, stripe_event("payment_intent.succeeded", intent)),
        lambda: deliver(app, localstripe, stripe_event("payment_intent.succeeded", intent)),
    )
    again = deliver(app, localstripe, stripe_event("payment_intent.succeeded", intent))

    assert [answer.status_code for answer in [*answers, again]] == [200, 200, 200]
    the_order = order(order_id)
    assert the_order.status == "cancelled"
    assert kept_charges(localstripe, order_id) == []
    assert len(localstripe.api(f"/v1/refunds?payment_intent={late.id}")["data"]) == 1
    emails = [m for m in sent_mail(the_order.user.email) if "an extra payment was refunded" in m.subject]
    assert len(emails) == 1
    assert len([line for line in the_order.flag_reason.splitlines() if late.id in line]) == 1
    assert len(db.session.query(BillingDocument).filter_by(order_id=order_id).all()) == 1
