"""What a payment does to a license, exactly once: fulfilment, refunds and disputes.

``fulfil_order`` is the one way an order becomes paid. The webhook, the order
status page and ``flask billing reconcile`` all call it, possibly at the same
moment for the same order. Exactly one of them wins, because:

- the order moves with a compare-and-set ``UPDATE ... WHERE status IN
  (the unpaid states)`` (``move_order``): the database lets one writer match the row, the
  others match nothing (PostgreSQL locks the row; SQLite admits one writer);
- the license row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL) before
  its accounts change, so two orders on one license add up;
- certificates are unique per (order, reason) and per (license, serial): if
  a writer slips past the checks anyway, its commit fails and
  ``commit_exactly_once`` runs the step again, which then finds the order
  paid and does nothing.

Plain functions taking a session; only ``commit_exactly_once`` commits.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from app import audit, outbox
from app.billing import emails, invoices, refund_claims
from app.billing.gateway import PaymentStatus
from app.billing.orders import SETTLED, UNPAID, fail_order, move_order, note_attempt
from app.billing.outcomes import Outcome, OutcomeCode, ignored
from app.licensing.issuing import issue_next_certificate, new_license
from app.licensing.keys import KeyRing
from app.models import (
    Certificate,
    License,
    LicenseKind,
    LicenseStatus,
    Order,
    OrderStatus,
    RefundAttempt,
    RefundKind,
    RefundStatus,
)
from app.terms import Terms

FULFILMENT_REASONS = ("purchase", "upgrade", "trial_conversion")
ALREADY_FULFILLED = Outcome(OutcomeCode.ALREADY_FULFILLED, "already fulfilled")
COMMIT_ATTEMPTS = 3


@dataclass(frozen=True)
class FulfilmentSettings:
    """What a payment's effects need: the key ring, the terms it was sold on, and Stripe."""

    keyring: KeyRing
    terms: Terms
    # Refunds a payment that arrives for an order already paid or cancelled; None: only flagged.
    gateway: object | None = None


def commit_exactly_once(session, step, attempts=COMMIT_ATTEMPTS):
    """Run ``step()`` and commit; on a unique-constraint collision roll back and run it again.

    Run again, the step sees what the other writer committed (an order
    already paid, the next free serial), so it reports that instead of
    issuing a second certificate. Returns what ``step`` returned.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = step()
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def fulfil_order(session, order, payment, settings, now):
    """Mark `order` paid by `payment` (a succeeded ``PaymentInfo``), add its accounts, issue a certificate.

    Returns its ``Outcome``: fulfilled, already fulfilled, or flagged for
    support instead (the sentence says why).
    """
    if payment.status != PaymentStatus.SUCCEEDED:
        return ignored(f"the payment is {payment.status}")
    note_attempt(order, payment)
    mismatch = _amount_mismatch(order, payment)
    if mismatch:
        return flag_order(order, mismatch)
    won = move_order(
        session,
        order,
        OrderStatus.PAID,
        only_from=UNPAID,
        paid_at=now,
        stripe_payment_intent_id=payment.id,
        failure_message=None,
    )
    if not won:
        return _already_settled(session, order, payment, settings, now)
    if payment.card_brand and payment.card_last4:
        order.card_brand, order.card_last4 = payment.card_brand, payment.card_last4
    license, reason = _add_accounts(session, order, settings, now)
    if license.status == LicenseStatus.REVOKED:
        flag_order(order, "Paid for a revoked license: the accounts were added; refund or reinstate it.")
    certificate = issue_next_certificate(
        session,
        license,
        settings.keyring,
        settings.terms,
        reason=reason,
        now=now,
        order_id=order.id,
    )
    invoice = invoices.issue_invoice(session, order, settings.terms, now)
    outbox.add(session, emails.receipt(order, license, certificate, invoice))
    kept = _apply_kept_refund(session, order, payment, settings, now)
    return kept or Outcome(OutcomeCode.FULFILLED, "fulfilled")


def _apply_kept_refund(session, order, payment, settings, now):
    """Stripe reported a refund of this payment before its order was known: apply it now."""
    kept = refund_claims.take_kept_refund(session, order, payment.id, now)
    if kept is None:
        return None
    if kept.amount_cents >= order.amount_cents:
        apply_full_refund(session, order, settings, now, kept.reason or "Refunded in Stripe")
        return Outcome(OutcomeCode.REFUNDED, "fulfilled, then refunded as Stripe reported")
    record_partial_refund(session, order, kept.amount_cents, settings, now)
    return Outcome(OutcomeCode.PARTIAL_REFUND, "fulfilled, then partly refunded as Stripe reported")


def apply_full_refund(session, order, settings, now, reason, *, certificate_reason="refund"):
    """Take a fully refunded order's accounts off its license and issue the new certificate.

    For a refund made in Stripe (support's console, ``charge.refunded``) and a
    lost dispute (``certificate_reason="dispute_lost"``). Only a paid or
    disputed order is refunded, once; returns the new certificate, or None
    when the order was not in a state to refund (e.g. already refunded).
    """
    # Read under the order's lock: a refund by packs applied meanwhile has taken some accounts already.
    order = locked_order(session, order)
    removed = order.accounts - order.refunded_accounts
    refunded = move_order(
        session,
        order,
        OrderStatus.REFUNDED,
        refunded_at=now,
        refunded_cents=Order.amount_cents,
        refunded_accounts=Order.accounts,
        refund_reason=reason,
    )
    if not refunded:
        return None
    license = locked_license(session, order.license_id)
    license.accounts = max(0, license.accounts - removed)
    license.upgrades_frozen = _has_open_dispute(session, license.id)
    certificate = issue_next_certificate(
        session,
        license,
        settings.keyring,
        settings.terms,
        reason=certificate_reason,
        now=now,
        order_id=order.id,
    )
    credit_note = _credit_rest(session, order, settings, now, certificate_reason)
    outbox.add(
        session,
        emails.refund(
            order,
            license,
            certificate,
            credit_note,
            accounts_removed=removed,
            dispute=certificate_reason == "dispute_lost",
        ),
    )
    return certificate


def _credit_rest(session, order, settings, now, certificate_reason):
    """The credit note of a full refund: what earlier credit notes of the order have not credited."""
    net, tax = invoices.credit_remaining(session, order)
    lost = certificate_reason == "dispute_lost"
    return invoices.issue_credit_note(
        session,
        order,
        settings.terms,
        now,
        event="refund",
        net_cents=net,
        tax_cents=tax,
        note=f"{'Lost payment dispute' if lost else 'Refund'} of order #{order.id}: all its accounts.",
    )


def credit_partial_refund(session, order, settings, now, *, refunded_cents, net_cents, tax_cents, note):
    """The credit note of a partial refund that brought the order's refunded total to ``refunded_cents``.

    Named by that total, so support's refund by packs and Stripe's
    ``charge.refunded`` for the same refund issue one credit note between them.
    """
    return invoices.issue_credit_note(
        session,
        order,
        settings.terms,
        now,
        event=f"partial-{refunded_cents}",
        net_cents=net_cents,
        tax_cents=tax_cents,
        note=note,
    )


def record_partial_refund(session, order, refunded_cents, settings, now):
    """Stripe refunded part of a payment: recorded, credited and left to support; the license is unchanged."""
    order = locked_order(session, order)
    if order.status not in SETTLED or refunded_cents <= order.refunded_cents:
        return ignored("nothing new refunded")
    net, tax = invoices.credit_for_amount(order, refunded_cents - order.refunded_cents)
    order.refunded_cents = refunded_cents
    # The order's row first, the credit notes' counter last, as in a refund by packs: no deadlock.
    session.flush()
    credit_partial_refund(
        session,
        order,
        settings,
        now,
        refunded_cents=refunded_cents,
        net_cents=net,
        tax_cents=tax,
        note=f"Partial refund of order #{order.id}, made in Stripe.",
    )
    flag_order(order, "Partly refunded in Stripe: the license was not changed. Decide whether to adjust it.")
    return Outcome(OutcomeCode.PARTIAL_REFUND, "partial refund recorded and flagged")


def open_dispute(session, order):
    """A paid order is disputed: upgrades of its license stop until the dispute closes."""
    order = locked_order(session, order)
    disputed = move_order(session, order, OrderStatus.DISPUTED)
    if not disputed:
        return ignored(f"the order is {order.status}")
    locked_license(session, order.license_id).upgrades_frozen = True
    return Outcome(OutcomeCode.DISPUTE_OPENED, "order disputed, upgrades frozen")


def close_dispute(session, order, won, settings, now):
    """A won dispute puts the order back to paid; a lost one is a refund."""
    order = locked_order(session, order)
    if not won:
        certificate = apply_full_refund(
            session, order, settings, now, "Dispute lost", certificate_reason="dispute_lost"
        )
        if certificate is None:
            return ignored(f"the order is {order.status}")
        return Outcome(OutcomeCode.DISPUTE_LOST, "dispute lost, order refunded")
    restored = move_order(session, order, OrderStatus.PAID, only_from=(OrderStatus.DISPUTED,))
    if not restored:
        return ignored(f"the order is {order.status}")
    license = locked_license(session, order.license_id)
    license.upgrades_frozen = _has_open_dispute(session, license.id)
    return Outcome(OutcomeCode.DISPUTE_WON, "dispute won, order paid again")


def settle_with_stripe(session, order, payment, settings, now):
    """Bring a pending order in line with its PaymentIntent as Stripe reports it now.

    For when the webhook is late or lost: the status page and ``flask
    billing reconcile`` retrieve the PaymentIntent and hand it here.
    """
    match payment.status:
        case PaymentStatus.SUCCEEDED:
            return fulfil_order(session, order, payment, settings, now)
        case PaymentStatus.REQUIRES_PAYMENT_METHOD | PaymentStatus.CANCELED:
            message = payment.decline_message or "The payment was not completed."
            if fail_order(session, order, message):
                return Outcome(OutcomeCode.ORDER_FAILED, "order failed")
            return Outcome(OutcomeCode.UNCHANGED, f"unchanged: the order is {order.status}")
        case status:
            return Outcome(OutcomeCode.WAITING, f"waiting: the payment is {status}")


def order_certificate(session, order):
    """The certificate that the payment of `order` issued, if it is paid."""
    return session.scalar(
        select(Certificate).where(
            Certificate.order_id == order.id, Certificate.reason.in_(FULFILMENT_REASONS)
        )
    )


def _add_accounts(session, order, settings, now):
    if order.license_id is None:
        license = new_license(
            session,
            order.user,
            kind=LicenseKind.PAID,
            accounts=order.accounts,
            now=now,
            support_days=settings.terms.support_days,
        )
        order.license_id = license.id
        return license, "purchase"
    license = locked_license(session, order.license_id)
    if license.kind == LicenseKind.TRIAL:
        # A converted trial keeps its code: the licensed accounts become the amount bought, no expiry.
        license.kind = LicenseKind.PAID
        license.accounts = order.accounts
        license.trial_expires_at = None
        license.support_until = max(
            license.support_until or now, now + timedelta(days=settings.terms.support_days)
        )
        return license, "trial_conversion"
    license.accounts += order.accounts
    return license, "upgrade"


def locked_order(session, order):
    """Lock ``order``'s row until commit and read it fresh: refunds, disputes and Stripe's reports of them
    take their turns on it, each seeing what the one before did.

    PostgreSQL locks the row (``SELECT ... FOR UPDATE``); SQLite has no row locks but admits one
    writer, so a write comes first there and what is read after it is current.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(id=Order.id)
            .execution_options(synchronize_session=False)
        )
    return session.execute(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    ).scalar_one()


def locked_license(session, license_id):
    """The license, read fresh and locked against concurrent changes until commit (PostgreSQL)."""
    return session.execute(
        select(License)
        .where(License.id == license_id)
        # Only the license row: PostgreSQL does not lock the outer join that loads its owner.
        .with_for_update(of=License)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _has_open_dispute(session, license_id):
    return session.scalar(
        select(exists().where(Order.license_id == license_id, Order.status == OrderStatus.DISPUTED))
    )


def _amount_mismatch(order, payment):
    if payment.amount == order.amount_cents and payment.currency.lower() == order.currency.lower():
        return None
    return (
        f"Payment {payment.id} is for {payment.amount} {payment.currency.upper()} (in cents), "
        f"the order for {order.amount_cents} {order.currency.upper()}: not fulfilled."
    )


def _already_settled(session, order, payment, settings, now):
    if order.stripe_payment_intent_id == payment.id and order.status in SETTLED:
        return ALREADY_FULFILLED
    if order.status not in (*SETTLED, OrderStatus.CANCELLED):
        return ALREADY_FULFILLED
    why = (
        f"payment {payment.id} succeeded after the order was cancelled"
        if order.status == OrderStatus.CANCELLED
        else f"payment {payment.id} succeeded after payment {order.stripe_payment_intent_id} paid the order"
    )
    if payment.amount_refunded >= payment.amount:
        return ignored("the extra payment is refunded")
    if settings.gateway is None:
        return flag_order(order, f"Paid twice: {why}. Refund one of them in Stripe.")
    return refund_extra_payment(session, order, payment, settings, why, now)


def refund_extra_payment(session, order, payment, settings, why, now, *, actor=None):  # noqa: PLR0913
    """Refund a payment the order does not need (paid twice, or paid after it was cancelled), once.

    Automatic (``actor`` None) when a path meets the extra payment, or asked by
    support with ``why`` as the reason. The attempt is claimed by the payment's
    id (unique) before Stripe is asked, and the idempotency key is the
    payment's own, so however many deliveries, pages, reconciles and agents
    meet it, one refund is made, one credit note issued, one flag written and
    one email sent. Raises ``GatewayError`` when Stripe cannot refund now.
    """
    claim = refund_claims.extra_claim(payment.id)
    if refund_claims.attempt_by_claim(session, claim) is not None:
        return ignored("the extra payment is refunded already")
    attempt = RefundAttempt(
        order_id=order.id,
        stripe_payment_intent_id=payment.id,
        kind=RefundKind.EXTRA,
        status=RefundStatus.APPLIED,
        claim=claim,
        idempotency_key=f"refund-extra-{payment.id}",
        amount_cents=payment.amount,
        reason=why,
        actor_id=actor.id if actor is not None else None,
        created_at=now,
        applied_at=now,
    )
    session.add(attempt)
    # A second delivery waits here for the first's commit, fails on the unique claim and, run again, finds it.
    session.flush()
    refund = settings.gateway.refund(
        payment.id,
        f"Extra payment for order {order.id} refunded",
        idempotency_key=attempt.idempotency_key,
    )
    attempt.stripe_refund_id = refund.id
    reason = (
        f"Extra payment {payment.id} refunded by support: {why}"
        if actor
        else (f"Extra payment refunded automatically: {why}.")
    )
    audit.record(
        actor,
        audit.AuditAction.ORDER_REFUND_EXTRA if actor else audit.AuditAction.ORDER_EXTRA_REFUND,
        order=order,
        reason=reason,
        payment=payment.id,
        amount_cents=payment.amount,
    )
    net, tax = invoices.credit_for_amount(order, payment.amount)
    credit_note = invoices.issue_credit_note(
        session,
        order,
        settings.terms,
        now,
        event=f"extra-{payment.id}",
        net_cents=net,
        tax_cents=tax,
        note=f"Extra payment {payment.id} for order #{order.id}, refunded in full.",
    )
    outbox.add(session, emails.extra_refund(order, payment, credit_note))
    return flag_order(order, reason, OutcomeCode.EXTRA_REFUNDED)


def flag_order(order, reason, code=OutcomeCode.FLAGGED):
    """Flag the order for support; every flag is kept, one line each, with its time."""
    order.flagged = True
    line = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {reason}"
    order.flag_reason = f"{order.flag_reason}\n{line}" if order.flag_reason else line
    return Outcome(code, f"flagged: {reason}")
