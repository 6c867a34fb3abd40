"""Support's actions on a license: revoke it with a reason, reinstate it.

Plain functions taking a session and what they need; the caller commits. The
state change is a conditional UPDATE, so two agents at once change it once.
"""

from sqlalchemy import update

from app import audit, outbox
from app.exceptions import PortalError
from app.licensing.issuing import issue_next_certificate
from app.models import License, LicenseStatus
from app.outbox import Email


class LicenseActionError(PortalError):
    pass


def revoke_license(session, license, actor, *, reason, keyring, terms, now):
    """Revoke: a new certificate with status revoked, so the control panel blocks; the customer is told."""
    reason = (reason or "").strip()
    if not reason:
        raise LicenseActionError("Give a reason for revoking the license: the customer receives it.")
    _change_status(
        session, license, LicenseStatus.ACTIVE, LicenseStatus.REVOKED, revoked_reason=reason, now=now
    )
    certificate = issue_next_certificate(session, license, keyring, terms, reason="revocation", now=now)
    audit.record(
        actor, audit.AuditAction.LICENSE_REVOKE, license=license, reason=reason, serial=certificate.serial
    )
    outbox.add(
        session,
        Email(
            license.owner.email,
            f"Your license {license.code} is revoked",
            "license_revoked",
            {"license_code": license.code, "reason": reason},
        ),
    )
    return certificate


def reinstate_license(session, license, actor, *, reason, keyring, terms, now):
    """Undo a revocation: a new active certificate, sent to the customer."""
    _change_status(
        session, license, LicenseStatus.REVOKED, LicenseStatus.ACTIVE, revoked_reason=None, now=now
    )
    certificate = issue_next_certificate(session, license, keyring, terms, reason="reinstatement", now=now)
    audit.record(
        actor,
        audit.AuditAction.LICENSE_REINSTATE,
        license=license,
        reason=(reason or "").strip() or None,
        serial=certificate.serial,
    )
    outbox.add(
        session,
        Email(
            license.owner.email,
            f"Your license {license.code} is active again",
            "license_reinstated",
            {
                "license_code": license.code,
                "certificate_serial": certificate.serial,
                "certificate_filename": certificate.filename,
            },
            attachments=(certificate.attachment(),),
        ),
    )
    return certificate


def _change_status(session, license, current, new, *, revoked_reason, now):
    result = session.execute(
        update(License)
        .where(License.id == license.id, License.status == current)
        .values(status=new, revoked_reason=revoked_reason, updated_at=now)
    )
    session.refresh(license)
    if result.rowcount != 1:
        raise LicenseActionError(f"{license.code} is already {license.status}: nothing was changed.")
