"""The console's one search box: a customer by email, company, license code, order,
payment or charge (any attempt, not only the one that paid), card or Stripe customer."""

import re

from sqlalchemy import or_, select

from app.licensing.codes import normalize_license_code
from app.models import License, Order, PaymentAttempt, User

_ORDER_NUMBER = re.compile(r"#?\s*([0-9]{1,9})")
_LAST4 = re.compile(r"[0-9]{4}")
_STRIPE_ID = re.compile(r"(pi|ch|seti|cus)_[A-Za-z0-9_]+")


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
    search = select(User).order_by(User.created_at.desc()).limit(limit)
    if query.strip():
        search = search.where(customer_matches(query))
    return session.scalars(search).all()
