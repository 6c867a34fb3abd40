"""The invoice PDF is drawn from the document alone, in the bundled font: € and accents come through."""

import io
from datetime import UTC, datetime
from types import SimpleNamespace

from pypdf import PdfReader

from app.billing.invoice_pdf import render_pdf

ISSUED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def document(**changes):
    fields = {
        "title": "Invoice",
        "number": "INV-2026-000007",
        "is_invoice": True,
        "issued_at": ISSUED,
        "paid_at": ISSUED,
        "invoice": None,
        "order_id": 12,
        "seller": {
            "name": "Société Générale du Logiciel",
            "address": ["1 rue de l'Été"],
            "country_name": "France",
            "tax_id": "FR40303265045",
        },
        "buyer": {
            "name": "Ærøskøbing Hosting ApS",
            "address": ["Søndergade 3"],
            "postcode": "5970",
            "city": "Ærøskøbing",
            "country_name": "Denmark",
            "tax_id": "DK13585628",
        },
        "license_code": "HSL-AAAA-BBBB-CCCC",
        "packs": 3,
        "pack_size": 25,
        "unit_cents": 450,
        "net_cents": 33750,
        "tax_rate_bp": 0,
        "tax_cents": 0,
        "total_cents": 33750,
        "currency": "eur",
        "tax_treatment": "reverse_charge",
        "card_brand": "visa",
        "card_last4": "4242",
        "note": None,
    }
    return SimpleNamespace(**{**fields, **changes})


def text_of(pdf):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_euro_amounts_and_accented_names_print():
    text = text_of(render_pdf(document()))
    assert "Société Générale du Logiciel" in text and "Ærøskøbing Hosting ApS" in text
    assert "License HSL-AAAA-BBBB-CCCC: 3 packs × 25 accounts × €4.50" in text
    assert "Total (EUR) €337.50" in text and "VAT Reverse charge" in text


def test_the_same_document_gives_the_same_pdf():
    assert render_pdf(document()) == render_pdf(document())


def test_a_credit_note_refers_to_its_invoice_and_says_what_it_credits():
    invoice = document()
    credit_note = document(
        title="Credit note",
        number="CN-2026-000002",
        is_invoice=False,
        invoice=invoice,
        net_cents=11250,
        total_cents=11250,
        note="Refund of 1 of the 3 packs of order #12 (25 accounts).",
    )
    text = text_of(render_pdf(credit_note))
    assert "Credit note CN-2026-000002" in text and "Refers to invoice: INV-2026-000007" in text
    assert "Refund of 1 of the 3 packs of order #12 (25 accounts)." in text
    assert "Total credited (EUR) €112.50" in text and "Refunded to the card ending in 4242 (Visa)." in text
