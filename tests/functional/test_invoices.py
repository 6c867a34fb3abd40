"""Billing details, tax on the order, invoices and credit notes, through the portal's own pages."""

import csv
import io
import json
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.mail import attachment_bytes
from app.models import AuditEntry, BillingDocument, Order
from tests.conftest import Browser, sent_mail
from tests.support.localstripe import sign_webhook
from tests.support.payments import post_webhook, stripe_event, succeeded_event

SECRET = "whsec_test_portal"
GERMAN = {
    "legal_name": "Müller Hosting GmbH",
    "address": "Hauptstraße 5\nHinterhaus",
    "postcode": "80331",
    "city": "München",
    "country": "DE",
    "tax_id": "DE136695976",
}
DUTCH = {
    "legal_name": "Voorbeeld Hosting B.V.",
    "address": "Keizersgracht 1",
    "postcode": "1015 CJ",
    "city": "Amsterdam",
    "country": "NL",
    "tax_id": "NL004495445B01",
}


@pytest.fixture
def settings():
    return {"TAX_RATES": "DE:19,FR:20,NL:21"}


@pytest.fixture
def deliver(client):
    def deliver(event):
        payload = json.dumps(event).encode()
        return post_webhook(client, payload, sign_webhook(payload, SECRET))

    return deliver


@pytest.fixture
def shopper(customer_browser, buyer):
    """The customer, signed in and known to Stripe."""
    return customer_browser


def save_details(browser, details, next_url=None):
    url = "/account/billing" + (f"?next={next_url}" if next_url else "")
    return browser.submit("/account/billing", {**details, "next": next_url or ""}, form_url=url)


def place(browser, accounts=50):
    """Place an order through the review step and give it the PaymentIntent that pays it."""
    response = browser.submit("/orders/new", {"accounts": str(accounts), "confirmed": "yes"})
    order_id = int(re.search(r"/orders/(\d+)/pay", response.headers["Location"]).group(1))
    order = db.session.get(Order, order_id)
    order.stripe_payment_intent_id = f"pi_test_{order_id}"
    order.card_brand, order.card_last4 = "visa", "4242"
    db.session.commit()
    return order


def pay(deliver, order):
    assert deliver(succeeded_event(order)).json["outcome"] == "fulfilled"
    db.session.refresh(order)
    return order


def documents(order):
    return db.session.scalars(
        select(BillingDocument).where(BillingDocument.order_id == order.id).order_by(BillingDocument.id)
    ).all()


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# billing details


def test_billing_details_are_saved_and_shown_on_the_account(shopper):
    response = save_details(shopper, GERMAN)
    assert (response.status_code, response.headers["Location"]) == (302, "/account/billing")
    page = shopper.get("/account/billing").get_data(as_text=True)
    assert "Müller Hosting GmbH" in page and "DE136695976" in page
    assert 'href="/account/billing"' in shopper.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(
    ("tax_id", "country", "message"),
    [
        ("DE136695977", "DE", "DE136695977 is not a valid VAT ID"),
        ("DE136695976", "FR", "starts with FR, not DE"),
    ],
)
def test_an_invalid_vat_id_is_refused_with_a_message(shopper, tax_id, country, message):
    response = save_details(shopper, {**GERMAN, "tax_id": tax_id, "country": country})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert shopper.get("/account/billing").get_data(as_text=True).count("Müller") == 0


def input_tag(page, field_id):
    return re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page).group(0)


def test_a_refused_vat_id_gets_the_cursor(shopper):
    page = save_details(shopper, {**GERMAN, "tax_id": "DE136695977"}).get_data(as_text=True)

    assert page.count("autofocus") == 1 and "autofocus" in input_tag(page, "tax_id")


def test_the_legal_name_starts_as_the_company_given_at_registration(shopper, customer):
    customer.company = "Müller Hosting"
    db.session.commit()

    page = shopper.get("/account/billing").get_data(as_text=True)

    assert 'value="Müller Hosting"' in input_tag(page, "legal_name") and "autofocus" in input_tag(
        page, "legal_name"
    )


def test_billing_details_only_return_to_a_page_of_the_portal(shopper):
    response = save_details(shopper, GERMAN, next_url="https://evil.example.net/")
    assert response.headers["Location"] == "/account/billing"


# the review step and the order


def test_the_review_step_shows_invoice_to_and_the_tax_on_top(shopper):
    save_details(shopper, GERMAN)
    page = shopper.submit("/orders/new", {"accounts": "50"}).get_data(as_text=True)
    assert "Invoice to" in page and "Müller Hosting GmbH" in page and "München" in page
    assert "2 packs × 25 accounts × $4.50 = $225.00 + VAT 19% $42.75 = $267.75" in page
    assert "/account/billing?next=/orders/new?accounts%3D50%26review%3D1" in page


def test_a_buyer_completes_billing_details_from_the_review_step_and_comes_back_to_it(shopper):
    page = shopper.submit("/orders/new", {"accounts": "75"}).get_data(as_text=True)
    assert "Add billing details" in page

    response = save_details(shopper, DUTCH, next_url="/orders/new?accounts=75&review=1")
    assert response.headers["Location"] == "/orders/new?accounts=75&review=1"

    page = shopper.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm your order" in page and "75 accounts" in page
    assert "Voorbeeld Hosting B.V." in page and "(VAT: reverse charge)" in page


def test_the_order_stores_the_tax_computed_once_and_the_live_price_agrees(shopper):
    save_details(shopper, GERMAN)
    quote = shopper.get("/orders/quote?accounts=75").json
    order = place(shopper, 75)
    assert (order.net_cents, order.tax_rate_bp, order.tax_cents, order.amount_cents) == (
        33750,
        1900,
        6413,
        40163,
    )
    assert order.buyer["name"] == "Müller Hosting GmbH"
    assert quote["amount_cents"] == order.amount_cents and "$401.63" in quote["price"]


def test_a_payment_of_the_net_price_only_is_not_fulfilled(shopper, deliver):
    save_details(shopper, GERMAN)
    order = place(shopper)
    outcome = deliver(succeeded_event(order, amount=order.net_cents)).json["outcome"]
    assert outcome.startswith("flagged: Payment") and documents(order) == []


# invoices


def test_a_paid_order_gets_an_invoice_with_the_snapshot_and_the_pdf_in_the_receipt(
    shopper, deliver, customer
):
    save_details(shopper, GERMAN)
    order = pay(deliver, place(shopper))

    [invoice] = documents(order)
    year = order.paid_at.year
    assert invoice.number == f"INV-{year}-000001"
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (22500, 4275, 26775)
    assert invoice.buyer["tax_id"] == "DE136695976" and invoice.seller["tax_id"] == "DE136695976"
    [receipt] = sent_mail(customer.email)
    attached = receipt.attachments[1]
    assert attached["filename"] == f"INV-{year}-000001.pdf"
    text = pdf_text(attachment_bytes(attached))  # drawn when the worker sends it
    for expected in (
        f"Invoice INV-{year}-000001",
        "Example Control Panel Software GmbH",
        "Müller Hosting GmbH",
        "Hauptstraße 5",
        "80331 München",
        "VAT / tax ID: DE136695976",
        f"License {order.license.code}: 2 packs × 25 accounts × $4.50",
        "VAT 19% $42.75",
        "Total (USD) $267.75",
        "Paid by card ending in 4242",
        f"Order: #{order.id}",
    ):
        assert expected in text
    assert "$267.75" in receipt.text_body and f"INV-{year}-000001" in receipt.text_body


def test_invoice_numbers_follow_each_other(shopper, deliver):
    first = pay(deliver, place(shopper, 25))
    second = pay(deliver, place(shopper, 50))
    year = first.paid_at.year
    assert [d.number for d in documents(first) + documents(second)] == [
        f"INV-{year}-000001",
        f"INV-{year}-000002",
    ]


def test_a_reverse_charged_invoice_says_so(shopper, deliver):
    save_details(shopper, DUTCH)
    order = pay(deliver, place(shopper))
    assert order.amount_cents == 22500
    text = pdf_text(shopper.get(_document_url(documents(order)[0])).data)
    assert "VAT Reverse charge" in text and "Reverse charge: VAT to be accounted for by the recipient" in text
    assert "NL004495445B01" in text and "Total (USD) $225.00" in text


def test_editing_billing_details_afterwards_leaves_the_issued_invoice_unchanged(shopper, deliver):
    save_details(shopper, GERMAN)
    order = pay(deliver, place(shopper))
    url = _document_url(documents(order)[0])
    before = pdf_text(shopper.get(url).data)

    save_details(shopper, {**DUTCH, "legal_name": "Renamed B.V."})

    after = pdf_text(shopper.get(url).data)
    assert after == before and "Müller Hosting GmbH" in after and "Renamed" not in after


def test_the_invoice_is_linked_from_the_order_page_and_the_order_history(shopper, deliver):
    order = pay(deliver, place(shopper))
    url = _document_url(documents(order)[0])
    assert url in shopper.get(f"/orders/{order.id}").get_data(as_text=True)
    assert url in shopper.get("/orders").get_data(as_text=True)
    response = shopper.get(url)
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{documents(order)[0].filename}"'


def test_another_customers_invoice_is_not_found(shopper, deliver, app, make_user):
    order = pay(deliver, place(shopper))
    other = Browser(app.test_client())
    make_user(email="other@example.com")
    other.login("other@example.com")
    assert other.get(_document_url(documents(order)[0])).status_code == 404


# credit notes


def charge_refunded(order, amount_refunded=None):
    refunded = order.amount_cents if amount_refunded is None else amount_refunded
    charge = {
        "id": f"ch_{order.id}",
        "object": "charge",
        "amount": order.amount_cents,
        "amount_refunded": refunded,
        "currency": order.currency,
        "payment_intent": order.stripe_payment_intent_id,
        "refunded": refunded == order.amount_cents,
        "refunds": {"data": [{"id": "re_1", "metadata": {}}]},
    }
    return stripe_event("charge.refunded", charge)


def test_a_full_refund_in_stripe_issues_a_credit_note_for_the_invoice(shopper, deliver, customer):
    save_details(shopper, GERMAN)
    order = pay(deliver, place(shopper))
    deliver(charge_refunded(order))

    invoice, credit_note = documents(order)
    year = credit_note.issued_at.year
    assert credit_note.number == f"CN-{year}-000001" and credit_note.invoice_id == invoice.id
    assert (credit_note.net_cents, credit_note.tax_cents, credit_note.total_cents) == (22500, 4275, 26775)
    refund_mail = sent_mail(customer.email)[-1]
    assert refund_mail.attachments[1]["filename"] == f"CN-{year}-000001.pdf"
    text = pdf_text(shopper.get(_document_url(credit_note)).data)
    assert f"Credit note CN-{year}-000001" in text and f"Refers to invoice: {invoice.number}" in text
    assert "Total credited (USD) $267.75" in text


def test_a_partial_refund_and_then_the_rest_credit_exactly_the_invoice(shopper, deliver):
    save_details(shopper, GERMAN)
    order = pay(deliver, place(shopper, 75))
    deliver(charge_refunded(order, 10000))
    deliver(charge_refunded(order))

    invoice, partial, rest = documents(order)
    assert partial.total_cents == 10000 and partial.number.endswith("000001")
    assert rest.number.endswith("000002")
    assert partial.net_cents + rest.net_cents == invoice.net_cents
    assert partial.tax_cents + rest.tax_cents == invoice.tax_cents


def test_a_lost_dispute_issues_a_credit_note(shopper, deliver):
    order = pay(deliver, place(shopper))
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": order.stripe_payment_intent_id}
    deliver(stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}))
    deliver(stripe_event("charge.dispute.closed", {**dispute, "status": "lost"}))
    [_, credit_note] = documents(order)
    assert credit_note.total_cents == order.amount_cents and "Lost payment dispute" in credit_note.note


# the console


def test_the_console_shows_the_documents_and_resends_one_audited(shopper, deliver, app, staff, customer):
    save_details(shopper, GERMAN)
    order = pay(deliver, place(shopper))
    [invoice] = documents(order)
    agent = Browser(app.test_client())
    agent.login(staff.email)
    page = agent.get(f"/support/orders/{order.id}").get_data(as_text=True)
    assert invoice.number in page and "Müller Hosting GmbH" in page
    assert "VAT / tax ID DE136695976" in agent.get(f"/support/customers/{customer.id}").get_data(as_text=True)
    assert (
        agent.get(f"/support/orders/{order.id}/documents/{invoice.number}.pdf").mimetype == "application/pdf"
    )

    response = agent.submit(
        f"/support/orders/{order.id}/documents/{invoice.number}/resend",
        form_url=f"/support/orders/{order.id}",
    )

    assert response.headers["Location"] == f"/support/orders/{order.id}#documents"
    resent = sent_mail(customer.email)[-1]
    assert resent.subject == f"Invoice {invoice.number} for order {order.id}"
    assert resent.attachments[0]["filename"] == invoice.filename
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "document.resend"))
    assert (entry.actor_id, entry.order_id, entry.details["number"]) == (staff.id, order.id, invoice.number)
    [header, row] = list(
        csv.reader(io.StringIO(agent.get("/support/orders?format=csv").get_data(as_text=True)))
    )
    expected = {
        "amount": "267.75",
        "net": "225.00",
        "tax_rate": "19%",
        "tax": "42.75",
        "tax_treatment": "standard",
    }
    assert expected.items() <= dict(zip(header, row, strict=True)).items()
    log = agent.get("/support/audit").get_data(as_text=True)
    assert "Re-sent an invoice or credit note" in log and invoice.number in log


def _document_url(document):
    return f"/orders/{document.order_id}/documents/{document.number}.pdf"


def test_production_needs_the_sellers_vat_id(monkeypatch):
    from config import ProductionConfig, load_config

    for name in (
        "SECRET_KEY",
        "PORTAL_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ):
        monkeypatch.setattr(ProductionConfig, name, "set")
    for name, value in (
        ("SELLER_NAME", "Vendor GmbH"),
        ("SELLER_ADDRESS", "Str. 1"),
        ("SELLER_COUNTRY", "DE"),
    ):
        monkeypatch.setattr(ProductionConfig, name, value)
    monkeypatch.setattr(ProductionConfig, "SELLER_VAT_ID", None)
    with pytest.raises(SystemExit, match="SELLER_VAT_ID is not set"):
        load_config("production")


def test_the_portal_refuses_to_start_with_malformed_tax_rates(app_settings):
    from app import create_app
    from config import TestConfig

    with pytest.raises(SystemExit, match="TAX_RATES must read like DE:19"):
        create_app(TestConfig(), **{**app_settings, "TAX_RATES": "Germany=19"})


def test_the_receipt_email_carries_the_invoice_as_a_pdf_file(shopper, deliver, customer, app):
    from app.mail import _build

    order = pay(deliver, place(shopper))
    [receipt] = sent_mail(customer.email)

    email = _build(receipt, app.config)

    [certificate, invoice] = list(email.iter_attachments())
    assert certificate.get_content_type() == "text/plain"
    assert invoice.get_content_type() == "application/pdf"
    assert invoice.get_filename() == documents(order)[0].filename
    assert documents(order)[0].number in pdf_text(invoice.get_content())


def test_an_upgrade_comes_back_to_its_own_review_step_after_the_billing_details(shopper, make_license):
    license = make_license(accounts=50)
    page = shopper.submit(f"/licenses/{license.code}/upgrade", {"accounts": "25"}).get_data(as_text=True)
    back = f"/licenses/{license.code}/upgrade?accounts=25&review=1"
    assert f"next=/licenses/{license.code}/upgrade?accounts%3D25%26review%3D1" in page

    response = save_details(shopper, GERMAN, next_url=back)

    page = shopper.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm your order" in page and license.code in page and "+ VAT 19% $21.38 = $133.88" in page
