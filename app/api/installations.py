"""Control panels activating a license, checking in with their usage, and releasing it.

Plain functions taking a session; each returns a small result value (or a
``Refusal`` with a stable code) and the caller commits. A license is active on
at most ``max_installations`` servers: an active installation holds one of the
numbered slots 1..max, and the unique (license, slot) constraint lets exactly
one of two servers activating at once take a slot. The loser's commit fails;
``commit_exactly_once`` runs its activation again, which then finds the slot
taken and refuses with ``license_in_use``. Release is a compare-and-set
``UPDATE ... WHERE released_at IS NULL``, so it happens once.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from app import outbox
from app.licensing.issuing import license_by_code, license_policy
from app.licensing.revocations import min_serial
from app.models import Installation, License, LicenseStatus, UsageReport
from app.outbox import Email

TOKEN_PREFIX = "cpi_"  # noqa: S105 (a label, not a secret)
# The owner hears of a license's GRACE or BLOCKED once in this time, however often its servers go in and out.
USAGE_EMAIL_PERIOD = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """Why a control panel's request was refused: a stable code and a message for its admin."""

    code: str
    message: str


@dataclass(frozen=True)
class Activated:
    installation: Installation
    token: str
    certificate: str
    min_serial: int


@dataclass(frozen=True)
class CheckedIn:
    installation: Installation
    verdict: str
    packs_needed: int
    licensed_accounts: int
    certificate: str
    min_serial: int


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token():
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def active_installations(session, license):
    return session.scalars(
        select(Installation)
        .where(Installation.license_id == license.id, Installation.released_at.is_(None))
        .order_by(Installation.slot)
    ).all()


def installation_for_token(session, token):
    """The active installation this bearer token belongs to; None for a released, replaced or unknown one."""
    if not token:
        return None
    return session.scalar(
        select(Installation).where(
            Installation.token_hash == hash_token(token), Installation.released_at.is_(None)
        )
    )


def activate(session, *, license_code, install_id, hostname, now, max_installations):
    """Give the server an installation token and the current certificate, or refuse."""
    license = license_by_code(session, license_code)
    if license is None or license.current_certificate is None:
        return Refusal("license_not_found", "No license has this code. Check the code on your license page.")
    if license.status == LicenseStatus.REVOKED:
        return Refusal("license_revoked", f"License {license.code} is revoked: it cannot be activated.")
    token, token_hash = _new_token()
    holders = active_installations(session, license)
    same = next((held for held in holders if held.install_id == install_id), None)
    if same is not None:  # the same server again: a new token, the old one stops working
        same.token_hash, same.hostname, same.last_seen_at = token_hash, hostname, now
        installation = same
    else:
        taken = {held.slot for held in holders}
        free = [slot for slot in range(1, max_installations + 1) if slot not in taken]
        if not free:
            # Not which servers: whoever has the code would learn the customer's hosts.
            return Refusal(
                "license_in_use",
                f"License {license.code} is active on another server. Release it on the license page "
                "in the portal (Release this server), then activate this server again.",
            )
        installation = Installation(
            license_id=license.id,
            slot=free[0],
            install_id=install_id,
            hostname=hostname,
            token_hash=token_hash,
            activated_at=now,
            last_seen_at=now,
        )
        session.add(installation)
    session.flush()  # a slot taken meanwhile fails here or at commit: the caller runs this again
    return Activated(installation, token, license.current_certificate.text, min_serial(session, license))


def check_in(session, installation, *, created_accounts, now, terms, upgrade_url):
    """Record the server's usage and answer with the verdict and the current certificate."""
    license = installation.license
    policy = license_policy(license, created_accounts, now, terms)
    verdict = policy.verdict.value
    session.add(
        UsageReport(
            license_id=license.id,
            installation_id=installation.id,
            reported_at=now,
            created_accounts=created_accounts,
            licensed_accounts=license.accounts,
            verdict=verdict,
        )
    )
    installation.last_seen_at, installation.created_accounts = now, created_accounts
    changed = session.execute(
        update(Installation)
        .where(Installation.id == installation.id)
        .where((Installation.verdict.is_(None)) | (Installation.verdict != verdict))
        .values(verdict=verdict)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(installation)
    over = license.status_at(now) == LicenseStatus.ACTIVE and policy.packs_needed > 0
    if (
        changed == 1
        and over
        and verdict in ("GRACE", "BLOCKED")
        and not _told_lately(session, license, verdict, now)
    ):
        outbox.add(
            session,
            Email(
                license.owner.email,
                f"License {license.code}: {created_accounts} accounts, {verdict}",
                "usage_verdict",
                {
                    "license_code": license.code,
                    "license_accounts": license.accounts,
                    "installation_hostname": installation.hostname,
                    "created_accounts": created_accounts,
                    "verdict": verdict,
                    "percent_over": str(policy.percent_over),  # a Decimal, exact as text
                    "packs_needed": policy.packs_needed,
                    "upgrade_url": upgrade_url(policy.packs_needed),
                },
            ),
        )
    return CheckedIn(
        installation=installation,
        verdict=verdict,
        packs_needed=policy.packs_needed,
        licensed_accounts=license.accounts,
        certificate=license.current_certificate.text,
        min_serial=min_serial(session, license),
    )


def _told_lately(session, license, verdict, now):
    """Whether the license reported this verdict within USAGE_EMAIL_PERIOD before: its owner was told."""
    earlier = select(UsageReport.id).where(
        UsageReport.license_id == license.id,
        UsageReport.verdict == verdict,
        UsageReport.reported_at > now - USAGE_EMAIL_PERIOD,
        UsageReport.reported_at < now,
    )
    return session.scalar(earlier.limit(1)) is not None


def release(session, installation, *, now, by):
    """Free the installation's slot so the license can move to another server; False if already released."""
    released = session.execute(
        update(Installation)
        .where(Installation.id == installation.id, Installation.released_at.is_(None))
        .values(released_at=now, released_by=by, slot=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(installation)
    return released == 1


def servers_over_limit(session, limit=50):
    """Active servers whose latest check-in reported more accounts than their license allows."""
    return session.scalars(
        select(Installation)
        .join(License, License.id == Installation.license_id)
        .where(Installation.released_at.is_(None), Installation.created_accounts > License.accounts)
        .order_by(Installation.last_seen_at.desc())
        .limit(limit)
    ).all()
