"""The emails a payment, a refund or a billing document sends: who gets which template, with which facts.

Each returns an ``Email`` of plain values (``app/outbox.py``); the worker renders it when it sends.
"""

from app.billing.invoices import attachment
from app.outbox import Email


def receipt(order, license, certificate, invoice):
    return Email(
        order.user.email,
        f"Receipt for order {order.id}: license {license.code}",
        "receipt",
        {
            **_order(order),
            "order_paid_at": order.paid_at,
            "order_packs": order.packs,
            "order_tax_treatment": order.tax_treatment,
            "order_net_cents": order.net_cents,
            "order_tax_rate_bp": order.tax_rate_bp,
            "order_tax_cents": order.tax_cents,
            "order_card_brand": order.card_brand,
            "order_card_last4": order.card_last4,
            "order_stripe_payment_intent_id": order.stripe_payment_intent_id,
            **_license(license),
            **_certificate(certificate),
            "invoice_number": invoice.number,
            "invoice_filename": invoice.filename,
        },
        attachments=(certificate.attachment(), attachment(invoice)),
    )


def refund(order, license, certificate, credit_note, *, accounts_removed, dispute):
    return Email(
        order.user.email,
        f"Order {order.id} refunded: new certificate for license {license.code}",
        "refund",
        {
            **_order(order),
            "order_refunded_cents": order.refunded_cents,
            **_license(license),
            **_certificate(certificate),
            **_credit_note(credit_note),
            "accounts_removed": accounts_removed,
            "dispute": dispute,
        },
        attachments=(certificate.attachment(), attachment(credit_note)),
    )


def partial_refund(order, license, certificate, credit_note, *, amount_cents, accounts_removed):
    return Email(
        order.user.email,
        f"Part of order {order.id} refunded: new certificate for license {license.code}",
        "partial_refund",
        {
            **_order(order),
            **_license(license),
            **_certificate(certificate),
            **_credit_note(credit_note),
            "amount_cents": amount_cents,
            "accounts_removed": accounts_removed,
        },
        attachments=(certificate.attachment(), attachment(credit_note)),
    )


def extra_refund(order, payment, credit_note):
    """An extra payment for ``order`` (a ``PaymentInfo``) was refunded in full."""
    return Email(
        order.user.email,
        f"Order {order.id}: an extra payment was refunded",
        "extra_refund",
        {
            **_order(order),
            "order_status": order.status,
            "payment_id": payment.id,
            "payment_amount": payment.amount,
            "payment_currency": payment.currency,
            **_credit_note(credit_note),
        },
        attachments=(attachment(credit_note),),
    )


def payment_failed(order):
    return Email(
        order.user.email,
        f"Payment for order {order.id} failed",
        "payment_failed",
        {**_order(order), "order_failure_message": order.failure_message},
    )


def billing_document(document):
    """An invoice or credit note sent again, as support asked."""
    order = document.order
    return Email(
        order.user.email,
        f"{document.title} {document.number} for order {order.id}",
        "billing_document",
        {
            "order_id": order.id,
            "document_title": document.title,
            "document_number": document.number,
            "document_filename": document.filename,
            "document_issued_at": document.issued_at,
            "document_total_cents": document.total_cents,
            "document_currency": document.currency,
        },
        attachments=(attachment(document),),
    )


def _order(order):
    return {
        "order_id": order.id,
        "order_accounts": order.accounts,
        "order_amount_cents": order.amount_cents,
        "order_currency": order.currency,
    }


def _license(license):
    return {"license_code": license.code, "license_accounts": license.accounts}


def _certificate(certificate):
    return {"certificate_serial": certificate.serial, "certificate_filename": certificate.filename}


def _credit_note(credit_note):
    return {
        "credit_note_number": credit_note.number,
        "credit_note_filename": credit_note.filename,
        "credited_invoice_number": credit_note.invoice.number if credit_note.invoice else None,
    }
