"""What the extractor prints: the license as text or JSON, one line per failure, and the exit codes."""

from __future__ import annotations

import enum
import json
import sys
from datetime import datetime

from .certificate_format import Claims, format_timestamp
from .policy import PolicyResult


class Exit(enum.IntEnum):
    """The exit codes (docs/certificate-format.md, §9)."""

    VALID = 0
    INVALID = 1  # invalid or tampered
    UNREADABLE = 2  # unreadable input or bad usage
    EXPIRED = 3  # valid signature, but the trial has expired
    OLDER = 4  # valid signature, but older than a serial or revocation list installed or seen before
    REVOKED = 5  # revoked or superseded


class Failure(Exception):
    """Stops the command: `message` is its one line on standard error, `code` its exit code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def fail(code: int, message: str) -> int:
    print(" ".join(str(message).split()), file=sys.stderr)
    return code


def reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def line(label: str, value) -> str:
    return f"{label:<20}{value}"


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def expiry_failure(claims: Claims) -> Failure:
    return Failure(Exit.EXPIRED, f"expired: the trial license expired at {_stamp(claims.expires_at)}")


def _policy_lines(claims: Claims, created: int, result: PolicyResult) -> list[str]:
    over = "no accounts are licensed" if result.percent_over is None else f"{result.percent_over}%"
    return [
        line("Created accounts", created),
        line("Over the license", over),
        line("Packs needed", f"{result.packs_needed} (of {claims.policy.pack_size} accounts each)"),
        line("Verdict", f"{result.verdict.value}: {result.reason}"),
    ]


def render_text(claims: Claims, now: datetime, created: int | None = None) -> str:
    expired = claims.is_expired(now)
    customer = f"#{claims.customer.id} {claims.customer.email}"
    if claims.customer.company:
        customer += f", {claims.customer.company}"
    status = "REVOKED: the control panel must block this license" if claims.revoked else claims.status
    expires = _stamp(claims.expires_at) or "never"
    supersedes = f" (supersedes {claims.supersedes})" if claims.supersedes else ""
    thresholds = claims.policy
    lines = [
        line("Certificate", "EXPIRED" if expired else "valid") + f" (signed with key {claims.key_id})",
        line("License code", claims.license_code),
        line("Serial", f"{claims.serial}{supersedes}"),
        line("Customer", customer),
        line("Kind", claims.kind),
        line("Status", status),
        line("Licensed accounts", claims.accounts),
        line("Issued at", _stamp(claims.issued_at)),
        line("Expires at", expires + (" (EXPIRED)" if expired else "")),
        line("Support until", _stamp(claims.support_until) or "not included"),
        line("Policy", f"grace under {thresholds.grace_percent}% over; packs of {thresholds.pack_size}"),
    ]
    if created is not None:
        lines += _policy_lines(claims, created, claims.apply_accounts_policy(created, now))
    return "\n".join(lines) + "\n"


def render_json(claims: Claims, now: datetime, created: int | None = None) -> str:
    report = {"signature": "valid", "expired": claims.is_expired(now), "revoked": claims.revoked}
    report["claims"] = claims.to_dict()
    if created is not None:
        report["accounts_policy"] = {
            "created_accounts": created,
            "licensed_accounts": claims.accounts,
            **claims.apply_accounts_policy(created, now).to_dict(),
        }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
