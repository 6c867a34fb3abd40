"""A company buys in Chromium: billing details filled in during the order, the invoice PDF
downloaded; support refunds the order in the console and the credit note is downloaded.
"""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import log_in
from tests.e2e.test_every_page import AXE_SOURCE, RUN_AXE
from tests.e2e.test_purchase import pay_by_card, wait_until_paid
from tests.support.localstripe import localstripe  # noqa: F401  (the fixture)
from tests.support.payments import VISA, stripe_settings


@pytest.fixture
def settings(localstripe):  # noqa: F811
    return {"SERVER_NAME": None, "TAX_RATES": "DE:19,FR:20,NL:21", **stripe_settings(localstripe)}


def download(page, link_name, output_dir):
    """Click the download link named ``link_name``; the PDF's text."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    path = output_dir / info.value.suggested_filename
    info.value.save_as(path)
    return path.name, "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def axe_problems(page):
    """axe-core's serious and critical findings on the page, at 1280 px and at 390 px."""
    problems = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(AXE_SOURCE + "\n;true")
        problems += page.evaluate(RUN_AXE)
    return problems


def fill_billing_details(page):
    """A German company's details; a VAT ID with a wrong check digit is refused first."""
    page.get_by_label("Legal name").fill("Müller Hosting GmbH")
    page.get_by_label("Address").fill("Hauptstraße 5")
    page.get_by_label("Postcode").fill("80331")
    page.get_by_label("City").fill("München")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("VAT or tax ID").fill("DE136695977")
    page.get_by_role("button", name="Save billing details").click()
    expect(page.get_by_text("DE136695977 is not a valid VAT ID")).to_be_visible()
    page.get_by_label("VAT or tax ID").fill("DE 136 695 976")
    page.get_by_role("button", name="Save billing details").click()


def refund_in_console(agent, console_order_url, output_dir):
    agent.goto(console_order_url)
    full_refund = agent.locator("form").filter(has=agent.get_by_role("button", name="Refund in full"))
    full_refund.get_by_label("Reason (for staff only)").fill("Ordered by mistake (ticket #42)")
    agent.once("dialog", lambda dialog: dialog.accept())
    agent.get_by_role("button", name="Refund in full").click()
    expect(agent.get_by_text("refunded: the license has a new certificate")).to_be_visible()
    agent.screenshot(path=output_dir / "2-console-refunded.png", full_page=True)


def test_a_company_orders_with_its_billing_details_gets_an_invoice_and_a_credit_note_after_a_refund(
    new_page,
    customer,
    staff,
    live_server,
    localstripe,  # noqa: F811
    app,
    output_dir,
):
    localstripe.register_webhook(
        f"{live_server.url}/webhooks/stripe", secret=app.config["STRIPE_WEBHOOK_SECRET"]
    )
    page = new_page()
    log_in(page, customer.email)
    page.get_by_role("link", name="Order a new license").click()
    page.get_by_label("License amount you want to buy").fill("50")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator("#invoice-to")).to_contain_text("Example Hosting")

    page.get_by_role("link", name="Add billing details").click()
    fill_billing_details(page)

    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    expect(page.locator("#invoice-to")).to_contain_text("Müller Hosting GmbH")
    expect(page.locator("#invoice-to")).to_contain_text("DE136695976")
    expect(page.locator("#price")).to_have_text(
        "2 packs × 25 accounts × $4.50 = $225.00 + VAT 19% $42.75 = $267.75"
    )
    page.screenshot(path=output_dir / "1-review.png", full_page=True)
    page.get_by_role("button", name="Place the order and enter your card").click()
    expect(page.get_by_role("button", name="Pay $267.75")).to_be_visible()
    pay_by_card(page, VISA, output_dir, "company")
    wait_until_paid(page, output_dir, "company")
    order_url = page.url

    filename, invoice = download(page, re.compile(r"^Invoice INV-\d{4}-000001"), output_dir)

    assert re.fullmatch(r"INV-\d{4}-000001\.pdf", filename)
    number = filename.removesuffix(".pdf")
    for expected in (f"Invoice {number}", "Müller Hosting GmbH", "DE136695976", "VAT 19% $42.75"):
        assert expected in invoice
    assert "Total (USD) $267.75" in invoice and "Paid by card ending in 4242" in invoice
    assert re.search(r"License [A-Z0-9]{3}(-[A-Z0-9]{4}){3}: 2 packs × 25 accounts × \$4\.50", invoice)

    agent = new_page()
    log_in(agent, staff.email)
    refund_in_console(agent, order_url.replace("/orders/", "/support/orders/"), output_dir)

    filename, credit_note = download(agent, re.compile(r"^Credit note CN-\d{4}-000001"), output_dir)
    assert axe_problems(agent) == []
    agent.screenshot(path=output_dir / "3-console-390.png", full_page=True)
    agent.goto(f"/support/customers/{customer.id}")
    expect(agent.get_by_text("VAT / tax ID DE136695976")).to_be_visible()
    assert axe_problems(agent) == []

    assert f"Refers to invoice: {number}" in credit_note and "Total credited (USD) $267.75" in credit_note
    page.reload()
    customer_copy, _ = download(page, re.compile(r"^Credit note CN-"), output_dir)
    assert customer_copy == filename
    page.goto("/orders/new")
    page.get_by_label("License amount you want to buy").fill("75")
    expect(page.locator("[data-price]")).to_have_text(
        "3 packs × 25 accounts × $4.50 = $337.50 + VAT 19% $64.13 = $401.63"
    )
    assert page.js_errors == [] and agent.js_errors == []
