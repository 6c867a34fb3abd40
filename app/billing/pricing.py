"""What an order of accounts costs: pure arithmetic on integer cents, no Flask."""

import re
from dataclasses import dataclass

from app.exceptions import PortalError
from app.terms import Terms

_CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
_WHOLE_NUMBER = re.compile(r"([+-]?)([0-9]+)")
_GROUPED_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+")


class PricingError(PortalError, ValueError):
    """An order amount the customer has to correct; the message tells them how."""


@dataclass(frozen=True)
class Quote:
    accounts: int
    packs: int
    pack_size: int
    unit_cents: int
    amount_cents: int
    currency: str

    def describe(self) -> str:
        """The sum as the customer sees it: "2 packs × 25 accounts × $4.50 = $225.00"."""
        packs = "1 pack" if self.packs == 1 else f"{self.packs} packs"
        unit = format_money(self.unit_cents, self.currency)
        total = format_money(self.amount_cents, self.currency)
        return f"{packs} × {self.pack_size} accounts × {unit} = {total}"


def quote(accounts: int, terms: Terms) -> Quote:
    """Price ``accounts`` (a positive whole number of packs) at the terms' price per account."""
    if isinstance(accounts, bool) or not isinstance(accounts, int):
        raise TypeError(f"accounts must be an int, not {type(accounts).__name__}")
    _check_whole_packs(accounts, pack_size=terms.pack_size, max_accounts=None)
    return Quote(
        accounts=accounts,
        packs=accounts // terms.pack_size,
        pack_size=terms.pack_size,
        unit_cents=terms.account_price_cents,
        amount_cents=accounts * terms.account_price_cents,
        currency=terms.currency,
    )


def parse_accounts(raw: str | None, terms: Terms) -> int:
    """Read the "License amount you want to buy" field as a number of accounts.

    Accepts surrounding spaces and thousands commas ("1,000"); raises
    ``PricingError`` with a message for the customer otherwise.
    """
    pack_size, max_accounts = terms.pack_size, terms.max_accounts_per_order
    text = (raw or "").strip()
    if not text:
        raise PricingError("Enter the number of accounts you want to buy.")
    if _GROUPED_THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    match = _WHOLE_NUMBER.fullmatch(text)
    if match is None:
        shown = f"“{text}”" if len(text) <= 20 else "That"
        raise PricingError(
            f"{shown} is not a whole number: enter the number of accounts, "
            f"such as {pack_size} or {2 * pack_size}."
        )
    sign, digits = match.groups()
    if sign == "-" and digits.strip("0"):
        raise PricingError(f"The number of accounts can't be negative: enter {pack_size} or more.")
    # A long run of digits is over any maximum; don't ask int() to read it.
    accounts = int(digits) if len(digits) <= 18 else max_accounts + 1
    _check_whole_packs(accounts, pack_size=pack_size, max_accounts=max_accounts)
    return accounts


def _check_whole_packs(accounts: int, *, pack_size: int, max_accounts: int | None):
    if accounts == 0:
        raise PricingError(f"Enter at least {pack_size} accounts: accounts come in packs of {pack_size}.")
    if accounts < 0:
        raise PricingError(f"The number of accounts can't be negative: enter {pack_size} or more.")
    if max_accounts is not None and accounts > max_accounts:
        raise PricingError(f"You can buy at most {max_accounts:,} accounts in one order.")
    if accounts % pack_size:
        below = accounts - accounts % pack_size
        above = below + pack_size
        choices = [n for n in (below, above) if n > 0]
        if max_accounts is not None:
            choices = [n for n in choices if n <= max_accounts]
        suggestion = " or ".join(f"{n:,}" for n in choices) or f"packs of {pack_size}"
        raise PricingError(f"{accounts:,} is not a whole number of packs: buy {suggestion}.")


def format_money(cents: int, currency: str) -> str:
    """``format_money(22500, "usd")`` is "$225.00"; other currencies get their code."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    amount = f"{whole:,}.{fraction:02d}"
    symbol = _CURRENCY_SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {currency.upper()}"
