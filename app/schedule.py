"""One run of each periodic job per period, however many workers schedule it.

Every worker's scheduler enqueues the periodic jobs (a worker host may stop at any time, so each
is able to). The run that inserts the (job, period) row first does the work; the others find the
row there and skip. The period is read on the worker's own clock, as the crontab that started
the run was: two workers whose clocks differ by seconds name the same period.
"""

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from app.models import JobRun

log = logging.getLogger(__name__)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def period_start(now, period):
    """The start of the period (a timedelta, counted from the epoch in UTC) that ``now`` falls in."""
    seconds = int(period.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def claim_period(session, job, period, now, worker=None):
    """True when this run is the period's one for ``job``; commits its row. False: another worker had it."""
    start = period_start(now, period)
    session.add(JobRun(job=job, period_start=start, worker=worker or worker_name(), started_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        log.info("%s: the period from %s is run by another worker", job, f"{start:%Y-%m-%d %H:%M}")
        return False
    log.info("%s: this worker runs the period from %s", job, f"{start:%Y-%m-%d %H:%M}")
    return True
