"""Two `flask worker` processes on one database and one queue: 200 messages, none twice, none lost."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import queue
from app.extensions import db
from app.models import OutboxMessage
from tests.integration.queue_helpers import queue_settings, smtp_server, wait_for

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 200


@pytest.fixture
def queue_config(request, tmp_path):
    """Redis beside PostgreSQL (DATABASE_URL set), as on many hosts; the SQLite queue beside SQLite."""
    redis_url = request.getfixturevalue("redis_url") if os.environ.get("DATABASE_URL") else None
    return queue_settings(tmp_path, redis_url)


@pytest.fixture
def settings(queue_config):
    return queue_config


def start_worker(app, smtp_port, tmp_path):
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(tmp_path),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "OUTBOX_LEASE_SECONDS": "2",
        "QUEUE_URL": app.config.get("QUEUE_URL") or "",
        "QUEUE_PATH": app.config["QUEUE_PATH"],
    }
    flask = Path(sys.executable).parent / "flask"
    return subprocess.Popen(
        [str(flask), "--app", "wsgi", "worker", "--workers", "2", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def queue_messages(count):
    for batch in range(0, count, 10):  # ten transactions of ten, as ten requests would
        for n in range(batch, min(batch + 10, count)):
            db.session.add(
                OutboxMessage(
                    recipient=f"m{n}@example.com", subject=f"Message {n}", text_body="Hi.", html_body="Hi."
                )
            )
        db.session.commit()


def statuses():
    db.session.rollback()
    return dict(
        db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_workers_deliver_200_messages_once_each(app, tmp_path):
    with smtp_server() as (controller, inbox):
        workers = [start_worker(app, controller.port, tmp_path / f"w{i}") for i in range(2)]
        try:
            queue_messages(MESSAGES)
            wait_for(lambda: statuses().get("sent") == MESSAGES, timeout=150)
        finally:
            for worker in workers:
                stop(worker)
    received = Counter(inbox.recipients())
    assert len(received) == MESSAGES and set(received.values()) == {1}


def test_a_worker_killed_mid_batch_loses_nothing(app, tmp_path):
    with smtp_server(delay=0.05) as (controller, inbox):
        doomed = start_worker(app, controller.port, tmp_path / "doomed")
        survivor = start_worker(app, controller.port, tmp_path / "survivor")
        try:
            queue_messages(MESSAGES)
            wait_for(lambda: len(inbox.messages) >= 40, timeout=150)
            doomed.kill()  # no goodbye: its claimed messages and its tasks are simply gone
            doomed.wait()
            # The minute sweep sends every due message, taking over those whose lease ran out.
            wait_for(lambda: _sweep(app) and statuses() == {"sent": MESSAGES}, timeout=150, interval=1)
        finally:
            stop(doomed)
            stop(survivor)
    received = Counter(inbox.recipients())
    assert len(received) == MESSAGES
    # A message whose SMTP exchange the kill cut short may go out twice (at least once, never lost).
    assert sum(received.values()) - MESSAGES <= 2


def _sweep(app):
    queue.task(app, "deliver_email")(None)  # what the sweep enqueues (it runs once a minute)
    return True
