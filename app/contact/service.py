"""Support eligibility and the messages customers send to support."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import outbox
from app.models import License, LicenseKind, SupportMessage, TrialRequest, TrialRequestStatus
from app.outbox import Email


@dataclass(frozen=True)
class SupportStanding:
    """Whether a customer may ask for support now, until when, and through which license."""

    eligible: bool
    until: datetime | None
    license: License | None
    reason: str  # "paid", "trial", "support_ended", "trial_ended", "trial_pending", "no_license"


def support_window(license, now):
    """When support ends for one license: its paid support date or the end of its trial.

    A revoked license keeps its window: its owner may still ask support about it.
    """
    if license.kind == LicenseKind.PAID:
        return license.support_until
    return license.trial_expires_at


def support_standing(session, user, now):
    licenses = session.scalars(select(License).where(License.owner_id == user.id)).all()
    best = None
    for license in licenses:
        until = support_window(license, now)
        if until is not None and until > now and (best is None or until > best[0]):
            best = (until, license)
    if best is not None:
        until, license = best
        return SupportStanding(True, until, license, str(license.kind))
    if any(lic.kind == LicenseKind.PAID for lic in licenses):
        return SupportStanding(False, None, None, "support_ended")
    if any(lic.kind == LicenseKind.TRIAL for lic in licenses):
        return SupportStanding(False, None, None, "trial_ended")
    pending = select(TrialRequest.id).where(
        TrialRequest.user_id == user.id, TrialRequest.status == TrialRequestStatus.PENDING
    )
    if session.scalar(pending.limit(1)) is not None:
        return SupportStanding(False, None, None, "trial_pending")
    return SupportStanding(False, None, None, "no_license")


def send_support_message(session, user, license, subject, body, support_email):
    """Record the message and queue it to support with the customer as Reply-To."""
    message = SupportMessage(
        user_id=user.id, license_id=license.id if license else None, subject=subject, body=body
    )
    session.add(message)
    session.flush()
    about = (
        {"license_code": license.code, "license_kind": license.kind, "license_accounts": license.accounts}
        if license
        else {}
    )
    outbox.add(
        session,
        Email(
            support_email,
            f"[Support #{message.id}] {subject}",
            "support_message",
            {
                "message_id": message.id,
                "customer_id": user.id,
                "customer_email": user.email,
                "customer_company": user.company,
                "message_subject": message.subject,
                "message_body": message.body,
                **about,
            },
            reply_to=user.email,
        ),
    )
    return message


def messages_from(session, user):
    return session.scalars(
        select(SupportMessage)
        .where(SupportMessage.user_id == user.id)
        .options(selectinload(SupportMessage.replies))
        .order_by(SupportMessage.created_at.desc(), SupportMessage.id.desc())
    ).all()


def send_sales_message(session, name, email, company, body, sales_email):
    """Queue a prospect's question to sales, with the prospect as Reply-To (nothing else is stored)."""
    outbox.add(
        session,
        Email(
            sales_email,
            f"[Sales] {company or name}",
            "sales_message",
            {
                "prospect_name": name,
                "prospect_email": email,
                "prospect_company": company,
                "message_body": body,
            },
            reply_to=email,
        ),
    )
