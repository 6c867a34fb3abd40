"""What the license pages show about the servers holding a license and their reported usage."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.api.installations import active_installations
from app.licensing.issuing import license_policy
from app.licensing.usage import UsagePoint, crossing_date, usage_chart
from app.models import LicenseStatus, UsageReport

REPORTS_SHOWN = 200


@dataclass(frozen=True)
class ServerView:
    installation: object
    stale: bool
    policy: object  # the verdict of its latest report against the license as it is now; None before any


@dataclass(frozen=True)
class LicenseUsage:
    servers: tuple
    points: tuple
    chart: object
    forecast: object  # a datetime, or None
    packs_needed: int
    buy_accounts: int


def license_usage(session, license, now, *, terms, stale_days):
    servers = tuple(
        ServerView(
            installation=installation,
            stale=now - installation.last_seen_at > timedelta(days=stale_days),
            policy=None
            if installation.created_accounts is None
            else license_policy(license, installation.created_accounts, now, terms),
        )
        for installation in active_installations(session, license)
    )
    reports = session.scalars(
        select(UsageReport)
        .where(UsageReport.license_id == license.id)
        .order_by(UsageReport.reported_at.desc(), UsageReport.id.desc())
        .limit(REPORTS_SHOWN)
    ).all()
    points = tuple(
        UsagePoint(r.reported_at, r.created_accounts, r.licensed_accounts, r.verdict)
        for r in reversed(reports)
    )
    packs = max((server.policy.packs_needed for server in servers if server.policy), default=0)
    if license.status_at(now) != LicenseStatus.ACTIVE:
        packs = 0  # buying does not unblock a revoked or expired license
    return LicenseUsage(
        servers=servers,
        points=points,
        chart=usage_chart(list(points), grace_percent=terms.grace_percent),
        forecast=crossing_date(list(points), grace_percent=terms.grace_percent) if not packs else None,
        packs_needed=packs,
        buy_accounts=packs * terms.pack_size,
    )
