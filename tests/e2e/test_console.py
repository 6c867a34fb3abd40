"""Support's everyday console tasks in Chromium: searching by an order key, refunding part of an order.

Payments go through localstripe, standing in for Stripe.
"""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import add_order
from tests.support.localstripe import gateway, localstripe  # noqa: F401  (the fixtures)
from tests.support.payments import charge_in_localstripe, stripe_settings


@pytest.fixture
def settings(localstripe):  # noqa: F811
    return {"SERVER_NAME": None, **stripe_settings(localstripe)}


@pytest.fixture
def paid_order(gateway, localstripe, customer, make_license, pay_order):  # noqa: F811
    """An upgrade of 75 accounts (3 packs, $337.50) on a 50-account license, paid by Visa in localstripe."""
    order = add_order(customer, license=make_license(accounts=50), accounts=75)
    return pay_order(order, charge_in_localstripe(gateway, localstripe, order))


def test_support_finds_an_order_by_its_number_and_refunds_packs_through_the_labels(
    page, staff, paid_order, output_dir
):
    log_in(page, staff.email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/support/customers?q=4242")
    expect(page.locator("#orders")).to_contain_text(f"#{paid_order.id}")
    expect(page.locator("#orders")).to_contain_text("Visa ending 4242")
    page.screenshot(path=str(output_dir / "orders-by-card-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/support/")

    page.get_by_role("search").get_by_label("Find a customer").fill(f"#{paid_order.id}")
    page.get_by_role("search").get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name=f"Order #{paid_order.id}")).to_be_visible()

    partial = page.locator("form", has=page.get_by_role("button", name="Refund these packs"))
    partial.get_by_label("Packs to refund").fill("1")
    partial.get_by_label("Reason (for staff only)").fill("One pack too many (ticket #77).")
    page.screenshot(path=str(output_dir / "partial-refund-filled.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    partial.get_by_role("button", name="Refund these packs").click()

    expect(page.locator(".flash").first).to_contain_text("Refunded $112.50")
    db.session.refresh(paid_order)
    assert paid_order.refunded_cents == 11250
    assert paid_order.license.accounts == 100
    assert page.js_errors == []
