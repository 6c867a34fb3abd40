"""flask billing reconcile: settle orders with Stripe when its webhooks were late or lost;
flask billing events: the Stripe events the worker could not apply, and retrying them."""

import sys
from datetime import UTC, datetime, timedelta
from functools import partial

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.billing import event_log, recovery
from app.billing.fulfilment import FulfilmentSettings, commit_exactly_once, settle_with_stripe
from app.billing.gateway import GatewayError
from app.billing.orders import orders_to_reconcile
from app.extensions import db
from app.licensing.keys import KeyRingError
from app.models import Order, StripeEvent
from app.web.services import current_gateway, current_keyring, current_terms

billing = AppGroup("billing", help="Orders and payments.")

FAILED_LOOKBACK = timedelta(days=7)


@billing.command("reconcile")
@click.option(
    "--older-than",
    "minutes",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Check pending orders whose payment started at least this many minutes ago.",
)
def reconcile(minutes):
    """Check unsettled orders against Stripe: fulfil the paid ones, fail the failed ones.

    Also processes stored webhook events again whose processing was cut short,
    settles payments whose id was never saved, and cancels unpaid orders older
    than ORDER_EXPIRY_HOURS.
    """
    try:
        checked, unreachable = reconcile_orders(datetime.now(UTC), timedelta(minutes=minutes), click.echo)
    except KeyRingError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Checked {checked} of {checked + unreachable} unsettled order(s) with Stripe.")
    if unreachable:
        sys.exit(1)


def reconcile_orders(now, older_than, report):
    """Settle each unsettled order with Stripe's word; returns (checked, not reachable).

    Shared by the command and the periodic job; each order settles exactly once however many run.
    """
    settings = FulfilmentSettings(keyring=current_keyring(), terms=current_terms(), gateway=current_gateway())
    gateway = settings.gateway
    candidates = orders_to_reconcile(
        db.session, started_before=now - older_than, failed_since=now - FAILED_LOOKBACK
    )
    unreachable = 0
    for order_id, payment_intent_id in candidates:
        try:
            payment = gateway.retrieve_payment(payment_intent_id)
        except GatewayError as error:
            report(f"Order {order_id} ({payment_intent_id}): not checked: {error.message}")
            unreachable += 1
            continue
        order = db.session.get(Order, order_id)
        outcome = commit_exactly_once(
            db.session, partial(settle_with_stripe, db.session, order, payment, settings, now)
        )
        report(f"Order {order_id} ({payment_intent_id}): {outcome}")
    for line in [
        *recovery.reprocess_events(db.session, settings, now, older_than),
        *recovery.free_stuck_attempts(db.session, now),
        *recovery.find_lost_payments(db.session, gateway, settings, now),
        *recovery.expire_orders(db.session, gateway, now, current_app.config["ORDER_EXPIRY_HOURS"]),
    ]:
        report(line)
    return len(candidates) - unreachable, unreachable


@billing.command("events")
@click.option("--failed", is_flag=True, help="List the events the worker gave up on, with their error.")
@click.option(
    "--retry",
    "retry",
    multiple=True,
    metavar="EVENT_ID",
    help="Hand this failed event (its Stripe id, evt_...) to the worker again; repeatable.",
)
@click.option("--retry-all", is_flag=True, help="Hand every failed event to the worker again.")
def events(failed, retry, retry_all):
    """Stripe events the worker has not applied: list the failed ones, or retry them."""
    if retry or retry_all:
        ids = event_log.retry_failed(db.session, list(retry) or None)
        dispatch = current_app.extensions["stripe_event_dispatch"]
        for event_id in ids:
            dispatch(event_id)
        click.echo(f"{len(ids)} failed event(s) handed to the worker again.")
        if retry and len(ids) < len(set(retry)):
            raise click.ClickException("Some of the given ids are not failed events (see --failed).")
        return
    waiting = db.session.scalar(
        select(func.count()).select_from(StripeEvent).where(*event_log.unapplied(datetime.now(UTC)))
    )
    click.echo(f"{waiting} event(s) waiting for the worker.")
    if not failed:
        return
    listed = event_log.failed_events(db.session)
    click.echo(f"{len(listed)} failed event(s).")
    for event in listed:
        click.echo(
            f"{event.stripe_id}  {event.type}  received {event.received_at:%Y-%m-%d %H:%M:%S} UTC"
            f"  {event.failures} attempt(s)  {event.error}"
        )


def init_app(app):
    app.cli.add_command(billing)
