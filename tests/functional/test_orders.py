"""Ordering accounts: the form, the confirmation step, the order pages and who may see them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Order, User
from app.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import add_order
from tests.support.localstripe import free_port

LABEL = "License amount you want to buy"


@pytest.fixture
def make_order(customer):
    def make(license=None, accounts=50, status="pending", owner=None, **fields):
        return add_order(owner or customer, license=license, accounts=accounts, status=status, **fields)

    return make


def page_text(response):
    return response.get_data(as_text=True)


def orders():
    return db.session.scalars(select(Order).order_by(Order.id)).all()


# --- where ordering starts -------------------------------------------------------------------


def test_my_licenses_offers_a_new_license(customer_browser):
    page = page_text(customer_browser.get("/licenses"))

    assert 'href="/orders/new"' in page and "Order a new license" in page
    assert 'href="/orders"' in page and ">Orders<" in page


def test_paid_license_offers_an_upgrade(customer_browser, make_license):
    license = make_license(accounts=50)

    page = page_text(customer_browser.get(f"/licenses/{license.code}"))

    assert f'href="/licenses/{license.code}/upgrade"' in page and "Upgrade license" in page


def test_trial_license_is_offered_for_sale(customer_browser, make_license):
    trial = make_license(kind="trial", accounts=25)

    page = page_text(customer_browser.get(f"/licenses/{trial.code}"))

    assert "Buy this license" in page and "Upgrade license" not in page


def test_frozen_license_shows_why_it_cannot_be_upgraded(customer_browser, make_license):
    license = make_license()
    license.upgrades_frozen = True
    db.session.commit()

    page = page_text(customer_browser.get(f"/licenses/{license.code}"))

    assert "disabled" in page and "Upgrades are frozen while a payment dispute is open." in page
    assert f'href="/licenses/{license.code}/upgrade"' not in page


def test_revoked_license_offers_no_upgrade(customer_browser, make_license):
    license = make_license()
    license.status = "revoked"
    db.session.commit()

    assert "Upgrade license" not in page_text(customer_browser.get(f"/licenses/{license.code}"))


def test_ordering_needs_a_login(client):
    assert client.get("/orders/new").headers["Location"].startswith("/login?next=")


def test_unconfirmed_customer_cannot_order(browser, make_user):
    user = make_user(email="new@example.com", confirmed=False)
    browser.login(user.email)

    response = browser.get("/orders/new")

    assert response.headers["Location"] == "/licenses"
    assert "Confirm your email address first" in page_text(browser.get("/licenses"))


# --- the form and the confirmation step -------------------------------------------------------


def test_order_form_shows_the_field_and_the_pack_price(customer_browser):
    page = page_text(customer_browser.get("/orders/new"))

    assert f'<label for="accounts">{LABEL}</label>' in page
    assert "1 pack × 25 accounts × $4.50 = $112.50" in page
    assert "js/price.js" in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the number of accounts you want to buy."),
        ("0", "Enter at least 25 accounts: accounts come in packs of 25."),
        ("-25", "The number of accounts can&#39;t be negative: enter 25 or more."),
        ("lots", "“lots” is not a whole number"),
        ("30", "30 is not a whole number of packs: buy 25 or 50."),
        ("10025", "You can buy at most 10,000 accounts in one order."),
    ],
    ids=["empty", "zero", "negative", "not-a-number", "not-whole-packs", "over-the-maximum"],
)
def test_bad_amounts_are_refused_with_a_message(customer_browser, amount, message):
    response = customer_browser.submit("/orders/new", {"accounts": amount})

    assert response.status_code == 200
    assert message in page_text(response)
    assert orders() == []


def test_confirmation_step_shows_the_price_before_anything_is_ordered(customer_browser):
    response = customer_browser.submit("/orders/new", {"accounts": "50"})

    page = page_text(response)
    assert "Confirm your order" in page
    assert "2 packs × 25 accounts × $4.50 = $225.00" in page
    assert re.search(r"Accounts after payment</dt><dd[^>]*>50<", page)
    assert orders() == []


def test_upgrade_confirmation_adds_to_the_license(customer_browser, make_license):
    license = make_license(accounts=50)

    page = page_text(customer_browser.submit(f"/licenses/{license.code}/upgrade", {"accounts": "25"}))

    assert "1 pack × 25 accounts × $4.50 = $112.50" in page
    assert re.search(r"Accounts after payment</dt><dd[^>]*>75<", page)


def test_trial_confirmation_says_it_becomes_paid(customer_browser, make_license):
    trial = make_license(kind="trial", accounts=25)

    page = page_text(customer_browser.submit(f"/licenses/{trial.code}/upgrade", {"accounts": "100"}))

    assert re.search(r"Accounts after payment</dt><dd[^>]*>100<", page)
    assert "becomes a paid license for 100 accounts, with no expiry date" in page


def test_confirming_places_a_pending_order_priced_by_the_server(customer_browser, customer):
    response = customer_browser.submit(
        "/orders/new", {"accounts": "50", "confirmed": "yes", "amount_cents": "1"}, form_url="/orders/new"
    )

    [order] = orders()
    assert response.headers["Location"] == f"/orders/{order.id}/pay"
    assert (order.user_id, order.kind, order.license_id, order.status) == (
        customer.id,
        "new",
        None,
        "pending",
    )
    assert (order.accounts, order.packs, order.amount_cents, order.currency) == (50, 2, 22500, "usd")


def test_confirming_twice_keeps_one_order(customer_browser):
    first = customer_browser.submit("/orders/new", {"accounts": "50", "confirmed": "yes"})
    second = customer_browser.submit("/orders/new", {"accounts": "50", "confirmed": "yes"})

    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders()) == 1


def test_upgrade_order_belongs_to_the_license(customer_browser, make_license):
    license = make_license(accounts=50)

    customer_browser.submit(f"/licenses/{license.code}/upgrade", {"accounts": "25", "confirmed": "yes"})

    [order] = orders()
    assert (order.kind, order.license_id, order.amount_cents) == ("upgrade", license.id, 11250)


def test_change_link_brings_the_amount_back(customer_browser):
    page = page_text(customer_browser.get("/orders/new?accounts=75"))

    assert 'value="75"' in page


def test_frozen_license_cannot_be_upgraded(customer_browser, make_license):
    license = make_license()
    license.upgrades_frozen = True
    db.session.commit()

    response = customer_browser.get(f"/licenses/{license.code}/upgrade")

    assert response.headers["Location"] == f"/licenses/{license.code}"
    assert "frozen while a payment dispute is open" in page_text(
        customer_browser.get(response.headers["Location"])
    )


def test_revoked_license_cannot_be_upgraded(customer_browser, make_license):
    license = make_license()
    license.status = "revoked"
    db.session.commit()

    assert (
        customer_browser.get(f"/licenses/{license.code}/upgrade").headers["Location"]
        == f"/licenses/{license.code}"
    )


def test_another_customers_license_cannot_be_upgraded(customer_browser, make_user, make_license):
    other = make_license(owner=make_user(email="other@example.com"))

    assert customer_browser.get(f"/licenses/{other.code}/upgrade").status_code == 404


# --- the live price ------------------------------------------------------------------------------


def test_quote_prices_on_the_server(customer_browser):
    answer = customer_browser.get("/orders/quote?accounts=50").json

    assert answer == {
        "ok": True,
        "accounts": 50,
        "amount_cents": 22500,
        "price": "2 packs × 25 accounts × $4.50 = $225.00",
        "accounts_after": 50,
    }


def test_quote_for_an_upgrade_counts_the_accounts_after(customer_browser, make_license):
    license = make_license(accounts=50)

    assert (
        customer_browser.get(f"/orders/quote?accounts=25&license={license.code}").json["accounts_after"] == 75
    )


def test_quote_explains_a_bad_amount(customer_browser):
    response = customer_browser.get("/orders/quote?accounts=30")

    assert response.status_code == 422
    assert response.json == {"ok": False, "error": "30 is not a whole number of packs: buy 25 or 50."}


def test_quote_of_another_customers_license_is_not_found(customer_browser, make_user, make_license):
    other = make_license(owner=make_user(email="other@example.com"))

    assert customer_browser.get(f"/orders/quote?accounts=25&license={other.code}").status_code == 404


# --- the order pages ---------------------------------------------------------------------------------


def test_unpaid_order_offers_to_pay(customer_browser, make_order):
    order = make_order()

    page = page_text(customer_browser.get(f"/orders/{order.id}"))

    assert "waiting for payment" in page and f'href="/orders/{order.id}/pay"' in page
    assert "data-poll-url" not in page


def test_order_being_paid_waits_for_confirmation_and_polls(customer_browser, make_order):
    order = make_order(stripe_payment_intent_id="pi_waiting", payment_attempted_at=utcnow())

    page = page_text(customer_browser.get(f"/orders/{order.id}"))

    assert "Waiting for payment confirmation" in page
    assert f'data-poll-url="/orders/{order.id}/status"' in page and "js/order-status.js" in page
    assert f'href="/orders/{order.id}">Refresh</a>' in page


def test_status_endpoint_reports_the_order(customer_browser, make_order):
    order = make_order(stripe_payment_intent_id="pi_waiting", payment_attempted_at=utcnow())

    assert customer_browser.get(f"/orders/{order.id}/status").json == {"status": "pending", "waiting": True}


def test_failed_order_shows_why_and_offers_another_card(customer_browser, make_order):
    order = make_order(status="failed", failure_message="Your card was declined.")

    page = page_text(customer_browser.get(f"/orders/{order.id}"))

    assert "Your card was declined." in page and f'href="/orders/{order.id}/pay">Try another card</a>' in page
    assert "(Try again or use another card.)" not in page  # the button says it once


def test_paid_order_is_a_receipt_with_the_certificate(customer_browser, make_order, make_license, pay_order):
    license = make_license(accounts=50)
    order = make_order(license=license, accounts=25, stripe_payment_intent_id="pi_receipt")
    pay_order(order, now=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    page = page_text(customer_browser.get(f"/orders/{order.id}"))

    for text in ("Receipt", "$112.50", "1 × 25 accounts", "01 Mar 2026", "Visa ending in 4242", "pi_receipt"):
        assert text in page
    assert "-----BEGIN LICENSE CERTIFICATE-----" in page and "Serial 2" in page
    assert f'href="/licenses/{license.code}/certificates/2.lic"' in page and "Copy certificate" in page


def test_order_history_lists_receipts(customer_browser, make_order, pay_order):
    pay_order(make_order(stripe_payment_intent_id="pi_history"))
    make_order(accounts=25)

    page = page_text(customer_browser.get("/orders"))

    assert "$225.00" in page and "$112.50" in page
    assert "Visa ····4242" in page
    assert "pi_history" not in page  # Stripe's id is for support: the order page names it a payment reference
    assert ">Receipt<" in page and ">Pay now<" in page


def test_order_history_shows_25_orders_a_page_newest_first(customer_browser, make_order):
    from datetime import timedelta

    from tests.conftest import statements_for

    start = utcnow() - timedelta(days=1)
    for number in range(30):
        make_order(accounts=25 * (number + 1), created_at=start + timedelta(minutes=number))
    first_statements = statements_for(customer_browser, "/orders")

    first = page_text(customer_browser.get("/orders"))
    second = page_text(customer_browser.get("/orders?page=2"))

    assert "Page 1 of 2 · 30 in all" in first and 'href="/orders?page=2"' in first
    assert first.count('data-label="Order"') == 25 and second.count('data-label="Order"') == 5
    assert ">750<" in first and ">25<" in second  # the newest order (750 accounts) first, the oldest last
    for number in range(30, 40):
        make_order(accounts=25, created_at=start - timedelta(minutes=number))
    assert statements_for(customer_browser, "/orders") == first_statements


def test_my_licenses_lists_orders_waiting_for_payment(customer_browser, make_order, pay_order):
    order = make_order(accounts=75)
    pay_order(make_order())

    page = page_text(customer_browser.get("/licenses"))

    assert "Unpaid orders" in page and f">#{order.id}<" in page and "$337.50" in page
    assert f'href="/orders/{order.id}/pay">Pay now</a>' in page


def test_old_unpaid_orders_leave_my_licenses(customer_browser, make_order):
    make_order(created_at=utcnow() - timedelta(days=8))

    assert "Unpaid orders" not in page_text(customer_browser.get("/licenses"))


def test_my_licenses_offers_another_card_for_a_failed_order(customer_browser, make_order):
    order = make_order(status="failed", failure_message="Your card was declined.")

    page = page_text(customer_browser.get("/licenses"))

    assert "Orders waiting for payment" not in page and "Unpaid orders" in page
    assert f'href="/orders/{order.id}/pay">Try another card</a>' in page


def test_my_licenses_offers_to_finish_a_payment_left_at_the_banks_check(customer_browser, make_order):
    three_minutes_ago = utcnow() - timedelta(minutes=3)
    started = make_order(stripe_payment_intent_id="pi_3ds", payment_attempted_at=three_minutes_ago)
    just_sent = make_order(accounts=25, stripe_payment_intent_id="pi_sent", payment_attempted_at=utcnow())

    page = page_text(customer_browser.get("/licenses"))

    assert f'href="/orders/{started.id}/pay">Finish paying</a>' in page
    assert f'href="/orders/{just_sent.id}">View</a>' in page  # Stripe's word is still on its way


def test_unpaid_order_says_ordered_and_a_receipt_says_bought(customer_browser, make_order, pay_order):
    unpaid = make_order(accounts=25)
    paid = pay_order(make_order(accounts=50, stripe_payment_intent_id="pi_bought"))

    unpaid_page = page_text(customer_browser.get(f"/orders/{unpaid.id}"))
    paid_page = page_text(customer_browser.get(f"/orders/{paid.id}"))

    assert "<dt>Accounts ordered</dt><dd>25</dd>" in unpaid_page and "Accounts bought" not in unpaid_page
    assert "<dt>Accounts bought</dt><dd>50</dd>" in paid_page


def test_trial_purchase_is_called_buy_license_up_to_the_card(customer_browser, make_order, make_license):
    trial = make_license(kind="trial", accounts=25)
    order = make_order(license=trial, accounts=25)

    for url in (f"/licenses/{trial.code}/upgrade", f"/orders/{order.id}"):
        assert f"Buy license {trial.code}" in page_text(customer_browser.get(url)).replace(
            '<span class="license-code">', ""
        ).replace("</span>", "")
    assert "Upgrade of" not in page_text(customer_browser.get(f"/orders/{order.id}"))


def test_paid_licenses_have_no_trial_days_row(customer_browser, make_license):
    make_license(accounts=50)

    page = page_text(customer_browser.get("/licenses"))

    assert "Trial days left" not in page


def test_trial_days_are_shown_for_a_trial_only(customer_browser, make_license):
    make_license(accounts=50)
    make_license(kind="trial", accounts=25)

    page = page_text(customer_browser.get("/licenses"))

    assert page.count('data-label="Trial days left"') == 1
    assert '<td data-label="Trial days left">30</td>' in page


def test_cancelling_an_order_asks_first(customer_browser, make_order):
    order = make_order()

    order_page = page_text(customer_browser.get(f"/orders/{order.id}"))
    question = page_text(customer_browser.get(f"/orders/{order.id}/cancel"))

    assert f'href="/orders/{order.id}/cancel">Cancel order</a>' in order_page
    assert f"Cancel order #{order.id}?" in question and "Keep the order" in question
    db.session.refresh(order)
    assert order.status == "pending"  # asking changes nothing
    answer = customer_browser.submit(f"/orders/{order.id}/cancel")
    assert answer.headers["Location"] == f"/orders/{order.id}"
    db.session.refresh(order)
    assert order.status == "cancelled"
    assert customer_browser.get(f"/orders/{order.id}/cancel").headers["Location"] == f"/orders/{order.id}"


def test_paid_order_has_nothing_to_pay(customer_browser, make_order, pay_order):
    order = pay_order(make_order())

    assert customer_browser.get(f"/orders/{order.id}/pay").headers["Location"] == f"/orders/{order.id}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/orders/{id}"),
        ("get", "/orders/{id}/status"),
        ("get", "/orders/{id}/pay"),
        ("post", "/orders/{id}/pay"),
        ("post", "/orders/{id}/setup"),
    ],
)
def test_another_customers_order_is_not_found(customer_browser, make_user, make_order, method, path):
    order = make_order(owner=make_user(email="other@example.com"))

    response = getattr(customer_browser.client, method)(
        path.format(id=order.id), headers=csrf_header(customer_browser)
    )

    assert response.status_code == 404


def test_order_pages_need_a_login(client, make_order):
    order = make_order()

    assert client.get(f"/orders/{order.id}").headers["Location"].startswith("/login?next=")
    assert client.get("/orders").headers["Location"].startswith("/login?next=")


# --- paying when Stripe cannot be reached ----------------------------------------------------------


class TestStripeUnreachable:
    @pytest.fixture
    def settings(self):
        return {"STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}", "STRIPE_MAX_NETWORK_RETRIES": 0}

    def test_payment_page_says_payments_are_unavailable(self, customer_browser, make_order):
        order = make_order()

        response = customer_browser.get(f"/orders/{order.id}/pay")

        assert response.status_code == 503
        assert "Card payments are not available right now, and nothing was charged." in page_text(response)

    def test_payment_that_cannot_reach_stripe_can_be_retried(self, customer_browser, make_order, customer):
        order = make_order()
        customer.stripe_customer_id = "cus_unreachable"
        db.session.commit()

        response = customer_browser.client.post(
            f"/orders/{order.id}/pay",
            json={"payment_method": "pm_card"},
            headers=csrf_header(customer_browser),
        )

        assert response.status_code == 502
        assert response.json["retry"] is True and "Nothing was charged twice" in response.json["error"]
        assert db.session.get(Order, order.id).status == "pending"


def csrf_header(browser):
    return {"X-CSRFToken": csrf_token(page_text(browser.get("/orders/new")))}


def test_payment_without_a_card_is_refused(customer_browser, make_order):
    order = make_order()

    response = customer_browser.client.post(
        f"/orders/{order.id}/pay", json={"payment_method": "<script>"}, headers=csrf_header(customer_browser)
    )

    assert (response.status_code, response.json["error"]) == (400, "Enter your card details again.")


def test_payment_needs_the_csrf_token(customer_browser, make_order):
    order = make_order()

    response = customer_browser.client.post(f"/orders/{order.id}/pay", json={"payment_method": "pm_card"})

    assert response.status_code == 400
    assert db.session.get(Order, order.id).payment_attempted_at is None


def test_no_stripe_customer_is_created_before_paying(customer_browser, customer):
    customer_browser.submit("/orders/new", {"accounts": "50"})

    assert db.session.get(User, customer.id).stripe_customer_id is None


def test_upgrade_order_cannot_be_paid_once_its_license_is_frozen(customer_browser, make_order, make_license):
    license = make_license()
    order = make_order(license=license, accounts=25)
    license.upgrades_frozen = True
    db.session.commit()

    response = customer_browser.get(f"/orders/{order.id}/pay")

    assert response.headers["Location"] == f"/orders/{order.id}"
    page = page_text(customer_browser.get(response.headers["Location"]))
    assert "frozen while a payment dispute is open" in page and f'href="/orders/{order.id}/pay"' not in page
    refused = customer_browser.client.post(
        f"/orders/{order.id}/pay", json={"payment_method": "pm_card"}, headers=csrf_header(customer_browser)
    )
    assert refused.status_code == 409 and "frozen" in refused.json["error"]
    assert db.session.get(Order, order.id).payment_attempted_at is None
