"""The door to the task queue (Huey): Stripe events, email and the periodic jobs, run by `flask worker`.

The same code runs on an embedded queue (a SQLite file under instance/, for `make run` and a
single host) and on Redis (QUEUE_URL=redis://..., for many web and worker hosts). Every task works
inside its own app context and is safe to run twice at once: the outbox claims each message, an
event's effects happen once (app/billing/event_log.py), and the jobs only do what is exactly-once
already (orders move by compare-and-set, trial notices are recorded per license).

A worker takes a task up within a tenth of a second: Redis is read with a blocking pop, the
SQLite file is polled every 0.1 s (Huey's default backs off to 10 s when idle). Every worker's
scheduler enqueues the periodic jobs; each job runs once per period all the same (app/schedule.py).
A worker stops on SIGTERM as on Ctrl-C: it finishes the tasks it holds, then exits.
"""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from app import jobs, schedule
from app.extensions import db

log = logging.getLogger(__name__)

# The longest a worker waits before it looks at an idle SQLite queue again.
POLL_SECONDS = 0.1
DAY = timedelta(days=1)


def periodic_jobs(config):
    """(name, crontab, period, job, then): ``then`` enqueues what the job returns. The sweeps make good
    any task that was lost."""
    every = config["RECONCILE_EVERY_MINUTES"]
    if every < 1 or 60 % every:
        raise SystemExit(f"RECONCILE_EVERY_MINUTES must divide an hour (1, 2, 5, 10, 30, …), not {every}.")
    return (
        (
            "reconcile_orders",
            crontab(minute=f"*/{every}"),
            timedelta(minutes=every),
            jobs.reconcile_orders,
            None,
        ),
        ("trial_notices", crontab(minute="0", hour="6"), DAY, jobs.trial_notices, None),
        ("outbox_sweep", crontab(), timedelta(minutes=1), jobs.outbox_sweep, None),
        (
            "stripe_event_sweep",
            crontab(),
            timedelta(minutes=1),
            jobs.stripe_event_sweep,
            "apply_stripe_event",
        ),
    )


PERIODIC_JOB_NAMES = ("reconcile_orders", "trial_notices", "outbox_sweep", "stripe_event_sweep")


def _huey(config):
    url = config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("license-portal", url=url, results=False)  # a blocking pop: no polling
    if url:
        raise SystemExit(f"QUEUE_URL must be a redis:// URL, not {url!r} (leave it unset for SQLite).")
    path = Path(config["QUEUE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey("license-portal", filename=str(path), results=False)
    path.chmod(0o600)
    return huey


def build_queue(app):
    """The Huey instance for this app's QUEUE_URL, with its tasks registered."""
    huey = _huey(app.config)
    tasks = {}
    app.extensions["outbox_dispatch"] = lambda ids: enqueue_delivery(app, ids)
    app.extensions["stripe_event_dispatch"] = lambda event_id: enqueue_event(app, event_id)

    def in_app(name, job, *args):
        with app.app_context():
            try:
                return job(*args)
            except Exception:
                jobs.count_failure(huey, name)
                log.exception("job %s failed", name)
                raise

    def deliver(ids):
        retry_in = in_app("deliver_email", jobs.deliver_email, ids)
        for message_id, seconds in retry_in or ():
            tasks["deliver_email"].schedule(([message_id],), delay=seconds)

    def send_reset_link(email):
        in_app("send_reset_link", jobs.send_reset_link, email)

    def apply_event(event_id):
        retry_in = in_app("apply_stripe_event", jobs.apply_stripe_event, event_id)
        if retry_in is not None:
            tasks["apply_stripe_event"].schedule((event_id,), delay=retry_in)

    tasks["apply_stripe_event"] = huey.task(name="apply_stripe_event")(apply_event)
    tasks["deliver_email"] = huey.task(name="deliver_email")(deliver)
    tasks["send_reset_link"] = huey.task(name="send_reset_link")(send_reset_link)
    _register_periodic(app, huey, tasks, in_app)
    app.extensions["queue"] = huey
    app.extensions["queue_tasks"] = tasks
    return huey


def _register_periodic(app, huey, tasks, in_app):
    """Each periodic job as a Huey periodic task that runs only when its worker claims the period."""
    for name, cron, period, job, then in periodic_jobs(app.config):

        def periodic(name=name, period=period, job=job, then=then):
            with app.app_context():
                if not schedule.claim_period(db.session, name, period, datetime.now(UTC)):
                    return
            found = in_app(name, job)
            for args in (found or ()) if then else ():
                tasks[then](args)

        tasks[name] = huey.periodic_task(cron, name=name)(periodic)


def queue_of(app):
    return app.extensions["queue"]


def task(app, name):
    return app.extensions["queue_tasks"][name]


def enqueue_delivery(app, ids):
    """Ask a worker to send these messages; if the queue is down the minute sweep sends them later."""
    try:
        task(app, "deliver_email")(list(ids))
    except Exception:
        log.exception("could not enqueue email %s; the outbox sweep will send it", ids)


def enqueue_event(app, event_id):
    """Ask a worker to apply this stored Stripe event; if the queue is down the minute sweep does."""
    try:
        task(app, "apply_stripe_event")(event_id)
    except Exception:
        log.exception("could not enqueue Stripe event %s; the sweep will apply it", event_id)


def enqueue_reset_link(app, email):
    """Ask a worker to email a reset link to ``email`` if an account has it (none when the queue is down)."""
    try:
        task(app, "send_reset_link")(email)
    except Exception:
        log.exception("could not enqueue a password reset link; the customer can ask again")


def due_jobs(app, when):
    """The periodic jobs the scheduler starts at `when` (a UTC datetime)."""
    huey = queue_of(app)
    naive = when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    return [t.name for t in huey.read_periodic(naive)]


def ping(app):
    """Raise when the queue's storage cannot be reached."""
    huey = queue_of(app)
    if isinstance(huey, RedisHuey):
        huey.storage.conn.ping()
    else:
        huey.pending_count()


def worker(app, workers=2, periodic=True):
    """A Huey consumer with thread workers, for `flask worker` and the tests; SIGTERM stops it gracefully."""
    return queue_of(app).create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=POLL_SECONDS,
        backoff=1.0,
        max_delay=POLL_SECONDS,
        check_worker_health=True,
        graceful_signal="TERM",
    )
