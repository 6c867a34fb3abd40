"""Prometheus metrics. /metrics: this host's requests (count and latency by endpoint) and whether it
reaches what it depends on. /metrics/portal: the business numbers, read from the shared database.

Every host answers both, but the business numbers are the same on each: scrape /metrics/portal once
(one job, through the load balancer), so that summing hosts never counts an order twice.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR (an empty folder, see gunicorn.conf.py) makes /metrics add
up every worker process of the host, as prometheus_client's multiprocess mode does; without it each
worker would answer with its own counts.

Only a scraper giving METRICS_TOKEN (Authorization: Bearer ...) or calling from an address in
METRICS_ALLOW (addresses or networks) is answered; with neither set, nobody is.
"""

import ipaddress
import os

from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import func, select

from app import jobs, queue
from app.extensions import csrf, db, limiter
from app.models import Order, OutboxMessage
from app.models.base import utcnow
from app.models.order import StripeEvent


class PortalCollector:
    """The numbers read from the database and the queue at each scrape, so every host agrees."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        session = db.session
        orders = GaugeMetricFamily("portal_orders", "Orders by status.", labels=["status"])
        for status, count in session.execute(select(Order.status, func.count()).group_by(Order.status)):
            orders.add_metric([status], count)
        yield orders
        paid = CounterMetricFamily("portal_orders_paid", "Orders paid since the portal began.")
        paid.add_metric([], session.scalar(select(func.count()).where(Order.paid_at.is_not(None))) or 0)
        yield paid
        webhooks = CounterMetricFamily(
            "portal_webhook_events",
            "Stripe webhook events by type and outcome code (never the outcome's sentence, which names ids).",
            labels=["type", "outcome"],
        )
        rows = session.execute(
            select(StripeEvent.type, StripeEvent.outcome_code, func.count()).group_by(
                StripeEvent.type, StripeEvent.outcome_code
            )
        )
        for event_type, outcome, count in rows:
            webhooks.add_metric([event_type, outcome or "unprocessed"], count)
        yield webhooks
        outbox = GaugeMetricFamily("portal_outbox_messages", "Email messages by status.", labels=["status"])
        by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        counts = dict(session.execute(by_status).all())
        for status in ("queued", "sent", "failed"):
            outbox.add_metric([status], counts.get(status, 0))
        yield outbox
        queued = OutboxMessage.status == "queued"
        oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(queued))
        age = GaugeMetricFamily("portal_outbox_oldest_queued_age_seconds", "Age of the oldest queued email.")
        age.add_metric([], (utcnow() - oldest).total_seconds() if oldest else 0)
        yield age
        session.rollback()
        failures = CounterMetricFamily("portal_job_failures", "Failed background jobs.", labels=["job"])
        names = ["deliver_email", "send_reset_link", *(name for name, _, _ in queue.PERIODIC_JOBS)]
        try:
            for name, count in jobs.failure_counts(queue.queue_of(self.app), names).items():
                failures.add_metric([name], count)
        except Exception:
            current_app.logger.warning("metrics: the queue did not answer for job failures")
        yield failures


# A probe waits no longer for the queue than this: a Redis that hangs must not hang /readyz too.
QUEUE_PROBE_SECONDS = 0.5


def probe_queue(app):
    """Raise when the task queue does not answer within QUEUE_PROBE_SECONDS."""
    url = app.config.get("QUEUE_URL")
    if not url:
        queue.ping(app)  # the SQLite queue: a local file
        return
    import redis

    timeout = QUEUE_PROBE_SECONDS
    with redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout) as client:
        client.ping()


class HostCollector:
    """What this host reaches, at each scrape: a part it does without shows 0 (the host stays ready)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        up = GaugeMetricFamily(
            "portal_dependency_up", "1 when this host reaches the part, else 0.", labels=["part"]
        )
        try:
            probe_queue(self.app)
            up.add_metric(["queue"], 1)
        except Exception:
            up.add_metric(["queue"], 0)
        yield up


def operator_request():
    """Whether the caller gave METRICS_TOKEN or calls from METRICS_ALLOW: it may read how the host fares."""
    cfg = current_app.config
    token = cfg.get("METRICS_TOKEN")
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(allowed, strict=False) for allowed in cfg["METRICS_ALLOW"])


def host_registry(app):
    """The registry /metrics shows: request metrics of every worker process of the host, and its parts."""
    registry = CollectorRegistry()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        multiprocess.MultiProcessCollector(registry)
        # The exporter's own metrics write to the shared folder; registered here they would count twice.
        PrometheusMetrics(app, registry=CollectorRegistry(), **EXPORTER)
    else:
        PrometheusMetrics(app, registry=registry, **EXPORTER)
    registry.register(HostCollector(app))
    return registry


EXPORTER = {"path": None, "group_by": "endpoint", "excluded_paths": ["/metrics"]}


def _scrape(registry):
    if not operator_request():
        abort(403)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app):
    host = host_registry(app)
    portal = CollectorRegistry()
    portal.register(PortalCollector(app))

    @app.get("/metrics")
    @limiter.exempt
    @csrf.exempt
    def metrics():
        return _scrape(host)

    @app.get("/metrics/portal")
    @limiter.exempt
    @csrf.exempt
    def portal_metrics():
        return _scrape(portal)
