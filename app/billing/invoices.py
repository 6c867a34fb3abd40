"""Invoices and credit notes: issued once, numbered without gaps, frozen with both parties' details.

Plain functions taking a session; the caller's transaction (fulfilment, a
refund) issues the document together with what caused it, so a rolled-back
payment leaves no invoice and no used number behind. Each document is unique
per (order, event): issuing it again finds the one already issued.
"""

from sqlalchemy import func, select

from app.billing.countries import country_name
from app.billing.invoice_pdf import render_pdf
from app.billing.numbering import next_number
from app.billing.tax import Charge, TaxTreatment, charge_for, tax_on
from app.extensions import db
from app.models import BillingDetails, BillingDocument, DocumentKind, License

PAID = "paid"
SERIES = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}


def buyer_snapshot(user, details):
    """The buyer as an invoice names them: the billing details, else the company or email."""
    if details is None:
        return {"name": user.company or user.email, "address": [], "email": user.email, "country": ""}
    return {
        "name": details.legal_name,
        "address": [line for line in details.address.splitlines() if line.strip()],
        "postcode": details.postcode,
        "city": details.city,
        "country": details.country,
        "country_name": country_name(details.country),
        "tax_id": details.tax_id,
        "email": user.email,
    }


def seller_snapshot(seller):
    return {
        "name": seller.name,
        "address": [line for line in seller.address.splitlines() if line.strip()],
        "country": seller.country,
        "country_name": country_name(seller.country),
        "tax_id": seller.vat_id,
    }


def billing_details_of(session, user):
    return session.get(BillingDetails, user.id)


def charge_to(buyer, net_cents, terms) -> Charge:
    """What ``buyer`` (a snapshot) pays for ``net_cents`` under ``terms``: tax, or reverse charge."""
    return charge_for(
        net_cents,
        buyer_country=buyer.get("country", ""),
        buyer_vat_id=buyer.get("tax_id", ""),
        seller_country=terms.seller.country,
        rates=terms.tax_rates,
    )


def issue_invoice(session, order, terms, now):
    """The invoice of a paid ``order``, issued once, numbered in the year it is paid."""
    existing = _document(session, order.id, PAID)
    if existing is not None:
        return existing
    document = _new_document(session, order, terms, DocumentKind.INVOICE, PAID, now)
    document.net_cents, document.tax_cents = order.net_cents, order.tax_cents
    document.total_cents = order.amount_cents
    document.paid_at = order.paid_at
    return _numbered(session, document, now)


def issue_credit_note(session, order, terms, now, *, event, net_cents, tax_cents, note):
    """A credit note of ``net_cents`` + ``tax_cents`` referring to its invoice; once per event."""
    existing = _document(session, order.id, event)
    if existing is not None:
        return existing
    document = _new_document(session, order, terms, DocumentKind.CREDIT_NOTE, event, now)
    document.invoice = _document(session, order.id, PAID)
    document.net_cents, document.tax_cents = net_cents, tax_cents
    document.total_cents = net_cents + tax_cents
    document.note = note
    return _numbered(session, document, now)


def credit_for_packs(order, packs):
    """(net, tax) of ``packs`` of the order's packs, at the order's rate: what a partial refund pays back."""
    net = packs * (order.net_cents // order.packs)
    return net, tax_on(net, order.tax_rate_bp)


def credit_for_amount(order, total_cents):
    """(net, tax) of a refund of ``total_cents`` of the order, split at the order's tax rate."""
    net = total_cents * 10000 // (10000 + order.tax_rate_bp) if order.tax_rate_bp else total_cents
    return net, total_cents - net


def credit_remaining(session, order):
    """(net, tax) of the order not credited yet: what a full refund pays back."""
    credited_net, credited_tax = session.execute(
        select(
            func.coalesce(func.sum(BillingDocument.net_cents), 0),
            func.coalesce(func.sum(BillingDocument.tax_cents), 0),
        )
        .where(BillingDocument.order_id == order.id, BillingDocument.kind == DocumentKind.CREDIT_NOTE)
        .where(~BillingDocument.event.like("extra-%"))
    ).one()
    return max(0, order.net_cents - credited_net), max(0, order.tax_cents - credited_tax)


def documents_of(session, order):
    """The order's invoice and credit notes, in the order they were issued."""
    return session.scalars(
        select(BillingDocument).where(BillingDocument.order_id == order.id).order_by(BillingDocument.id)
    ).all()


def documents_by_order(session, order_ids):
    """{order id: its documents}, for a list of orders in one query."""
    found = {}
    if order_ids:
        query = (
            select(BillingDocument)
            .where(BillingDocument.order_id.in_(order_ids))
            .order_by(BillingDocument.id)
        )
        for document in session.scalars(query):
            found.setdefault(document.order_id, []).append(document)
    return found


PDF_RENDERER = "billing_document"


def attachment(document):
    """The document's PDF as an email attachment, drawn when the message is sent (by the worker)."""
    return {
        "filename": document.filename,
        "content_type": "application/pdf",
        "render": PDF_RENDERER,
        "id": document.id,
    }


def document_pdf(document_id):
    """The PDF of the stored document ``document_id`` (issued documents never change)."""
    return render_pdf(db.session.get(BillingDocument, document_id))


def _document(session, order_id, event):
    return session.scalar(
        select(BillingDocument).where(BillingDocument.order_id == order_id, BillingDocument.event == event)
    )


def _new_document(session, order, terms, kind, event, now):
    # The details the order was placed with; an order placed before they existed takes today's.
    buyer = order.buyer or buyer_snapshot(order.user, billing_details_of(session, order.user))
    return BillingDocument(
        kind=kind,
        order_id=order.id,
        event=event,
        issued_at=now,
        seller=seller_snapshot(terms.seller),
        buyer=buyer,
        # By id: a new license's order had no license when it was loaded.
        license_code=session.get(License, order.license_id).code if order.license_id else None,
        packs=order.packs,
        pack_size=order.accounts // order.packs,
        unit_cents=order.net_cents // order.accounts,
        tax_rate_bp=order.tax_rate_bp,
        currency=order.currency,
        tax_treatment=order.tax_treatment or TaxTreatment.NONE,
        card_brand=order.card_brand,
        card_last4=order.card_last4,
    )


def _numbered(session, document, now):
    # Last, so the counter row is held for as short a time as the transaction allows.
    document.number = next_number(session, SERIES[document.kind], now.year)
    session.add(document)
    session.flush()
    return document
