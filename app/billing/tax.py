"""What tax an order pays on top of its price: pure arithmetic on integer cents, no Flask.

Computed once, when the order is placed, and stored on the order; the review
step, Stripe's charge, the webhook's amount check, the receipt and the invoice
all read the stored numbers, so they agree to the cent.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

# The EU member states by ISO 3166 code (Greece's VAT prefix is EL, its country code GR).
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


class TaxTreatment(StrEnum):
    NONE = "none"  # no rate for the buyer's country: the price is net, no tax line
    STANDARD = "standard"  # the rate of the buyer's country on top of the price
    REVERSE_CHARGE = "reverse_charge"  # an EU business in another EU country accounts for the VAT itself


@dataclass(frozen=True)
class Charge:
    """What the buyer pays for an order: net, the tax on it and the total, in cents."""

    net_cents: int
    tax_rate_bp: int  # basis points: 1900 is 19 %
    tax_cents: int
    treatment: TaxTreatment

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.tax_cents


def tax_on(net_cents: int, rate_bp: int) -> int:
    """The tax on ``net_cents`` at ``rate_bp`` basis points, rounded half up to the cent."""
    exact = Decimal(net_cents) * Decimal(rate_bp) / Decimal(10000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_reverse_charge(seller_country: str, buyer_country: str, buyer_vat_id: str | None) -> bool:
    """An EU business buyer with a VAT ID, in another EU country than the seller's."""
    return bool(
        buyer_vat_id
        and seller_country in EU_COUNTRIES
        and buyer_country in EU_COUNTRIES
        and buyer_country != seller_country
    )


def charge_for(net_cents: int, *, buyer_country, buyer_vat_id, seller_country, rates) -> Charge:
    """The charge for ``net_cents`` sold to a buyer in ``buyer_country``.

    ``rates`` are the configured (country, basis points) pairs; with none, prices are net.
    ``buyer_vat_id`` is a VAT ID already checked (``app.billing.vat``), or empty.
    """
    if not rates:
        return Charge(net_cents, 0, 0, TaxTreatment.NONE)
    if is_reverse_charge(seller_country, buyer_country, buyer_vat_id):
        return Charge(net_cents, 0, 0, TaxTreatment.REVERSE_CHARGE)
    rate = dict(rates).get(buyer_country)
    if rate is None:
        return Charge(net_cents, 0, 0, TaxTreatment.NONE)
    return Charge(net_cents, rate, tax_on(net_cents, rate), TaxTreatment.STANDARD)


def format_rate(rate_bp: int) -> str:
    """``1900`` is "19%", ``550`` is "5.5%"."""
    percent = Decimal(rate_bp) / 100
    return f"{percent.normalize():f}%"
