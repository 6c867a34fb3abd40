"""The order's states: one table of the moves allowed, enforced by move_order, and one label per state."""

import json
from datetime import UTC, datetime
from itertools import product

import pytest

from app.billing.orders import cancel_order, move_order, start_payment_attempt
from app.extensions import db
from app.models import Order, OrderStatus
from app.models.order import ORDER_TRANSITIONS
from tests.factories import add_order
from tests.support.localstripe import sign_webhook
from tests.support.payments import deliver_and_apply, succeeded_event

SECRET = "whsec_test_portal"


@pytest.fixture
def paid_order(client, make_stripe_order):
    """An order paid the way the product pays one: Stripe's signed webhook."""
    order = make_stripe_order()
    payload = json.dumps(succeeded_event(order)).encode()
    assert deliver_and_apply(client, payload, sign_webhook(payload, SECRET)).json["outcome"] == "fulfilled"
    return db.session.get(Order, order.id)


@pytest.fixture
def order_being_paid(customer):
    """An order whose card was submitted: the attempt is claimed and Stripe is being asked."""
    order = add_order(customer)
    assert start_payment_attempt(db.session, order, datetime.now(UTC))
    db.session.commit()
    return order


def stored(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_cancelled_and_refunded_are_final_and_a_paid_order_is_never_payable_again():
    assert ORDER_TRANSITIONS[OrderStatus.CANCELLED] == set()
    assert ORDER_TRANSITIONS[OrderStatus.REFUNDED] == set()
    assert ORDER_TRANSITIONS[OrderStatus.PAID] == {OrderStatus.DISPUTED, OrderStatus.REFUNDED}
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(("start", "target"), list(product(OrderStatus, OrderStatus)))
def test_move_order_makes_exactly_the_moves_of_the_table(customer, start, target):
    order = add_order(customer, status=start)

    moved = move_order(db.session, order, target)
    db.session.commit()

    allowed = target in ORDER_TRANSITIONS[start]
    assert (moved, stored(order).status) == (allowed, target if allowed else start)


def test_an_illegal_move_of_a_paid_order_is_refused_and_nothing_is_written(paid_order):
    paid_at = paid_order.paid_at

    assert move_order(db.session, paid_order, OrderStatus.PENDING, failure_message="no") is False
    assert cancel_order(db.session, paid_order, "Changed my mind") is False
    db.session.commit()

    order = stored(paid_order)
    assert (order.status, order.paid_at, order.failure_message) == ("paid", paid_at, None)


def test_asking_for_a_move_the_table_forbids_is_a_bug_and_writes_nothing(paid_order):
    with pytest.raises(ValueError, match="never moves from paid to pending"):
        move_order(db.session, paid_order, OrderStatus.PENDING, only_from=(OrderStatus.PAID,))
    db.session.commit()

    assert stored(paid_order).status == "paid"


def test_an_order_being_paid_reads_being_paid_to_the_customer(customer_browser, order_being_paid):
    page = customer_browser.get(f"/orders/{order_being_paid.id}").get_data(as_text=True)
    assert "data-order-status>being paid</span>" in page

    history = customer_browser.get("/orders").get_data(as_text=True)
    assert "data-order-status>being paid</span>" in history


def test_an_order_being_paid_reads_being_paid_in_the_console(agent, order_being_paid):
    page = agent.get(f"/support/orders/{order_being_paid.id}").get_data(as_text=True)
    assert '<span class="badge badge-info">being paid</span>' in page

    listing = agent.get("/support/orders").get_data(as_text=True)
    assert '<span class="badge badge-info">being paid</span>' in listing
    assert "Being paid</a>" in listing
