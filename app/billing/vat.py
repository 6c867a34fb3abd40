"""VAT and tax IDs as a buyer enters them: EU VAT IDs are checked, others are kept as given."""

import re

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import clean

from app.billing.tax import EU_COUNTRIES
from app.exceptions import PortalError

_PREFIX = re.compile(r"[A-Za-z]{2}")
_OTHER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}")


class TaxIdError(PortalError, ValueError):
    """A VAT or tax ID the buyer has to correct; the message says how."""


def vat_prefix(country: str) -> str:
    """The VAT number prefix of an EU country: its ISO code, except EL for Greece."""
    return "EL" if country == "GR" else country


def check_tax_id(country: str, raw: str | None) -> str:
    """The buyer's tax ID, normalised; an EU VAT ID must pass its format and check digits.

    An EU VAT ID typed without its country prefix gets it; one with another
    country's prefix is refused. Returns "" when none was entered.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if country not in EU_COUNTRIES:
        if not _OTHER_ID.fullmatch(text):
            raise TaxIdError(
                "A tax ID has letters, digits, spaces, dots, dashes or slashes only (at most 40)."
            )
        return text
    number = clean(text, " -./").upper().strip()
    prefix = vat_prefix(country)
    if not _PREFIX.match(number[:2]):
        number = prefix + number
    elif number[:2] != prefix:
        raise TaxIdError(
            f"A VAT ID of this country starts with {prefix}, not {number[:2]}: check the country or the ID."
        )
    try:
        return eu_vat.validate(number)
    except (ValidationError, UnicodeError):
        raise TaxIdError(
            f"{number} is not a valid VAT ID: check its digits (it should read like {prefix} and the number)."
        ) from None
