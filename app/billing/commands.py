"""flask billing reconcile: settle orders with Stripe when its webhooks were late or lost."""

import sys
from datetime import UTC, datetime, timedelta
from functools import partial

import click
from flask import current_app
from flask.cli import AppGroup

from app.billing.fulfilment import FulfilmentSettings, commit_exactly_once, settle_with_stripe
from app.billing.gateway import GatewayError
from app.billing.orders import orders_to_reconcile
from app.extensions import db
from app.licensing.keys import KeyRingError
from app.models import Order
from app.services import current_gateway, current_keyring

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
    """Check unsettled orders against Stripe: fulfil the paid ones, fail the failed ones."""
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
    settings = FulfilmentSettings.from_config(current_app.config, current_keyring())
    gateway = current_gateway()
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
    return len(candidates) - unreachable, unreachable


def init_app(app):
    app.cli.add_command(billing)
