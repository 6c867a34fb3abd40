"""Applying a refund attempt once, whoever hears of it first: the console that asked, or Stripe's event.

Every path that changes what an order has refunded (a full refund, a refund
by packs, Stripe's ``charge.refunded``, a lost dispute) first locks the
order's row (``locked_order``), then reads it, so each sees what the others
did: accounts are taken off once, never below zero, and each Stripe refund
gets one credit note. The attempt itself is applied by a compare-and-set
(``refund_claims.mark_applied``), so the console and the event cannot both
apply it.
"""

from app import audit, outbox
from app.billing import emails, refund_claims
from app.billing.fulfilment import (
    apply_full_refund,
    credit_partial_refund,
    flag_order,
    locked_license,
    locked_order,
    record_partial_refund,
)
from app.billing.gateway import GatewayError
from app.billing.invoices import credit_for_packs
from app.billing.outcomes import Outcome, OutcomeCode, ignored
from app.licensing.issuing import issue_next_certificate
from app.models import OrderStatus, RefundKind, RefundStatus


def drive_attempt(session, attempt, gateway, settings, now):
    """Ask Stripe for the attempt's refund (again, if it was asked already: Stripe answers with the same
    refund) and apply it. Returns the new certificate, or None when it was applied already.

    Raises ``GatewayError``; a refusal gives the attempt up, a failure to reach Stripe leaves it
    claimed (the refund may have been made: a retry, or Stripe's event, settles it).
    """
    session.rollback()  # the claim is on record: no lock is held while Stripe is asked
    if attempt.status == RefundStatus.APPLIED:
        return None
    try:
        refund = gateway.refund(
            attempt.stripe_payment_intent_id,
            attempt.reason,
            idempotency_key=attempt.idempotency_key,
            amount_cents=attempt.amount_cents,
            attempt=attempt.id,
        )
    except GatewayError as error:
        session.rollback()
        if not error.retryable:
            refund_claims.give_up(session, attempt)
        raise
    return apply_attempt(session, attempt, refund.id, settings, now)


def apply_attempt(session, attempt, refund_id, settings, now):
    """Apply the refund ``refund_id`` that Stripe made for ``attempt``, once; the new certificate or None."""
    order = locked_order(session, attempt.order)
    if not refund_claims.mark_applied(session, attempt, refund_id, now):
        return None
    if attempt.kind == RefundKind.PACKS:
        return _apply_packs(session, order, attempt, settings, now)
    certificate = apply_full_refund(session, order, settings, now, attempt.reason)
    if certificate is None:
        flag_order(
            order, f"Refund {refund_id} was made after the order was {order.status}: nothing else changed."
        )
        return None
    audit.record(
        attempt.actor,
        audit.AuditAction.ORDER_REFUND,
        order=order,
        license=order.license,
        reason=attempt.reason,
        amount_cents=attempt.amount_cents,
        stripe_refund=refund_id,
        serial=certificate.serial,
    )
    return certificate


def _apply_packs(session, order, attempt, settings, now):
    packs, amount = attempt.packs, attempt.amount_cents
    if order.status != OrderStatus.PAID:
        # A full refund or a lost dispute took the whole order first: its accounts are gone already.
        flag_order(
            order,
            f"Refund {attempt.stripe_refund_id} of {packs} packs was made after the order was {order.status}:"
            " the license was not changed again.",
        )
        return None
    pack_accounts = order.accounts // order.packs
    removed = min(packs * pack_accounts, order.accounts - order.refunded_accounts)
    net, tax = credit_for_packs(order, packs)
    license = locked_license(session, order.license_id)
    license.accounts = max(0, license.accounts - removed)
    order.refunded_cents += amount
    order.refunded_accounts += removed
    certificate = issue_next_certificate(
        session, license, settings.keyring, settings.terms, reason="partial_refund", now=now
    )
    credit_note = credit_partial_refund(
        session,
        order,
        settings,
        now,
        refunded_cents=order.refunded_cents,
        net_cents=net,
        tax_cents=tax,
        note=f"Refund of {packs} of the {order.packs} packs of order #{order.id} ({removed} accounts).",
    )
    outbox.add(
        session,
        emails.partial_refund(
            order, license, certificate, credit_note, amount_cents=amount, accounts_removed=removed
        ),
    )
    audit.record(
        attempt.actor,
        audit.AuditAction.ORDER_PARTIAL_REFUND,
        order=order,
        license=license,
        reason=attempt.reason,
        amount_cents=amount,
        packs=packs,
        accounts_removed=removed,
        stripe_refund=attempt.stripe_refund_id,
        serial=certificate.serial,
    )
    return certificate


def listed_refunds(charge):
    """The refunds Stripe lists on a charge (each with its id and metadata), when it lists them."""
    refunds = (charge.get("refunds") or {}).get("data") or []
    return [refund for refund in refunds if isinstance(refund, dict)]


def portal_refunds(session, charge):
    """The portal's own attempts among the charge's refunds: [(attempt, refund id)]."""
    found = []
    for refund in listed_refunds(charge):
        attempt = refund_claims.attempt_for_refund(session, refund)
        if attempt is not None:
            found.append((attempt, refund.get("id")))
    return found


def charge_refunded(session, order, charge, reason, settings, now):
    """Stripe reports the charge of ``order`` refunded (in full or in part): apply it against what it lists.

    The portal's own refunds are applied by their attempts (once, never flagged as made in Stripe);
    whatever Stripe reports beyond them, and beyond the attempts still under way, was made in Stripe.
    """
    order = locked_order(session, order)
    own = [found for found in portal_refunds(session, charge) if found[0].order_id == order.id]
    applied = [found for found in own if found[0].status == RefundStatus.CLAIMED]
    for attempt, refund_id in applied:
        apply_attempt(session, attempt, refund_id, settings, now)
    session.refresh(order)
    under_way = refund_claims.claimed_cents(session, order)
    refunded = charge.get("amount_refunded") or 0
    if (own or under_way) and refunded <= order.refunded_cents + under_way:
        if applied:
            return Outcome(OutcomeCode.OWN_REFUND, "the portal's refund applied")
        if under_way:
            return Outcome(OutcomeCode.OWN_REFUND, "the portal's refund is under way: its attempt applies it")
        return ignored("the portal's refund is applied already")
    if not charge.get("refunded") and refunded < charge.get("amount", 0):
        return record_partial_refund(session, order, refunded - under_way, settings, now)
    certificate = apply_full_refund(session, order, settings, now, reason)
    if certificate is None:
        return ignored(f"the order is {order.status}")
    return Outcome(OutcomeCode.REFUNDED, "order refunded")
