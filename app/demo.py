"""The demo data `make run` creates: a customer with a paid license and orders, a trial request, staff.

Idempotent: users are created once (their passwords reset to the demo ones); the demo
customer's license and orders, and the second customer's trial request, only when missing.
"""

from datetime import timedelta

from sqlalchemy import select

from app.billing.invoices import buyer_snapshot, issue_invoice
from app.billing.pricing import quote
from app.licensing.issuing import issue_next_certificate, new_license
from app.models import BillingDetails, License, LicenseKind, Order, OrderStatus, TrialRequest, User
from app.models.base import utcnow

CUSTOMER = ("customer@example.com", "customer", "Demo Hosting Ltd", "demo-customer-pass")
SUPPORT = ("support@example.com", "support", None, "demo-support-pass")
ADMIN = ("admin@example.com", "admin", None, "demo-admin-pass")
TRIAL_CUSTOMER = ("trial@example.com", "customer", "Trial Hosting Co", "demo-trial-pass")
LOGINS = (CUSTOMER, SUPPORT, ADMIN)


def _user(session, passwords, email, role, company, password, now):
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, company=company, confirmed_at=now)
        session.add(user)
    if not passwords.check(user, password):
        passwords.set(user, password)
    session.flush()
    return user


def _order(session, user, license, accounts, terms, *, status, at, **fields):
    price = quote(accounts, terms)
    order = Order(
        user_id=user.id,
        license_id=license.id if license else None,
        kind="upgrade" if license else "new",
        accounts=price.accounts,
        packs=price.packs,
        amount_cents=price.amount_cents,
        currency=price.currency,
        status=status,
        created_at=at,
        **fields,
    )
    session.add(order)
    session.flush()
    return order


def _billing_details(session, customer):
    """The demo customer's billing details, as a company in Ireland with its VAT ID would enter them."""
    details = session.get(BillingDetails, customer.id)
    if details is None:
        details = BillingDetails(
            user_id=customer.id,
            legal_name="Demo Hosting Ltd",
            address="Unit 4, Example Business Park",
            postcode="D02 X285",
            city="Dublin",
            country="IE",
            tax_id="IE6388047V",
        )
        session.add(details)
        session.flush()
    return buyer_snapshot(customer, details)


def _customer_history(session, customer, keyring, terms, now):
    """A paid license bought 40 days ago and upgraded 10 days ago (two certificates, two invoices),
    and a failed order."""
    buyer = _billing_details(session, customer)
    if session.scalar(select(License.id).where(License.owner_id == customer.id).limit(1)) is not None:
        return
    bought = now - timedelta(days=40)
    first = quote(2 * terms.pack_size, terms).accounts
    license = new_license(
        session, customer, kind=LicenseKind.PAID, accounts=first, now=bought, support_days=terms.support_days
    )
    paid = _order(
        session,
        customer,
        None,
        first,
        terms,
        status=OrderStatus.PAID,
        at=bought,
        paid_at=bought,
        card_brand="visa",
        card_last4="4242",
        buyer=buyer,
    )
    paid.license_id = license.id
    issue_next_certificate(session, license, keyring, terms, reason="purchase", now=bought, order_id=paid.id)
    issue_invoice(session, paid, terms, bought)

    upgraded = now - timedelta(days=10)
    more = quote(terms.pack_size, terms).accounts
    upgrade = _order(
        session,
        customer,
        license,
        more,
        terms,
        status=OrderStatus.PAID,
        at=upgraded,
        paid_at=upgraded,
        card_brand="visa",
        card_last4="4242",
        buyer=buyer,
    )
    license.accounts += more
    license.support_until = upgraded + timedelta(days=terms.support_days)
    issue_next_certificate(
        session, license, keyring, terms, reason="upgrade", now=upgraded, order_id=upgrade.id
    )
    issue_invoice(session, upgrade, terms, upgraded)

    _order(
        session,
        customer,
        license,
        more,
        terms,
        status=OrderStatus.FAILED,
        # Placed now: reconcile cancels unpaid orders ORDER_EXPIRY_HOURS (a day) after they were placed.
        at=now,
        card_brand="visa",
        card_last4="0341",
        failure_message="Your card was declined.",
    )


def _pending_trial(session, user, now):
    if session.scalar(select(TrialRequest.id).where(TrialRequest.user_id == user.id).limit(1)) is not None:
        return
    session.add(
        TrialRequest(
            user_id=user.id,
            company=user.company,
            hostname="cp.trial-hosting.example",
            expected_accounts=40,
            note="We are moving 40 sites from another panel next month.",
            created_at=now - timedelta(hours=3),
        )
    )


def create_demo(session, keyring, terms, passwords):
    """Create the demo data; the logins (email, role, password) to print."""
    now = utcnow()
    users = {spec[0]: _user(session, passwords, *spec, now) for spec in (*LOGINS, TRIAL_CUSTOMER)}
    _customer_history(session, users[CUSTOMER[0]], keyring, terms, now)
    _pending_trial(session, users[TRIAL_CUSTOMER[0]], now)
    session.commit()
    return [(email, role, password) for email, role, _company, password in (*LOGINS, TRIAL_CUSTOMER)]
