"""Each portal customer's one Stripe Customer, and the SetupIntents that collect their cards.

These commit as they go: a Customer or SetupIntent made in Stripe is
recorded at once, so that a later failure in the request never makes the
portal create it a second time.
"""

from sqlalchemy import update

from app.billing.gateway import GatewayError
from app.models import User


def stripe_customer(session, gateway, user, *, replacing=None):
    """The user's Stripe Customer id, created on their first order (or in place of a missing one)."""
    if user.stripe_customer_id and user.stripe_customer_id != replacing:
        return user.stripe_customer_id
    customer_id = gateway.create_customer(user.email, user.id)
    unchanged = (
        User.stripe_customer_id.is_(None) if replacing is None else User.stripe_customer_id == replacing
    )
    # A concurrent first order may have saved its Customer already: that one is kept, this one stays unused.
    session.execute(
        update(User)
        .where(User.id == user.id, unchanged)
        .values(stripe_customer_id=customer_id)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(user)
    return user.stripe_customer_id


def new_setup_intent(session, gateway, order):
    """A SetupIntent for the browser to set up the card that pays `order`."""
    customer_id = stripe_customer(session, gateway, order.user)
    try:
        setup = gateway.create_setup_intent(customer_id)
    except GatewayError as error:
        # The Customer was deleted in Stripe, or lived in a development stand-in since restarted.
        if error.http_status != 404 and error.code != "resource_missing":
            raise
        customer_id = stripe_customer(session, gateway, order.user, replacing=customer_id)
        setup = gateway.create_setup_intent(customer_id)
    order.stripe_setup_intent_id = setup.id
    return setup
