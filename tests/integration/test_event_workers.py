"""Stripe events applied by `flask worker` processes: each once, whatever dies or runs twice.

Runs on the test database (PostgreSQL with Redis when DATABASE_URL is set, SQLite with the SQLite
queue otherwise), with real worker processes.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import queue
from app.extensions import db
from app.models import BillingDocument, Certificate, JobRun, Order, OutboxMessage, StripeEvent
from tests.integration.queue_helpers import queue_settings, wait_for
from tests.support.localstripe import sign_webhook
from tests.support.payments import post_webhook, succeeded_payload

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 200


@pytest.fixture
def settings(request, tmp_path):
    redis_url = request.getfixturevalue("redis_url") if os.environ.get("DATABASE_URL") else None
    return queue_settings(tmp_path, redis_url)


def start_worker(app, log_path, periodic=False):
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(log_path.parent),
        "LICENSE_KEY_SECRET": app.config["LICENSE_KEY_SECRET"],
        "STRIPE_SECRET_KEY": app.config["STRIPE_SECRET_KEY"],
        "STRIPE_WEBHOOK_SECRET": app.config["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": "http://127.0.0.1:9",  # no Stripe: reconcile, if its minute comes, fails fast
        "TAX_RATES": "",
        "LOG_FORMAT": "text",
        "QUEUE_URL": app.config.get("QUEUE_URL") or "",
        "QUEUE_PATH": app.config["QUEUE_PATH"],
    }
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--workers", "2"]
    log = log_path.open("w")
    return subprocess.Popen(
        command + ([] if periodic else ["--no-periodic"]), cwd=ROOT, env=env, stdout=log, stderr=log
    )


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def workers(app, tmp_path, count=2, periodic=False):
    processes = [start_worker(app, tmp_path / f"worker{n}.log", periodic) for n in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            stop(process)


def deliver(client, app, order):
    payload = succeeded_payload(order)
    response = post_webhook(client, payload, sign_webhook(payload, app.config["STRIPE_WEBHOOK_SECRET"]))
    assert (response.status_code, response.json["code"]) == (200, "received")
    return json.loads(payload)["id"]


def count(query):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def applied():
    return count(select(StripeEvent.id).where(StripeEvent.processed_at.is_not(None)))


def test_200_events_over_two_worker_processes_are_each_applied_once(app, client, make_stripe_order, tmp_path):
    orders = [make_stripe_order(accounts=25) for _ in range(EVENTS)]

    with workers(app, tmp_path):
        for order in orders:
            deliver(client, app, order)
        wait_for(lambda: applied() == EVENTS, timeout=240, interval=0.5)

    assert Counter(db.session.scalars(select(StripeEvent.outcome))) == {"fulfilled": EVENTS}
    assert count(select(Order.id).where(Order.status == "paid")) == EVENTS
    assert count(select(Certificate.order_id).distinct()) == count(select(Certificate.id)) == EVENTS
    assert count(select(BillingDocument.order_id).distinct()) == count(select(BillingDocument.id)) == EVENTS
    receipts = select(OutboxMessage.id).where(OutboxMessage.subject.startswith("Receipt for order"))
    assert count(receipts) == EVENTS


@contextmanager
def orders_locked(app):
    """Hold the orders still, as a long transaction would: a worker applying a payment waits mid-way."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("LOCK TABLE orders IN EXCLUSIVE MODE")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite: the one writer
        try:
            yield
        finally:
            connection.exec_driver_sql("ROLLBACK")


def test_a_worker_killed_between_taking_an_event_and_committing_it_is_made_good_once(
    app, client, make_stripe_order, tmp_path
):
    order = make_stripe_order(accounts=50)
    deliver(client, app, order)  # stored and queued; no worker runs yet
    huey = queue.queue_of(app)

    with orders_locked(app):
        doomed = start_worker(app, tmp_path / "doomed.log")
        try:
            wait_for(lambda: huey.pending_count() == 0, timeout=30)  # it took the task ...
            time.sleep(1.0)  # ... and waits in the middle of the fulfilment's transaction
            doomed.kill()  # no goodbye: its transaction and its task are simply gone
            doomed.wait()
        finally:
            stop(doomed)

    assert db.session.get(Order, order.id).status == "pending"
    stored = db.session.scalar(select(StripeEvent))
    stored.received_at -= timedelta(seconds=61)  # no worker applied it within the minute
    db.session.commit()
    with workers(app, tmp_path, count=1):
        queue.task(app, "stripe_event_sweep")()  # what the scheduler starts every minute
        wait_for(lambda: applied() == 1, timeout=60, interval=0.2)

    paid = db.session.get(Order, order.id)
    assert (paid.status, paid.license.accounts) == ("paid", 50)
    assert count(select(Certificate.id).where(Certificate.order_id == order.id)) == 1
    assert db.session.scalar(select(StripeEvent.outcome)) == "fulfilled"


def test_two_schedulers_run_each_periodic_job_once_per_period(app, tmp_path):
    """Both workers enqueue the sweeps every minute; in each minute one of them runs each sweep."""
    started = time.time()
    with workers(app, tmp_path, periodic=True):
        # Both schedulers start the jobs at once, then again at the next minute.
        time.sleep(max(65.0, 62.0 + 60 - started % 60))
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in range(2))

    assert "scheduler too: each periodic job runs once per period" in logs
    for job in ("outbox_sweep", "stripe_event_sweep"):
        ran = Counter(re.findall(rf"{job}: this worker runs the period from (\S+ \S+)", logs))
        skipped = Counter(re.findall(rf"{job}: the period from (\S+ \S+) is run by another worker", logs))
        assert len(ran) >= 2, logs
        assert set(ran.values()) == {1}, ran
        assert skipped == ran, (ran, skipped)  # the other worker tried each period too, and stood back
        assert count(select(JobRun.id).where(JobRun.job == job)) == len(ran)
