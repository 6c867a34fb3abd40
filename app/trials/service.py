"""The trial lifecycle: a customer asks, support approves or denies, a trial is extended once.

Plain functions taking a session and what they need; the caller commits. Every
decision is a conditional UPDATE on the state it changes (``WHERE status =
'pending'``, ``WHERE trial_extended = false``), so a double click or two agents
at once change it once, and the second is told what happened instead.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import audit, outbox
from app.exceptions import PortalError
from app.licensing.issuing import issue_next_certificate, new_license
from app.models import License, LicenseKind, LicenseStatus, TrialRequest, TrialRequestStatus
from app.outbox import Email

MAX_EXTENSION_DAYS = 30


class TrialError(PortalError):
    """A trial action that cannot happen; ``message`` says why, in words for the person acting."""


@dataclass(frozen=True)
class TrialStanding:
    """Whether a user may ask for a trial now and, if not, why (``reason`` is a stable code)."""

    reason: str | None
    pending: TrialRequest | None = None
    latest: TrialRequest | None = None

    @property
    def eligible(self):
        return self.reason is None


CUSTOMER_MESSAGES = {
    "staff": "Staff accounts do not request trials: issue one from the support console.",
    "unconfirmed": "Confirm your email address first: we sent you a link when you registered.",
    "disabled": "This account is disabled.",
    "pending": "You have already asked for a trial. Support will answer by email; "
    "you can withdraw the request while it is pending.",
    "had_trial": "You have already had your trial: there is one trial per customer.",
    "has_license": "You already have a license, so there is no trial for this account: "
    "add accounts to your license with Upgrade license instead.",
}


def trial_standing(session, user, licenses=None):
    """The user's trial situation: eligible, or the reason not, with their latest request.

    ``licenses``: the user's licenses when the caller has loaded them already (My licenses).
    """
    approved_any = (
        select(TrialRequest.id)
        .where(TrialRequest.user_id == user.id, TrialRequest.status == TrialRequestStatus.APPROVED)
        .exists()
    )
    row = session.execute(  # the latest request and whether any was approved, in one statement
        select(TrialRequest, approved_any)
        .where(TrialRequest.user_id == user.id)
        .order_by(TrialRequest.created_at.desc(), TrialRequest.id.desc())
        .limit(1)
    ).first()
    latest, approved = row if row is not None else (None, False)
    pending = latest if latest is not None and latest.status == TrialRequestStatus.PENDING else None
    if user.is_staff:
        return TrialStanding("staff", pending, latest)
    if not user.is_active:
        return TrialStanding("disabled", pending, latest)
    if not user.is_confirmed:
        return TrialStanding("unconfirmed", pending, latest)
    if pending is not None:
        return TrialStanding("pending", pending, latest)
    if licenses is None:
        kinds = set(session.scalars(select(License.kind).where(License.owner_id == user.id)))
    else:
        kinds = {license.kind for license in licenses}
    if approved or LicenseKind.TRIAL in kinds:
        return TrialStanding("had_trial", None, latest)
    if kinds:
        return TrialStanding("has_license", None, latest)
    return TrialStanding(None, None, latest)


def request_trial(session, user, *, company, hostname, expected_accounts, note, now, support_email):
    """Record the customer's request and tell support; refused when the customer is not eligible."""
    standing = trial_standing(session, user)
    if not standing.eligible:
        raise TrialError(CUSTOMER_MESSAGES[standing.reason])
    trial_request = TrialRequest(
        user_id=user.id,
        company=company,
        hostname=hostname,
        expected_accounts=expected_accounts,
        note=note or None,
        status=TrialRequestStatus.PENDING,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(trial_request)
    except IntegrityError:
        # The same customer submitted twice at once: the database let one through.
        raise TrialError(CUSTOMER_MESSAGES["pending"]) from None
    trial_request.user = user
    outbox.add(
        session,
        Email(
            support_email,
            f"Trial request from {company}",
            "trial_requested",
            {
                "customer_email": user.email,
                "trial_request_company": trial_request.company,
                "trial_request_hostname": trial_request.hostname,
                "trial_request_expected_accounts": trial_request.expected_accounts,
                "trial_request_created_at": trial_request.created_at,
                "trial_request_note": trial_request.note,
            },
        ),
    )
    return trial_request


def withdraw_request(session, user, trial_request, now):
    """The customer takes back a request support has not decided yet."""
    result = session.execute(
        update(TrialRequest)
        .where(
            TrialRequest.id == trial_request.id,
            TrialRequest.user_id == user.id,
            TrialRequest.status == TrialRequestStatus.PENDING,
        )
        .values(status=TrialRequestStatus.WITHDRAWN, decided_at=now)
    )
    session.refresh(trial_request)
    if result.rowcount != 1:
        raise TrialError(f"This request was already {trial_request.status}: there is nothing to withdraw.")
    return trial_request


def approve_request(session, trial_request, actor, *, note, terms, keyring, now, accounts=None):
    """Approve a pending request: the trial license, its certificate, the email, the audit entry.

    ``accounts``: the trial's accounts, from 1 to ``terms.trial_max_accounts``; by default the terms'.
    """
    accounts = terms.trial_accounts if accounts is None else accounts
    if not 1 <= accounts <= terms.trial_max_accounts:
        raise TrialError(f"A trial can have 1 to {terms.trial_max_accounts} accounts.")
    _decide(session, trial_request, actor, TrialRequestStatus.APPROVED, note=note, now=now)
    license, certificate = _start_trial(
        session, trial_request.user, terms=terms, keyring=keyring, now=now, accounts=accounts
    )
    trial_request.license_id = license.id
    audit.record(
        actor,
        audit.AuditAction.TRIAL_APPROVE,
        license=license,
        customer_note=note or None,
        trial_request=trial_request.id,
        hostname=trial_request.hostname,
    )
    _queue_trial_email(session, license, certificate, note=note)
    return license


def deny_request(session, trial_request, actor, *, reason, now):
    """Deny a pending request with a reason, which the customer receives by email."""
    reason = (reason or "").strip()
    if not reason:
        raise TrialError("Give a reason for the denial: the customer receives it by email.")
    _decide(session, trial_request, actor, TrialRequestStatus.DENIED, note=reason, now=now)
    customer = trial_request.user
    audit.record(
        actor, audit.AuditAction.TRIAL_DENY, customer=customer, reason=reason, trial_request=trial_request.id
    )
    outbox.add(
        session,
        Email(
            customer.email,
            "Your trial request",
            "trial_denied",
            {
                "trial_request_created_at": trial_request.created_at,
                "trial_request_hostname": trial_request.hostname,
                "reason": reason,
            },
        ),
    )
    return trial_request


def issue_trial(session, customer, actor, *, note, terms, keyring, now):
    """Support gives a customer a trial without a request from them (one trial per customer still)."""
    standing = trial_standing(session, customer)
    if standing.reason == "pending":
        raise TrialError(f"{customer.email} has a pending trial request: approve it in the trial queue.")
    if not standing.eligible:
        raise TrialError(_staff_message(customer, standing.reason))
    trial_request = TrialRequest(
        user_id=customer.id,
        company=customer.company or "",
        hostname="",
        expected_accounts=terms.trial_accounts,
        status=TrialRequestStatus.APPROVED,
        decided_by_id=actor.id,
        decided_at=now,
        decision_note=note or None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(trial_request)
    except IntegrityError:
        raise TrialError(f"{customer.email} got a trial a moment ago.") from None
    license, certificate = _start_trial(session, customer, terms=terms, keyring=keyring, now=now)
    trial_request.license_id = license.id
    audit.record(actor, audit.AuditAction.TRIAL_ISSUE, license=license, customer_note=note or None)
    _queue_trial_email(session, license, certificate, note=note)
    return license


def extend_trial(session, license, actor, *, days, reason, keyring, terms, now):
    """Push a trial's end (and support) out by up to MAX_EXTENSION_DAYS, once; a new certificate says so."""
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise TrialError(f"A trial can be extended by 1 to {MAX_EXTENSION_DAYS} days.")
    if license.kind != LicenseKind.TRIAL:
        raise TrialError(f"{license.code} is a paid license: only trials can be extended.")
    if license.status == LicenseStatus.REVOKED:
        raise TrialError(f"{license.code} is revoked: reinstate it before extending it.")
    # An expired trial restarts from today rather than from a date already past.
    ends_at = max(license.trial_expires_at, now) + timedelta(days=days)
    result = session.execute(
        update(License)
        .where(
            License.id == license.id,
            License.kind == LicenseKind.TRIAL,
            License.status == LicenseStatus.ACTIVE,
            License.trial_extended.is_(False),
        )
        .values(
            trial_extended=True,
            trial_expires_at=ends_at,
            support_until=ends_at,
            trial_warned_at=None,
            trial_ended_notice_at=None,
            updated_at=now,
        )
    )
    session.refresh(license)
    if result.rowcount != 1:
        raise TrialError(f"The trial {license.code} has already been extended once.")
    certificate = issue_next_certificate(session, license, keyring, terms, reason="trial_extension", now=now)
    audit.record(
        actor,
        audit.AuditAction.TRIAL_EXTEND,
        license=license,
        reason=reason,
        days=days,
        ends_at=ends_at.isoformat(),
    )
    outbox.add(
        session,
        Email(
            license.owner.email,
            f"Your trial {license.code} is extended",
            "trial_extended",
            {**_trial_facts(license, certificate), "certificate_serial": certificate.serial, "days": days},
            attachments=(certificate.attachment(),),
        ),
    )
    return certificate


def _decide(session, trial_request, actor, status, *, note, now):
    """Move a pending request to ``status``, or raise saying what became of it meanwhile."""
    result = session.execute(
        update(TrialRequest)
        .where(TrialRequest.id == trial_request.id, TrialRequest.status == TrialRequestStatus.PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=now, decision_note=note or None)
    )
    session.refresh(trial_request)
    if result.rowcount != 1:
        raise TrialError(_already_decided(trial_request))


def _already_decided(trial_request):
    who = trial_request.user.email
    if trial_request.status == TrialRequestStatus.WITHDRAWN:
        return f"{who} withdrew this request: nothing was issued."
    by = f" by {trial_request.decided_by.email}" if trial_request.decided_by else ""
    return f"This request from {who} was already {trial_request.status}{by}: nothing more was done."


def _staff_message(customer, reason):
    return {
        "staff": f"{customer.email} is a staff account: trials are for customers.",
        "disabled": f"{customer.email} is disabled.",
        "unconfirmed": f"{customer.email} has not confirmed their email address yet.",
        "had_trial": f"{customer.email} has already had a trial: there is one trial per customer.",
        "has_license": f"{customer.email} already has a license: a trial is for customers without one.",
    }[reason]


def _start_trial(session, customer, *, terms, keyring, now, accounts=None):
    license = new_license(
        session,
        customer,
        kind=LicenseKind.TRIAL,
        accounts=accounts or terms.trial_accounts,
        now=now,
        trial_days=terms.trial_days,
    )
    certificate = issue_next_certificate(session, license, keyring, terms, reason="trial_start", now=now)
    return license, certificate


def _queue_trial_email(session, license, certificate, *, note):
    outbox.add(
        session,
        Email(
            license.owner.email,
            f"Your trial license {license.code}",
            "trial_approved",
            {
                **_trial_facts(license, certificate),
                "license_accounts": license.accounts,
                "note": note or None,
            },
            attachments=(certificate.attachment(),),
        ),
    )


def _trial_facts(license, certificate):
    return {
        "license_code": license.code,
        "license_trial_expires_at": license.trial_expires_at,
        "license_support_until": license.support_until,
        "certificate_filename": certificate.filename,
    }
