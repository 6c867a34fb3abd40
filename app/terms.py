"""The commercial terms: every number a customer is sold on, in one immutable value.

Built once from the configuration when the app starts (``Terms.from_config``)
and passed explicitly to the domain; templates read the same value as
``terms``. No domain function has a default for any of these numbers, so a
forgotten argument fails loudly instead of quietly using another value.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Terms:
    account_price_cents: int
    pack_size: int
    currency: str
    grace_percent: int
    max_accounts_per_order: int
    trial_days: int
    trial_accounts: int
    support_days: int

    def __post_init__(self):
        minimums = {
            "account_price_cents": 1,
            "pack_size": 1,
            "grace_percent": 0,
            "max_accounts_per_order": self.pack_size,
            "trial_days": 1,
            "trial_accounts": 1,
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
            support_days=config["SUPPORT_DAYS"],
        )

    @property
    def pack_price_cents(self) -> int:
        return self.pack_size * self.account_price_cents

    def pack_examples(self, count=3) -> list[int]:
        """The first few valid amounts, for hints: [25, 50, 75]."""
        return [self.pack_size * n for n in range(1, count + 1)]
