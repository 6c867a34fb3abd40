"""Prometheus metrics at /metrics: request counts and latency by endpoint, and the business numbers.

Only a scraper giving METRICS_TOKEN (Authorization: Bearer ...) or calling from an address in
METRICS_ALLOW (addresses or networks) is answered; with neither set, nobody is.
"""

import ipaddress

from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import func, select

from app import jobs, queue
from app.billing import event_log
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
        received = event_log.oldest_unapplied_received_at(session)
        unapplied = GaugeMetricFamily(
            "portal_webhook_events_unapplied_oldest_age_seconds",
            "Age of the oldest stored Stripe event no worker has applied yet (failed ones included).",
        )
        unapplied.add_metric([], (utcnow() - received).total_seconds() if received else 0)
        yield unapplied
        session.rollback()
        failures = CounterMetricFamily("portal_job_failures", "Failed background jobs.", labels=["job"])
        names = ["apply_stripe_event", "deliver_email", "send_reset_link", *queue.PERIODIC_JOB_NAMES]
        try:
            for name, count in jobs.failure_counts(queue.queue_of(self.app), names).items():
                failures.add_metric([name], count)
        except Exception:
            current_app.logger.warning("metrics: the queue did not answer for job failures")
        yield failures


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


def init_app(app):
    registry = CollectorRegistry()
    PrometheusMetrics(app, registry=registry, path=None, group_by="endpoint", excluded_paths=["/metrics"])
    registry.register(PortalCollector(app))
    app.extensions["metrics_registry"] = registry

    @app.get("/metrics")
    @limiter.exempt
    @csrf.exempt
    def metrics():
        if not operator_request():
            abort(403)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
