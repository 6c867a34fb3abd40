"""The console's one search box: a customer by email, company, license code, order,
payment or charge (any attempt, not only the one that paid), card or Stripe customer.

An exact key (an order number, a PaymentIntent, a charge, an invoice or credit note number)
names one order, which the console opens; a card's last 4 digits or part of a key lists the
orders that match.
"""

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.licensing.codes import normalize_license_code
from app.models import BillingDocument, License, Order, PaymentAttempt, User
from app.models.user import STAFF_ROLES

_ORDER_NUMBER = re.compile(r"#?\s*([0-9]{1,9})")
_LAST4 = re.compile(r"[0-9]{4}")
_STRIPE_ID = re.compile(r"(pi|ch|seti|cus)_[A-Za-z0-9_]+")
_KEY = re.compile(r"[A-Za-z0-9_-]{4,}")  # long enough to be part of a payment or document number


def customer_matches(query):
    """The conditions on User that the search text matches, each one way of finding a customer."""
    text = query.strip()
    code = normalize_license_code(text)
    by_license = select(License.owner_id).where(License.code.contains(code, autoescape=True))
    conditions = [
        User.email.icontains(text, autoescape=True),
        User.company.icontains(text, autoescape=True),
    ]
    if len(code) >= 4:
        conditions.append(User.id.in_(by_license))
    number = _ORDER_NUMBER.fullmatch(text)
    if number:
        conditions.append(User.id.in_(select(Order.user_id).where(Order.id == int(number.group(1)))))
    if _LAST4.fullmatch(text):
        conditions.append(User.id.in_(select(Order.user_id).where(Order.card_last4 == text)))
    if _STRIPE_ID.fullmatch(text):
        conditions.append(
            User.id.in_(
                select(Order.user_id).where(
                    or_(
                        Order.stripe_payment_intent_id == text,
                        Order.stripe_setup_intent_id == text,
                    )
                )
            )
        )
        conditions.append(
            User.id.in_(
                select(Order.user_id)
                .join(PaymentAttempt, PaymentAttempt.order_id == Order.id)
                .where(
                    or_(
                        PaymentAttempt.stripe_payment_intent_id == text,
                        PaymentAttempt.stripe_charge_id == text,
                    )
                )
            )
        )
        conditions.append(User.stripe_customer_id == text)
    return or_(*conditions)


def find_customers(session, query, limit):
    """Customers only: staff are on the staff page."""
    search = select(User).where(User.role.not_in(STAFF_ROLES)).order_by(User.created_at.desc()).limit(limit)
    if query.strip():
        search = search.where(customer_matches(query))
    return session.scalars(search).all()


def _paid_by(text, *, exact):
    """Orders whose PaymentIntent, an attempt's PaymentIntent or charge, or a document's number is ``text``
    (or, not ``exact``, holds it)."""

    def match(column):
        return column == text if exact else column.icontains(text, autoescape=True)

    attempts = select(PaymentAttempt.order_id).where(
        or_(match(PaymentAttempt.stripe_payment_intent_id), match(PaymentAttempt.stripe_charge_id))
    )
    documents = select(BillingDocument.order_id).where(
        BillingDocument.number == text.upper() if exact else match(BillingDocument.number)
    )
    return or_(match(Order.stripe_payment_intent_id), Order.id.in_(attempts), Order.id.in_(documents))


def find_order(session, query):
    """The one order an exact key names: ``#12`` (or ``12`` unless a card ends in those digits),
    a PaymentIntent, a charge, an invoice or credit note number; else None."""
    text = query.strip()
    number = _ORDER_NUMBER.fullmatch(text)
    if number:
        card = _LAST4.fullmatch(text) and session.scalar(select(Order.id).where(Order.card_last4 == text))
        return None if card else session.get(Order, int(number.group(1)))
    if not _KEY.fullmatch(text):
        return None
    found = session.scalars(select(Order).where(_paid_by(text, exact=True)).limit(2)).all()
    return found[0] if len(found) == 1 else None


def find_orders(session, query, limit):
    """The orders a card's last 4 digits, an order number or part of a payment or document number match."""
    text = query.strip()
    conditions = []
    number = _ORDER_NUMBER.fullmatch(text)
    if number:
        conditions.append(Order.id == int(number.group(1)))
    if _LAST4.fullmatch(text):
        conditions.append(Order.card_last4 == text)
    if _KEY.fullmatch(text) and not number:
        conditions.append(_paid_by(text, exact=False))
    if not conditions:
        return []
    return session.scalars(
        select(Order)
        .where(or_(*conditions))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(selectinload(Order.user))
        .limit(limit)
    ).all()
