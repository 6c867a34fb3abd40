"""A customer buys a license and upgrades it in Chromium, paying in localstripe's card form.

The portal runs on a live server that localstripe's webhooks reach, as Stripe's reach production.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.e2e.conftest import download_certificate, extract_certificate, log_in
from tests.support.localstripe import localstripe  # noqa: F401  (the fixture)
from tests.support.payments import DECLINED_CARD, VISA, stripe_settings


@pytest.fixture
def settings(localstripe):  # noqa: F811
    return {"SERVER_NAME": None, **stripe_settings(localstripe)}


@pytest.fixture
def shop(page, customer, live_server, localstripe, app):  # noqa: F811
    """A logged-in customer's page, with localstripe's webhooks going to the live portal."""
    localstripe.register_webhook(
        f"{live_server.url}/webhooks/stripe", secret=app.config["STRIPE_WEBHOOK_SECRET"]
    )
    log_in(page, customer.email)
    expect(page.get_by_role("heading", name="My licenses")).to_be_visible()
    return page


def order_accounts(page, accounts, price, accounts_after, shots, name):
    page.get_by_label("License amount you want to buy").fill(str(accounts))
    expect(page.locator("[data-price]")).to_have_text(price)
    expect(page.locator("[data-accounts-after]")).to_have_text(str(accounts_after))
    page.screenshot(path=shots / f"{name}-1-amount.png", full_page=True)
    page.get_by_role("button", name="Review the order").click()
    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    expect(page.locator("#price")).to_have_text(price)
    expect(page.locator("#accounts-after")).to_have_text(str(accounts_after))
    page.screenshot(path=shots / f"{name}-2-confirm.png", full_page=True)
    page.get_by_role("button", name="Place the order and enter your card").click()
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()


def pay_by_card(page, number, shots, name):
    """Type the card into localstripe's stand-in for Stripe's card element, then pay."""
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("34")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("10115")
    page.screenshot(path=shots / f"{name}-3-card.png", full_page=True)
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()


def wait_until_paid(page, shots, name):
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.get_by_text("Waiting for payment confirmation")).to_be_visible()
    page.screenshot(path=shots / f"{name}-4-waiting.png", full_page=True)
    expect(page.locator("[data-order-status]")).to_have_text("paid", timeout=15_000)
    expect(page.get_by_text("Waiting for payment confirmation")).to_have_count(0)
    page.screenshot(path=shots / f"{name}-5-paid.png", full_page=True)


def test_buy_a_license_of_50_accounts_then_upgrade_it_by_25(shop, output_dir):
    page = shop
    page.get_by_role("link", name="Order a new license").click()
    order_accounts(page, 50, "2 packs × 25 accounts × $4.50 = $225.00", 50, output_dir, "new")
    pay_by_card(page, VISA, output_dir, "new")
    wait_until_paid(page, output_dir, "new")

    report = extract_certificate(page, download_certificate(page, output_dir), output_dir)

    assert report["signature"] == "valid"
    claims = report["claims"]
    assert (claims["accounts"], claims["serial"], claims["kind"]) == (50, 1, "paid")
    code = claims["license_code"]
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()

    page.goto(f"/licenses/{code}")
    page.get_by_role("link", name="Upgrade license").click()
    order_accounts(page, 25, "1 pack × 25 accounts × $4.50 = $112.50", 75, output_dir, "upgrade")
    pay_by_card(page, VISA, output_dir, "upgrade")
    wait_until_paid(page, output_dir, "upgrade")

    upgraded = extract_certificate(page, download_certificate(page, output_dir), output_dir)

    assert (
        upgraded["claims"]["license_code"],
        upgraded["claims"]["accounts"],
        upgraded["claims"]["serial"],
    ) == (
        code,
        75,
        2,
    )
    page.goto("/orders")
    expect(page.locator("#orders tbody tr")).to_have_count(2)
    page.screenshot(path=output_dir / "orders.png", full_page=True)
    assert page.js_errors == []


def test_declined_card_shows_the_message_and_pays_nothing(shop, output_dir):
    page = shop
    page.get_by_role("link", name="Order a new license").click()
    order_accounts(page, 50, "2 packs × 25 accounts × $4.50 = $225.00", 50, output_dir, "declined")

    pay_by_card(page, DECLINED_CARD, output_dir, "declined")

    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page.get_by_role("button", name="Pay $225.00")).to_be_enabled()
    page.screenshot(path=output_dir / "declined-4-message.png", full_page=True)
    db.session.rollback()
    assert [order.status for order in db.session.scalars(select(Order))] == ["failed"]
    assert page.js_errors == []


def tab_to(page, text, limit=60):
    """Press Tab until the focused element's text (or placeholder) starts with ``text``; no mouse."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.getAttribute('placeholder') || e.value || e.textContent || '').trim(); }"
        )
        if focused.startswith(text):
            return
    raise AssertionError(f"Tab never reached {text!r}")


def test_buy_a_license_with_only_the_keyboard_on_a_phone(shop, output_dir):
    page = shop
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/account")
    tab_to(page, "Menu")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "true")
    tab_to(page, "My licenses")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My licenses")).to_be_visible()
    tab_to(page, "Order a new license")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Order a new license")).to_be_visible()

    expect(page.get_by_label("License amount you want to buy")).to_be_focused()
    page.keyboard.type("50")  # the amount field has the focus
    expect(page.locator("[data-price]")).to_have_text("2 packs × 25 accounts × $4.50 = $225.00")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    tab_to(page, "Place the order")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pay by card")).to_be_visible()

    card = (
        ("number", VISA),
        ("exp_month", "12"),
        ("exp_year", "34"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    )
    for placeholder, value in card:
        # localstripe's card form moves the focus on by itself when a field is full.
        if page.evaluate("() => document.activeElement.getAttribute('placeholder')") != placeholder:
            tab_to(page, placeholder)
        page.keyboard.type(value)
    page.screenshot(path=output_dir / "keyboard-card-390.png", full_page=True)
    tab_to(page, "Pay $")
    page.keyboard.press("Enter")
    wait_until_paid(page, output_dir, "keyboard")
    assert page.js_errors == []
