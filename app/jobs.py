"""What the worker runs: Stripe events, email delivery and the periodic jobs, each inside an app context."""

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app

from app.billing import event_log
from app.billing.fulfilment import FulfilmentSettings
from app.billing.webhooks import handle_event
from app.extensions import db
from app.mail import DeliveryPolicy, send_messages, transport_for
from app.trials.notices import WARN_DAYS, send_trial_notices
from app.web.services import current_gateway, current_keyring, current_terms

log = logging.getLogger(__name__)

RECONCILE_OLDER_THAN = timedelta(minutes=5)
FAILURES_KEY = "job-failures:"


def apply_stripe_event(event_id):
    """Apply one stored Stripe event; seconds until it is tried again after a failure, or None."""
    settings = FulfilmentSettings(keyring=current_keyring(), terms=current_terms(), gateway=current_gateway())
    now = datetime.now(UTC)
    applied = event_log.apply_event(
        db.session,
        event_id,
        lambda payload: handle_event(db.session, payload, settings, now),
        now,
        event_log.RetryPolicy.from_config(current_app.config),
    )
    return applied.retry_in


def stripe_event_sweep():
    """Every minute: the ids of stored events no worker applied in time (a lost enqueue, a dead worker)."""
    ids = event_log.events_to_sweep(db.session, datetime.now(UTC))
    db.session.rollback()
    if ids:
        log.warning("Stripe events not applied within a minute, handed to a worker again: %s", ids)
    return ids


def deliver_email(ids=None):
    """Send these queued messages (all due ones when None); returns [(id, seconds until retry)]."""
    report = send_messages(
        db.session, transport_for(current_app.config), DeliveryPolicy.from_config(current_app.config), ids
    )
    if report.sent or report.failed:
        log.info("email: %s sent, %s failed for good", report.sent, report.failed)
    return report.retrying


def send_reset_link(email):
    """A reset link for ``email`` if it is an account's (app/auth/emails.py)."""
    from app.auth.emails import send_reset_link as send
    from app.web.links import portal_links

    with portal_links():
        sent = send(db.session, current_app.config, email, datetime.now(UTC))
    db.session.commit()
    return sent


def outbox_sweep():
    """Every minute: send what no task is carrying (a lost task, an expired lease, a retry due)."""
    deliver_email(None)


def reconcile_orders():
    from app.billing.commands import reconcile_orders as reconcile

    checked, unreachable = reconcile(datetime.now(UTC), RECONCILE_OLDER_THAN, log.info)
    if unreachable:
        raise RuntimeError(f"Stripe could not be asked about {unreachable} order(s)")


def trial_notices():
    from app.web.links import portal_links

    with portal_links():
        sent = send_trial_notices(db.session, datetime.now(UTC), warn_days=WARN_DAYS)
    db.session.commit()
    log.info("trial notices: %s warnings, %s endings queued", sent.warnings, sent.endings)


def count_failure(huey, name):
    try:
        huey.storage.incr(FAILURES_KEY + name)
    except Exception:
        log.exception("could not count the failure of job %s", name)


def failure_counts(huey, names):
    return {name: huey.storage.incr(FAILURES_KEY + name, 0) for name in names}
