"""The periodic jobs: on schedule (time moved, not slept), run by a real worker, safe to run twice at once."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import jobs, queue
from app.extensions import db
from app.models import License, Order
from app.models.base import utcnow
from tests.conftest import sent_mail
from tests.factories import add_order
from tests.integration.queue_helpers import free_port, queue_settings, running_worker, smtp_server, wait_for


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def settings(tmp_path, smtp_port, redis_url):
    return {
        **queue_settings(tmp_path, redis_url),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        # Nothing answers there: Stripe cannot be asked, so reconcile fails and says so.
        "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


def test_over_one_day_reconcile_runs_every_10_minutes_notices_daily_and_the_sweep_every_minute(app):
    midnight = datetime(2026, 3, 1, tzinfo=UTC)
    runs = {"reconcile_orders": [], "trial_notices": [], "outbox_sweep": []}
    for minute in range(24 * 60):
        moment = midnight + timedelta(minutes=minute)
        for name in queue.due_jobs(app, moment):
            runs[name].append(moment)
    assert len(runs["outbox_sweep"]) == 1440
    assert len(runs["reconcile_orders"]) == 144
    assert {m.minute % 10 for m in runs["reconcile_orders"]} == {0}
    assert [m.strftime("%H:%M") for m in runs["trial_notices"]] == ["06:00"]


def test_jobs_due_at_6_00_run_on_the_worker_and_twice_at_once_act_once(app, make_license, buyer, smtp_port):
    trial = make_license(kind="trial", accounts=25, now=utcnow() - timedelta(days=25))
    add_order(
        buyer, stripe_payment_intent_id="pi_unsettled", payment_attempted_at=utcnow() - timedelta(minutes=30)
    )
    db.session.commit()
    six = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0, tzinfo=None)
    huey = queue.queue_of(app)

    with smtp_server(smtp_port) as (_, inbox), running_worker(app, workers=4) as consumer:
        scheduler = consumer._create_scheduler()  # Huey's own scheduler, at a moved time
        scheduler.enqueue_periodic_tasks(six)
        scheduler.enqueue_periodic_tasks(six)  # as a second scheduler on another host would, same minute
        wait_for(lambda: jobs.failure_counts(huey, ["reconcile_orders"])["reconcile_orders"] == 2)
        wait_for(lambda: inbox.messages and huey.pending_count() == 0)
    # Leaving running_worker waited for every job still running: a second notice would be in the outbox.

    assert len(inbox.messages) == 1 and f"To: {buyer.email}" in inbox.messages[0]
    db.session.rollback()
    [notice] = sent_mail()
    assert notice.status == "sent" and "trial" in notice.subject.lower()
    assert db.session.get(License, trial.id).trial_warned_at is not None
    assert db.session.scalar(
        select(Order.status).where(Order.stripe_payment_intent_id == "pi_unsettled")
    ) == ("pending")


def test_job_failures_are_counted_in_the_metrics(app):
    jobs.count_failure(queue.queue_of(app), "reconcile_orders")
    app.config["METRICS_TOKEN"] = "scrape-me"
    body = (
        app.test_client()
        .get("/metrics/portal", headers={"Authorization": "Bearer scrape-me"})
        .get_data(as_text=True)
    )
    assert 'portal_job_failures_total{job="reconcile_orders"} 1.0' in body
