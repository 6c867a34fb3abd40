"""Licenses and their certificates in the database: every change issues the next serial.

Plain functions taking a session and what they need; the caller commits.
"""

from datetime import timedelta

from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.licensing.certificates import build_claims, issue_certificate
from app.licensing.codes import generate_license_code, normalize_license_code
from app.licensing.policy import accounts_policy
from app.models import Certificate, License, LicenseKind, LicenseStatus


def new_license(session, owner, *, kind, accounts, now, trial_days=None, support_days=None):
    """A license with a fresh code; its first certificate is issued by the caller's change."""
    trial_expires = now + timedelta(days=trial_days) if kind == LicenseKind.TRIAL else None
    # Support lasts for the trial period, or for the support period of a paid license.
    support_until = trial_expires or (now + timedelta(days=support_days) if support_days else None)
    code = generate_license_code()
    while session.scalar(select(License.id).where(License.code == code)) is not None:
        code = generate_license_code()
    license = License(
        code=code,
        owner=owner,
        owner_id=owner.id,
        kind=kind,
        accounts=accounts,
        status=LicenseStatus.ACTIVE,
        created_at=now,
        trial_expires_at=trial_expires,
        support_until=support_until,
    )
    session.add(license)
    session.flush()
    # A new license has no certificate yet: its first is issued without asking the database.
    set_committed_value(license, "certificates", [])
    return license


def issue_next_certificate(session, license, keyring, terms, *, reason, now, order_id=None):
    """Sign the license as it is now with the next serial; the previous one is superseded.

    Two writers issuing for one license at once collide on the (license, serial) unique
    constraint, and one certificate per (order, reason) is a constraint too, so a retry
    never issues twice.
    """
    if "certificates" in inspect(license).dict and not license.certificates:
        previous = None  # created in this transaction (new_license): nobody else can see it yet
    else:
        previous = session.scalar(
            select(Certificate)
            .where(Certificate.license_id == license.id)
            .order_by(Certificate.serial.desc())
            .limit(1)
        )
    serial = (previous.serial + 1) if previous else 1
    owner = license.owner
    claims = build_claims(
        license_code=license.code,
        serial=serial,
        customer_id=owner.id,
        customer_email=owner.email,
        customer_company=owner.company,
        kind=license.kind,
        accounts=license.accounts,
        issued_at=now,
        status=LicenseStatus.REVOKED if license.status == LicenseStatus.REVOKED else LicenseStatus.ACTIVE,
        expires_at=license.trial_expires_at if license.kind == LicenseKind.TRIAL else None,
        support_until=license.support_until,
        supersedes=previous.serial if previous else None,
        grace_percent=terms.grace_percent,
        pack_size=terms.pack_size,
    )
    certificate = Certificate(
        license_id=license.id,
        serial=serial,
        order_id=order_id,
        reason=reason,
        key_id=keyring.signing_key_id,
        kind=license.kind,
        status=claims["status"],
        accounts=license.accounts,
        expires_at=license.trial_expires_at if license.kind == LicenseKind.TRIAL else None,
        text=issue_certificate(claims, keyring),
        issued_at=now,
    )
    session.add(certificate)
    session.flush()
    if previous is not None:
        previous.superseded_by_id = certificate.id
    session.expire(license, ["certificates", "latest_certificate"])
    return certificate


def license_by_code(session, code):
    """The license with this code, however the customer typed it; None if there is none."""
    return session.scalar(select(License).where(License.code == normalize_license_code(code)))


def licenses_of(session, user):
    """The user's licenses, newest first, each with its latest certificate's serial and date.

    One statement: a list shows each license's current certificate, never the signed text of
    every certificate ever issued.
    """
    return session.scalars(
        select(License)
        .where(License.owner_id == user.id)
        .order_by(License.created_at.desc())
        .options(
            joinedload(License.latest_certificate).load_only(
                Certificate.id, Certificate.license_id, Certificate.serial, Certificate.issued_at
            )
        )
    ).all()


def license_policy(license, created_accounts, now, terms):
    """The accounts-policy verdict for a control panel holding `created_accounts` accounts."""
    state = license.status_at(now)
    return accounts_policy(
        license.accounts,
        created_accounts,
        expired=state == LicenseStatus.EXPIRED,
        revoked=state == LicenseStatus.REVOKED,
        pack_size=terms.pack_size,
        grace_percent=terms.grace_percent,
    )
