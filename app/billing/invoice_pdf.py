"""An invoice or credit note as a PDF, drawn with fpdf2 (pure Python) in the bundled DejaVu Sans.

The font files live beside this module (fonts/, with their licence), so € and
accented names print and nothing is fetched at run time. The PDF is drawn
only from the document's frozen snapshot: the same document gives the same text.
"""

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.billing.pricing import format_money
from app.billing.tax import TaxTreatment, format_rate

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
REVERSE_CHARGE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)."
)
LINE_HEIGHT = 5.5
WIDTH = 180  # A4 less 15 mm margins


def render_pdf(document) -> bytes:
    """The PDF of ``document`` (a ``BillingDocument``)."""
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{document.title} {document.number}")
    pdf.set_creation_date(document.issued_at)
    pdf.add_page()
    _heading(pdf, document)
    _parties(pdf, document)
    _line(pdf, document)
    _totals(pdf, document)
    _payment(pdf, document)
    return bytes(pdf.output())


def _text(pdf, text, *, bold=False, size=10, width=0, align="L"):
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.cell(width, LINE_HEIGHT, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf, document):
    _text(pdf, f"{document.title} {document.number}", bold=True, size=18)
    pdf.ln(2)
    _text(pdf, f"Date of issue: {document.issued_at:%d %B %Y}")
    if document.is_invoice and document.paid_at:
        _text(pdf, f"Date of supply and payment: {document.paid_at:%d %B %Y}")
    if not document.is_invoice:
        referred = document.invoice.number if document.invoice else "none (the payment was not invoiced)"
        _text(pdf, f"Refers to invoice: {referred}")
    _text(pdf, f"Order: #{document.order_id}")
    pdf.ln(4)


def _party_lines(party):
    lines = [party.get("name", ""), *party.get("address", [])]
    place = " ".join(part for part in (party.get("postcode"), party.get("city")) if part)
    if place:
        lines.append(place)
    if party.get("country_name") or party.get("country"):
        lines.append(party.get("country_name") or party["country"])
    if party.get("tax_id"):
        lines.append(f"VAT / tax ID: {party['tax_id']}")
    return lines


def _parties(pdf, document):
    top = bottom = pdf.get_y()
    for x, label, party in ((15, "Seller", document.seller), (105, "Bill to", document.buyer)):
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(85, LINE_HEIGHT, label, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        for line in _party_lines(party):
            pdf.multi_cell(85, LINE_HEIGHT, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(15, bottom + 6)


def _money(cents, document):
    return format_money(cents, document.currency)


def _line(pdf, document):
    packs = "1 pack" if document.packs == 1 else f"{document.packs} packs"
    license = f"License {document.license_code}" if document.license_code else "New license"
    unit = _money(document.unit_cents, document)
    description = f"{license}: {packs} × {document.pack_size} accounts × {unit}"
    if not document.is_invoice:
        description = document.note or f"Credit for {description}"
    pdf.set_font(FONT, "B", 10)
    pdf.cell(140, LINE_HEIGHT + 1, "Description", border="B")
    pdf.cell(40, LINE_HEIGHT + 1, "Net amount", border="B", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    top = pdf.get_y()
    pdf.multi_cell(140, LINE_HEIGHT, description, new_x=XPos.RIGHT, new_y=YPos.TOP)
    bottom = pdf.get_y()
    pdf.set_xy(155, top)
    pdf.cell(40, LINE_HEIGHT, _money(document.net_cents, document), align="R")
    pdf.set_xy(15, max(bottom, top + LINE_HEIGHT) + 4)


def _total_row(pdf, label, value, bold=False):
    pdf.set_font(FONT, "B" if bold else "", 10)
    pdf.cell(140, LINE_HEIGHT + 1, label, align="R")
    pdf.cell(40, LINE_HEIGHT + 1, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _totals(pdf, document):
    _total_row(pdf, "Net", _money(document.net_cents, document))
    if document.tax_treatment == TaxTreatment.STANDARD:
        _total_row(pdf, f"VAT {format_rate(document.tax_rate_bp)}", _money(document.tax_cents, document))
    elif document.tax_treatment == TaxTreatment.REVERSE_CHARGE:
        _total_row(pdf, "VAT", "Reverse charge")
    total = "Total credited" if not document.is_invoice else "Total"
    _total_row(
        pdf, f"{total} ({document.currency.upper()})", _money(document.total_cents, document), bold=True
    )
    pdf.ln(4)
    if document.tax_treatment == TaxTreatment.REVERSE_CHARGE:
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(WIDTH, LINE_HEIGHT, REVERSE_CHARGE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _payment(pdf, document):
    brand = f" ({document.card_brand.title()})" if document.card_brand else ""
    ending = f" ending in {document.card_last4}{brand}" if document.card_last4 else ""
    text = f"Paid by card{ending}." if document.is_invoice else f"Refunded to the card{ending}."
    pdf.ln(2)
    _text(pdf, text)
