"""Refund attempts as rows: claimed before Stripe is called, applied once, matched to Stripe's reports.

A refund is claimed like a payment. Before Stripe is asked, the attempt is
a row whose ``claim`` names the state it starts from ("order-17-after-0": the
refund that follows order 17's first 0 cents refunded; "extra-pi_…": that
extra payment). ``claim`` is unique, so of a double click, two agents or a
retry one inserts the row and the others find it: they drive that same
attempt (the same idempotency key at Stripe, which answers with the same
refund) and never start another. Applying the attempt is a compare-and-set
``UPDATE … WHERE status = 'claimed'``, so the console and Stripe's
``charge.refunded`` for that refund apply it once between them.

Plain functions taking a session; ``claim_refund`` and ``give_up`` commit,
because the claim must be on record before Stripe is asked.
"""

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.billing.gateway import REFUND_ATTEMPT
from app.models import RefundAttempt, RefundKind, RefundStatus


def claim_for(order, refunded_before):
    """The claim of the refund that follows ``refunded_before`` cents refunded of ``order``."""
    return f"order-{order.id}-after-{refunded_before}"


def extra_claim(payment_id):
    """The claim of the refund of an extra payment: one per payment, whoever meets it."""
    return f"extra-{payment_id}"


def attempt_by_claim(session, claim):
    return session.scalar(select(RefundAttempt).where(RefundAttempt.claim == claim))


def claim_refund(session, order, *, kind, claim, amount_cents, reason, actor, now, packs=None):  # noqa: PLR0913
    """Put a new attempt on record (committed); returns it, or the attempt that holds ``claim`` already.

    None when the claim was given up between the two reads (Stripe refused it): try again.
    """
    attempt = RefundAttempt(
        order_id=order.id,
        stripe_payment_intent_id=order.stripe_payment_intent_id,
        kind=kind,
        status=RefundStatus.CLAIMED,
        claim=claim,
        idempotency_key=f"refund-{uuid.uuid4().hex}",
        amount_cents=amount_cents,
        packs=packs,
        reason=reason,
        actor_id=actor.id if actor is not None else None,
        created_at=now,
    )
    session.add(attempt)
    try:
        session.commit()
        return attempt
    except IntegrityError:
        session.rollback()
    return attempt_by_claim(session, claim)


def mark_applied(session, attempt, refund_id, now):
    """Compare-and-set claimed → applied: True for the one caller that applies the refund."""
    moved = session.execute(
        update(RefundAttempt)
        .where(RefundAttempt.id == attempt.id, RefundAttempt.status == RefundStatus.CLAIMED)
        .values(status=RefundStatus.APPLIED, stripe_refund_id=refund_id, applied_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(attempt)
    return moved == 1


def give_up(session, attempt):
    """Stripe refused the attempt: it is kept as failed and its claim is free for a new attempt. Commits."""
    session.execute(
        update(RefundAttempt)
        .where(RefundAttempt.id == attempt.id, RefundAttempt.status == RefundStatus.CLAIMED)
        .values(status=RefundStatus.FAILED, claim=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def attempt_for_refund(session, refund):
    """The portal's attempt that made ``refund`` (a refund as Stripe lists it on a charge), or None.

    By the refund's id once it is recorded, else by the attempt named in its metadata (the console
    may not have heard Stripe's answer yet).
    """
    refund_id = refund.get("id")
    if isinstance(refund_id, str) and refund_id:
        attempt = session.scalar(select(RefundAttempt).where(RefundAttempt.stripe_refund_id == refund_id))
        if attempt is not None:
            return attempt
    named = str((refund.get("metadata") or {}).get(REFUND_ATTEMPT) or "")
    if not named.isdigit():
        return None
    attempt = session.get(RefundAttempt, int(named))
    paid_by = refund.get("payment_intent")
    if attempt is None or (isinstance(paid_by, str) and paid_by != attempt.stripe_payment_intent_id):
        return None
    return attempt


def claimed_cents(session, order):
    """What the order's attempts still under way will refund: Stripe may report it before they are applied."""
    amounts = session.scalars(
        select(RefundAttempt.amount_cents).where(
            RefundAttempt.order_id == order.id, RefundAttempt.status == RefundStatus.CLAIMED
        )
    ).all()
    return sum(amount or 0 for amount in amounts)


def keep_refund(session, payment_intent_id, amount_cents, reason, now):
    """Keep a refund Stripe reported for a payment whose order the portal does not know yet.

    One row per payment, holding the highest total refunded reported; applied by
    ``kept_refunds`` once the payment's order is paid.
    """
    claim = f"kept-{payment_intent_id}"
    kept = attempt_by_claim(session, claim)
    if kept is None:
        kept = RefundAttempt(
            stripe_payment_intent_id=payment_intent_id,
            kind=RefundKind.KEPT,
            status=RefundStatus.KEPT,
            claim=claim,
            amount_cents=0,
            reason=reason,
            created_at=now,
        )
        session.add(kept)
    kept.amount_cents = max(kept.amount_cents or 0, amount_cents)
    session.flush()
    return kept


def take_kept_refund(session, order, payment_intent_id, now):
    """The refund kept for ``payment_intent_id``, now given to ``order``; None if none (or taken)."""
    kept = attempt_by_claim(session, f"kept-{payment_intent_id}")
    if kept is None:
        return None
    moved = session.execute(
        update(RefundAttempt)
        .where(RefundAttempt.id == kept.id, RefundAttempt.status == RefundStatus.KEPT)
        .values(status=RefundStatus.APPLIED, order_id=order.id, applied_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(kept)
    return kept if moved == 1 else None
