"""The commercial terms: every number a customer is sold on, in one immutable value.

The seller that invoices name and the tax rates by the buyer's country are part
of them. Built once from the configuration when the app starts (``Terms.from_config``)
and passed explicitly to the domain; templates read the same value as
``terms``. No domain function has a default for any of these numbers, so a
forgotten argument fails loudly instead of quietly using another value.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Seller:
    """Who sells: the party every invoice and credit note names first (SELLER_* settings)."""

    name: str
    address: str
    country: str
    vat_id: str = ""

    @classmethod
    def from_config(cls, config) -> "Seller":
        return cls(
            name=(config.get("SELLER_NAME") or "").strip(),
            address=(config.get("SELLER_ADDRESS") or "").replace("\\n", "\n").strip(),
            country=(config.get("SELLER_COUNTRY") or "").strip().upper(),
            vat_id=(config.get("SELLER_VAT_ID") or "").replace(" ", "").upper(),
        )


def parse_tax_rates(text) -> tuple[tuple[str, int], ...]:
    """``"DE:19,FR:20,NL:21"`` as ((country, rate in basis points), …): ``(("DE", 1900), …)``."""
    rates = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        country, _, rate = item.partition(":")
        country = country.strip().upper()
        try:
            basis_points = Decimal(rate.strip()) * 100
        except InvalidOperation:
            basis_points = Decimal(-1)
        if len(country) != 2 or not country.isalpha() or basis_points != basis_points.to_integral_value():
            raise ValueError(f"TAX_RATES must read like DE:19,FR:20 (country:percent), not {item.strip()!r}")
        if not 0 <= basis_points <= 10000:
            raise ValueError(
                f"TAX_RATES: the rate of {country} must be between 0 and 100, not {rate.strip()}"
            )
        rates.append((country, int(basis_points)))
    return tuple(rates)


@dataclass(frozen=True)
class Terms:
    account_price_cents: int
    pack_size: int
    currency: str
    grace_percent: int
    max_accounts_per_order: int
    trial_days: int
    trial_accounts: int
    # The most accounts support may give a trial when approving a request.
    trial_max_accounts: int
    support_days: int
    # Tax on top of the price by the buyer's country, in basis points (1900 = 19 %); none: prices are net.
    tax_rates: tuple[tuple[str, int], ...] = ()
    # Unnamed only in Terms built by hand (tests); the app's come from the SELLER_* settings.
    seller: Seller = field(default_factory=lambda: Seller(name="", address="", country=""))

    def __post_init__(self):
        minimums = {
            "account_price_cents": 1,
            "pack_size": 1,
            "grace_percent": 0,
            "max_accounts_per_order": self.pack_size,
            "trial_days": 1,
            "trial_accounts": 1,
            "trial_max_accounts": self.trial_accounts,
            "support_days": 1,
        }
        for name, minimum in minimums.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(
                    f"{name.upper()} must be a whole number of at least {minimum}, not {value!r}"
                )
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isalpha()):
            raise ValueError(f"CURRENCY must be a three-letter ISO 4217 code, not {self.currency!r}")
        country = self.seller.country
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise ValueError(f"SELLER_COUNTRY must be a two-letter ISO 3166 code such as DE, not {country!r}")

    @classmethod
    def from_config(cls, config) -> "Terms":
        """The terms in a Flask config mapping (ACCOUNT_PRICE_CENTS, PACK_SIZE, …)."""
        return cls(
            account_price_cents=config["ACCOUNT_PRICE_CENTS"],
            pack_size=config["PACK_SIZE"],
            currency=config["CURRENCY"].lower(),
            grace_percent=config["GRACE_PERCENT"],
            max_accounts_per_order=config["MAX_ACCOUNTS_PER_ORDER"],
            trial_days=config["TRIAL_DAYS"],
            trial_accounts=config["TRIAL_ACCOUNTS"],
            trial_max_accounts=config["TRIAL_MAX_ACCOUNTS"],
            support_days=config["SUPPORT_DAYS"],
            tax_rates=parse_tax_rates(config.get("TAX_RATES")),
            seller=Seller.from_config(config),
        )

    @property
    def pack_price_cents(self) -> int:
        return self.pack_size * self.account_price_cents

    def pack_examples(self, count=3) -> list[int]:
        """The first few valid amounts, for hints: [25, 50, 75]."""
        return [self.pack_size * n for n in range(1, count + 1)]
