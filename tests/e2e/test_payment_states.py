"""Payments that do not go straight through, in Chromium: 3-D Secure left open, cancelling, typed cards."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.e2e.test_purchase import order_accounts, pay_by_card, settings, shop, wait_until_paid  # noqa: F401
from tests.support.localstripe import localstripe  # noqa: F401  (the fixture)
from tests.support.payments import NEEDS_3D_SECURE

PRICE = "2 packs × 25 accounts × $4.50 = $225.00"


def order_status():
    db.session.rollback()
    return [order.status for order in db.session.scalars(select(Order))]


def test_a_card_number_typed_with_spaces_pays(shop, output_dir):  # noqa: F811
    page = shop
    page.get_by_role("link", name="Order a new license").click()
    order_accounts(page, 50, PRICE, 50, output_dir, "spaces")

    pay_by_card(page, "4242 4242 4242 4242", output_dir, "spaces")

    wait_until_paid(page, output_dir, "spaces")
    assert order_status() == ["paid"]
    assert page.js_errors == []


def test_cancel_an_order_before_paying(shop, output_dir):  # noqa: F811
    page = shop
    page.get_by_role("link", name="Order a new license").click()
    order_accounts(page, 50, PRICE, 50, output_dir, "cancel")
    order_url = page.url.removesuffix("/pay")

    page.goto(order_url)
    page.get_by_role("link", name="Cancel order").click()
    expect(page.get_by_role("heading", name="Cancel order")).to_be_visible()
    page.get_by_role("button", name="Cancel the order").click()

    expect(page.get_by_text("This order was cancelled")).to_be_visible()
    expect(page.locator("[data-order-status]")).to_have_text("cancelled")
    expect(page.get_by_role("link", name="Cancel order")).to_have_count(0)
    page.screenshot(path=output_dir / "cancelled.png", full_page=True)
    assert order_status() == ["cancelled"]


def test_finish_paying_after_leaving_3d_secure_open(shop, output_dir):  # noqa: F811
    page = shop
    page.get_by_role("link", name="Order a new license").click()
    order_accounts(page, 50, PRICE, 50, output_dir, "3ds")
    order_url = page.url.removesuffix("/pay")
    pay_by_card(page, NEEDS_3D_SECURE, output_dir, "3ds")
    # The card's own check when it is set up, then the bank's box for the payment, which is left open.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("button", name="Complete authentication")).to_be_visible()

    page.goto(order_url)

    expect(page.get_by_text("Authentication not completed")).to_be_visible(timeout=20_000)
    page.screenshot(path=output_dir / "3ds-not-completed.png", full_page=True)
    page.get_by_role("link", name="Finish paying").click()
    page.get_by_role("button", name="Confirm the payment").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("[data-order-status]")).to_have_text("paid", timeout=20_000)
    page.screenshot(path=output_dir / "3ds-paid.png", full_page=True)
    assert order_status() == ["paid"]
