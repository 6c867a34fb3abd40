"""Stripe events as the portal keeps them: stored by the webhook, applied by a worker.

The webhook stores each verified event under its Stripe id (unique) and answers at once
(``store_event``). A worker applies it (``apply_event``) with the handler of its type. Its effects
happen once whoever applies it and however often (fulfilment's compare-and-set and unique
constraints, app/billing/fulfilment.py), so an event may safely be handed to a worker again: the
sweep does that for every event no worker applied within a minute (a failed enqueue, a worker
that died). A failure is kept on the event and retried with backoff; after the last attempt the
event is marked failed and waits for an operator (``flask billing events --failed``, the
console's overview, ``/metrics``).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError, IntegrityError

from app.billing.fulfilment import commit_exactly_once
from app.billing.outcomes import Outcome, OutcomeCode
from app.models import StripeEvent
from app.retries import doubling_backoff

log = logging.getLogger(__name__)

OUTCOME_LENGTH = 100
ERROR_LENGTH = 2000
ALREADY_PROCESSED = Outcome(OutcomeCode.ALREADY_PROCESSED, "already processed")
FAILED = Outcome(OutcomeCode.ERROR, "error")
# What a signed event whose fields are missing or of the wrong type raises while it is handled:
# trying it again would not help.
MALFORMED = (KeyError, TypeError, AttributeError, ValueError, DataError)
# An event no worker applied in this time is handed to a worker again by the sweep.
SWEEP_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class RetryPolicy:
    """How an event that failed is tried again: backoff from ``base`` doubling up to ``longest``."""

    base: timedelta = timedelta(seconds=10)
    longest: timedelta = timedelta(hours=1)
    attempts: int = 8

    @classmethod
    def from_config(cls, config):
        return cls(
            base=timedelta(seconds=config["WEBHOOK_RETRY_BASE_SECONDS"]),
            longest=timedelta(seconds=config["WEBHOOK_RETRY_MAX_SECONDS"]),
            attempts=config["WEBHOOK_MAX_ATTEMPTS"],
        )

    def backoff(self, failures):
        return doubling_backoff(self.base, self.longest, failures)


@dataclass(frozen=True)
class Applied:
    """What applying an event did, and in how many seconds to try again (None: not again)."""

    outcome: Outcome
    retry_in: float | None = None


def store_event(session, event, now):
    """(id, processed) of this event's stored row: new, or the one an earlier delivery stored.

    Commits. A new row is not read back: its id is known from the insert, and it is not processed yet.
    """
    obj = event["data"]["object"]
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    stored = StripeEvent(
        stripe_id=event["id"], type=event["type"], payload=event, object_id=object_id, received_at=now
    )
    session.add(stored)
    try:
        session.flush()
        event_id = stored.id
        session.commit()
        return event_id, False
    except IntegrityError:
        session.rollback()
    earlier = session.execute(
        select(StripeEvent.id, StripeEvent.processed_at).where(StripeEvent.stripe_id == event["id"])
    ).one()
    return earlier.id, earlier.processed_at is not None


def apply_event(session, event_id, handle, now, policy=RetryPolicy()):
    """Apply the stored event with ``handle(payload)`` (which returns an ``Outcome``) and commit.

    Returns ``Applied``: the outcome, and when a failure is to be tried again.
    """
    stored = session.get(StripeEvent, event_id)
    if stored is None or stored.processed_at is not None:
        session.rollback()
        return Applied(ALREADY_PROCESSED)
    payload = stored.payload
    try:
        return Applied(
            commit_exactly_once(session, lambda: _process(session, event_id, payload, handle, now))
        )
    except MALFORMED as error:
        session.rollback()
        log.warning("Stripe event %s (%s) is malformed: %r", payload.get("id"), payload.get("type"), error)
        _record_failure(session, event_id, f"malformed: {type(error).__name__}: {error}", now, None)
        return Applied(Outcome(OutcomeCode.MALFORMED, "malformed event"))
    except Exception as error:  # every failure is kept on the event, which is tried again
        session.rollback()
        log.exception("Stripe event %s (%s) failed", payload.get("id"), payload.get("type"))
        return Applied(
            FAILED, _record_failure(session, event_id, f"{type(error).__name__}: {error}", now, policy)
        )


def _process(session, event_id, payload, handle, now):
    outcome = handle(payload)
    marked = session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == event_id, StripeEvent.processed_at.is_(None))
        .values(
            processed_at=now,
            outcome=outcome.sentence[:OUTCOME_LENGTH],
            outcome_code=outcome.code,
            error=None,
            next_attempt_at=None,
        )
    ).rowcount
    # Another worker applied the same event meanwhile; its outcome stands.
    return outcome if marked else ALREADY_PROCESSED


def _record_failure(session, event_id, error, now, policy):
    """Keep the error on the event; seconds until it is tried again, or None when it has failed for good."""
    stored = session.get(StripeEvent, event_id)
    stored.failures += 1
    stored.error = error[:ERROR_LENGTH]
    retry_in = None
    if policy is None or stored.failures >= policy.attempts:
        stored.failed_at, stored.next_attempt_at = now, None
        log.error(
            "Stripe event %s failed for good after %s attempt(s): %s",
            stored.stripe_id,
            stored.failures,
            error,
        )
    else:
        delay = policy.backoff(stored.failures)
        stored.next_attempt_at = now + delay
        retry_in = delay.total_seconds()
    session.commit()
    return retry_in


def unapplied(now, older_than=timedelta(0)):
    """The condition of events that wait for a worker (not failed for good) since ``now - older_than``."""
    return (
        StripeEvent.processed_at.is_(None),
        StripeEvent.failed_at.is_(None),
        func.coalesce(StripeEvent.next_attempt_at, StripeEvent.received_at) <= now - older_than,
    )


def events_to_sweep(session, now, older_than=SWEEP_AFTER):
    """Ids of the events that no worker applied within ``older_than`` of their arrival or retry time."""
    return list(
        session.scalars(select(StripeEvent.id).where(*unapplied(now, older_than)).order_by(StripeEvent.id))
    )


def failed_events(session):
    """The events the worker gave up on, oldest first."""
    return session.scalars(
        select(StripeEvent)
        .where(StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_not(None))
        .order_by(StripeEvent.id)
    ).all()


def retry_failed(session, stripe_ids=None):
    """Give failed events (these Stripe ids, or all) a fresh set of attempts; returns their ids. Commits."""
    query = select(StripeEvent.id).where(
        StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_not(None)
    )
    if stripe_ids:
        query = query.where(StripeEvent.stripe_id.in_(stripe_ids))
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(StripeEvent)
            .where(StripeEvent.id.in_(ids))
            .values(failed_at=None, failures=0, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


def oldest_unapplied_received_at(session):
    """When the oldest event that no worker applied yet arrived (failed ones included); None if none."""
    return session.scalar(select(func.min(StripeEvent.received_at)).where(StripeEvent.processed_at.is_(None)))


def payment_received(session, payment_intent_id):
    """Whether Stripe's word that this PaymentIntent succeeded has arrived and waits for a worker."""
    if not payment_intent_id:
        return False
    return (
        session.scalar(
            select(StripeEvent.id)
            .where(
                StripeEvent.object_id == payment_intent_id,
                StripeEvent.type == "payment_intent.succeeded",
                StripeEvent.processed_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )
