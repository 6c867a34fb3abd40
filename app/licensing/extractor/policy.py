"""The accounts policy: the verdict for C accounts created in the control panel against L licensed."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class Verdict(str, enum.Enum):  # noqa: UP042 (StrEnum is 3.11; control panels may run an older Python)
    OK = "OK"
    GRACE = "GRACE"
    BLOCKED = "BLOCKED"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PolicyResult:
    verdict: Verdict
    percent_over: Decimal | None  # truncated to 2 places; None when nothing is licensed but C > 0
    packs_needed: int
    reason: str

    def to_dict(self) -> dict:
        percent = None if self.percent_over is None else float(self.percent_over)
        return {
            "verdict": self.verdict.value,
            "percent_over": percent,
            "packs_needed": self.packs_needed,
            "reason": self.reason,
        }


def packs_needed(licensed: int, created: int, pack_size: int) -> int:
    """Packs to buy so that the licensed accounts cover the created ones."""
    over = created - licensed
    return -(-over // pack_size) if over > 0 else 0


def _percent_over(licensed: int, created: int) -> Decimal | None:
    if created <= licensed:
        return Decimal("0.00")
    if licensed == 0:
        return None
    # Truncated, not rounded, so a GRACE result never displays as the threshold itself.
    hundredths = 10000 * (created - licensed) // licensed
    return Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")


def accounts_policy(
    licensed: int,
    created: int,
    *,
    pack_size: int,
    grace_percent: int,
    expired: bool = False,
    revoked: bool = False,
) -> PolicyResult:
    """The verdict for C created accounts against L licensed ones, in exact integer arithmetic."""
    if licensed < 0 or created < 0 or pack_size < 1 or grace_percent < 0:
        raise ValueError("accounts and thresholds must not be negative; pack_size must be at least 1")
    percent = _percent_over(licensed, created)
    packs = packs_needed(licensed, created, pack_size)
    if revoked:
        return PolicyResult(Verdict.BLOCKED, percent, packs, "the license is revoked")
    if expired:
        return PolicyResult(Verdict.BLOCKED, percent, packs, "the trial has expired")
    if created <= licensed:
        return PolicyResult(Verdict.OK, percent, packs, "within the licensed accounts")
    if 100 * (created - licensed) < grace_percent * licensed:
        return PolicyResult(Verdict.GRACE, percent, packs, f"over by less than {grace_percent}%")
    return PolicyResult(Verdict.BLOCKED, percent, packs, f"over by {grace_percent}% or more")
