"""The door to the task queue (Huey): email delivery and the periodic jobs, run by `flask worker`.

The same code runs on an embedded queue (a SQLite file under instance/, for `make run` and a
single host) and on Redis (QUEUE_URL=redis://..., for many web and worker hosts). Every task works
inside its own app context and is safe to run twice at once: the outbox claims each message, and
the jobs only do what is exactly-once already (orders move by compare-and-set, trial notices are
recorded per license).
"""

import logging
from datetime import UTC
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from app import jobs

log = logging.getLogger(__name__)

# (name, schedule, job): the minute sweep makes good any delivery task that was lost.
PERIODIC_JOBS = (
    ("reconcile_orders", crontab(minute="*/10"), jobs.reconcile_orders),
    ("trial_notices", crontab(minute="0", hour="6"), jobs.trial_notices),
    ("outbox_sweep", crontab(), jobs.outbox_sweep),
)


def build_queue(app):
    """The Huey instance for this app's QUEUE_URL, with its tasks registered."""
    url = app.config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey("license-portal", url=url, results=False)
    elif url:
        raise SystemExit(f"QUEUE_URL must be a redis:// URL, not {url!r} (leave it unset for SQLite).")
    else:
        path = Path(app.config["QUEUE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("license-portal", filename=str(path), results=False)
        path.chmod(0o600)
    tasks = {}
    app.extensions["outbox_dispatch"] = lambda ids: enqueue_delivery(app, ids)

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

    tasks["deliver_email"] = huey.task(name="deliver_email")(deliver)
    tasks["send_reset_link"] = huey.task(name="send_reset_link")(send_reset_link)
    for name, schedule, job in PERIODIC_JOBS:

        def periodic(name=name, job=job):
            in_app(name, job)

        tasks[name] = huey.periodic_task(schedule, name=name)(periodic)
    app.extensions["queue"] = huey
    app.extensions["queue_tasks"] = tasks
    return huey


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
    """A Huey consumer with thread workers, for `flask worker` and the tests."""
    return queue_of(app).create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, max_delay=1.0, check_worker_health=True
    )
