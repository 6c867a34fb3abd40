"""What a business books: the buyer's billing details, invoices, credit notes and their numbers."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class BillingDetails(db.Model):
    """The customer's legal name and address, as the next invoice will name them."""

    __tablename__ = "billing_details"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)  # one line each
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    tax_id: Mapped[str] = mapped_column(String(40), default="")  # an EU VAT ID is checked before it is kept
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<BillingDetails {self.user_id} {self.country}>"


class DocumentCounter(db.Model):
    """The last number given in a series (INV, CN) and year; incremented in the issuing transaction."""

    __tablename__ = "document_counters"

    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class BillingDocument(db.Model):
    """An invoice (an order paid) or a credit note (money given back), frozen when issued.

    The parties and the amounts are a snapshot: later edits of the billing
    details or of the configuration never change an issued document.
    ``event`` names what issued it ("paid", "refund", "partial-…",
    "extra-pi_…"), unique per order, so each happens once.
    """

    __tablename__ = "billing_documents"
    __table_args__ = (UniqueConstraint("order_id", "event", name="uq_billing_documents_order_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    event: Mapped[str] = mapped_column(String(100))
    # A credit note refers to the order's invoice (None: the payment was never invoiced).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("billing_documents.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seller: Mapped[dict] = mapped_column(JSON)
    buyer: Mapped[dict] = mapped_column(JSON)
    # The line: license code, packs × accounts × unit price, as sold.
    license_code: Mapped[str | None] = mapped_column(String(32))
    packs: Mapped[int] = mapped_column(Integer)
    pack_size: Mapped[int] = mapped_column(Integer)
    unit_cents: Mapped[int] = mapped_column(Integer)
    net_cents: Mapped[int] = mapped_column(Integer)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    tax_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    tax_treatment: Mapped[str] = mapped_column(String(20))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_brand: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    note: Mapped[str | None] = mapped_column(Text)  # what a credit note is for, in the customer's words

    order = relationship("Order")
    invoice = relationship("BillingDocument", remote_side=[id])

    @property
    def is_invoice(self):
        return self.kind == DocumentKind.INVOICE

    @property
    def title(self):
        return "Invoice" if self.is_invoice else "Credit note"

    @property
    def filename(self):
        return f"{self.number}.pdf"

    def __repr__(self):
        return f"<BillingDocument {self.number}>"
