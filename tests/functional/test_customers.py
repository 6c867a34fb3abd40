"""One Stripe Customer per portal customer, made on the first order and replaced if Stripe lost it."""

import pytest
from sqlalchemy.orm.attributes import set_committed_value

from app.billing.customers import new_setup_intent, stripe_customer
from app.billing.gateway import GatewayError, SetupIntentInfo
from app.extensions import db
from app.models import Order, User


class StripeRecorder:
    """The two gateway calls these functions make; customers in `missing` are unknown to Stripe."""

    def __init__(self, missing=()):
        self.missing = set(missing)
        self.customers = []

    def create_customer(self, email, user_id):
        self.customers.append((email, user_id))
        return f"cus_{len(self.customers)}"

    def create_setup_intent(self, customer_id):
        if customer_id in self.missing:
            raise GatewayError(f"No such customer: '{customer_id}'", code="resource_missing", http_status=400)
        return SetupIntentInfo(id=f"seti_for_{customer_id}", client_secret=f"seti_for_{customer_id}_secret_x")


@pytest.fixture
def order(customer):
    placed = Order(user=customer, kind="new", accounts=25, packs=1, amount_cents=11250, currency="usd")
    db.session.add(placed)
    db.session.commit()
    return placed


def test_first_order_creates_and_saves_the_stripe_customer(customer):
    stripe = StripeRecorder()

    customer_id = stripe_customer(db.session, stripe, customer)

    assert customer_id == "cus_1"
    assert stripe.customers == [(customer.email, customer.id)]
    db.session.rollback()
    assert db.session.get(User, customer.id).stripe_customer_id == "cus_1"


def test_later_orders_reuse_the_stripe_customer(customer):
    stripe = StripeRecorder()
    stripe_customer(db.session, stripe, customer)

    assert stripe_customer(db.session, stripe, customer) == "cus_1"
    assert len(stripe.customers) == 1


def test_a_customer_saved_meanwhile_is_kept(customer):
    stripe = StripeRecorder()
    db.session.execute(
        db.update(User).where(User.id == customer.id).values(stripe_customer_id="cus_other_request")
    )
    db.session.commit()
    set_committed_value(customer, "stripe_customer_id", None)  # read before the other request saved

    assert stripe_customer(db.session, stripe, customer) == "cus_other_request"


def test_setup_intent_is_made_for_the_customer_and_kept_on_the_order(order):
    setup = new_setup_intent(db.session, StripeRecorder(), order)

    assert setup.id == "seti_for_cus_1"
    assert order.stripe_setup_intent_id == "seti_for_cus_1"


def test_customer_lost_by_stripe_is_made_again(order, customer):
    customer.stripe_customer_id = "cus_deleted"
    db.session.commit()

    setup = new_setup_intent(db.session, StripeRecorder(missing={"cus_deleted"}), order)

    assert setup.id == "seti_for_cus_1"
    db.session.rollback()
    assert db.session.get(User, customer.id).stripe_customer_id == "cus_1"


def test_other_stripe_refusals_are_not_hidden(order):
    class Refusing(StripeRecorder):
        def create_setup_intent(self, customer_id):
            raise GatewayError("Your account cannot currently make live charges.", http_status=400)

    with pytest.raises(GatewayError, match="live charges"):
        new_setup_intent(db.session, Refusing(), order)
