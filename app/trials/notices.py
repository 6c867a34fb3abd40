"""The emails about a trial's end: a week before, and on the day it ends.

Expiry itself needs no job (``License.status_at`` compares with the time);
these are only reminders. Each is claimed with a conditional UPDATE of its
``*_at`` column in the transaction that queues the email, so two runs at once,
or a run repeated the same day, send it once.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from app import outbox
from app.models import License, LicenseKind, LicenseStatus, User
from app.outbox import Email

WARN_DAYS = 7
# A trial that ended longer ago than this is not told it "ends today" (e.g. on a first run).
LATE_NOTICE_DAYS = 7


@dataclass(frozen=True)
class NoticesSent:
    warnings: int
    endings: int


def send_trial_notices(session, now, *, warn_days=WARN_DAYS):
    """Queue every reminder that is due at ``now``; returns how many of each were queued."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    running_trials = (
        select(License)
        .join(User, License.owner_id == User.id)
        .where(
            License.kind == LicenseKind.TRIAL,
            License.status == LicenseStatus.ACTIVE,
            User.disabled_at.is_(None),
        )
        .order_by(License.trial_expires_at, License.id)
    )
    warnings = endings = 0
    for license in session.scalars(
        running_trials.where(
            License.trial_warned_at.is_(None),
            License.trial_expires_at >= tomorrow,
            License.trial_expires_at <= now + timedelta(days=warn_days),
        )
    ).all():
        if _claim(session, license, License.trial_warned_at, now):
            days_left = license.trial_days_left(now)
            outbox.add(
                session,
                Email(
                    license.owner.email,
                    f"Your trial {license.code} ends in {days_left} day{'s' if days_left != 1 else ''}",
                    "trial_ending",
                    {**_trial_facts(license), "days_left": days_left},
                ),
            )
            warnings += 1
    for license in session.scalars(
        running_trials.where(
            License.trial_ended_notice_at.is_(None),
            License.trial_expires_at < tomorrow,
            License.trial_expires_at > now - timedelta(days=LATE_NOTICE_DAYS),
        )
    ).all():
        if _claim(session, license, License.trial_ended_notice_at, now):
            ended = license.status_at(now) == LicenseStatus.EXPIRED
            outbox.add(
                session,
                Email(
                    license.owner.email,
                    f"Your trial {license.code} {'has ended' if ended else 'ends today'}",
                    "trial_ended",
                    {**_trial_facts(license), "ended": ended},
                ),
            )
            endings += 1
    return NoticesSent(warnings, endings)


def _trial_facts(license):
    return {"license_code": license.code, "license_trial_expires_at": license.trial_expires_at}


def _claim(session, license, column, now):
    """Mark the notice as sent unless another run did first; True when this run sends it."""
    result = session.execute(
        update(License).where(License.id == license.id, column.is_(None)).values({column: now})
    )
    session.refresh(license)
    return result.rowcount == 1
