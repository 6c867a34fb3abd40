"""Refunds asked by support: in full (or the rest after a partial refund), or by whole packs.

Stripe first, then the license. The order changes only once Stripe has accepted the refund; a refusal leaves
everything as it was. The idempotency key makes a repeated click, or two agents
at once, one refund at Stripe, and applying it to the license happens once
(Stripe's later ``charge.refunded`` event finds the order already refunded).
"""

from app import audit, outbox
from app.billing import emails
from app.billing.fulfilment import apply_full_refund, credit_partial_refund, locked_license, locked_order
from app.billing.invoices import credit_for_packs
from app.exceptions import PortalError
from app.licensing.issuing import issue_next_certificate
from app.models import OrderStatus


class RefundError(PortalError):
    pass


def refund_order(session, order, actor, *, reason, gateway, settings, now):
    """Refund ``order`` in full through ``gateway``; returns the license's new certificate.

    Raises GatewayError, with Stripe's message, when Stripe refuses: nothing has changed then.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Give a reason for the refund (for staff: the customer is told only the amount).")
    order = locked_order(session, order)
    if order.status != OrderStatus.PAID or not order.stripe_payment_intent_id:
        raise RefundError(f"Order #{order.id} is {order.status}: only a paid order can be refunded.")
    already = order.refunded_cents
    if already >= order.amount_cents:
        raise RefundError(f"Order #{order.id} is refunded in full already at Stripe.")
    # After a partial refund, what is left of the payment; the key names it, so a repeated click refunds once.
    refund = gateway.refund(
        order.stripe_payment_intent_id,
        reason,
        idempotency_key=f"refund-{order.id}-{order.stripe_payment_intent_id}"
        + (f"-{already}" if already else ""),
        amount_cents=order.amount_cents - already if already else None,
    )
    certificate = apply_full_refund(session, order, settings, now, reason)
    if certificate is None:
        raise RefundError(f"Order #{order.id} was {order.status} meanwhile: nothing more was done.")
    audit.record(
        actor,
        audit.AuditAction.ORDER_REFUND,
        order=order,
        license=order.license,
        reason=reason,
        amount_cents=refund.amount,
        stripe_refund=refund.id,
        serial=certificate.serial,
    )
    return certificate


def packs_refund_cents(order, packs):
    """What refunding ``packs`` of the order's packs pays back, tax included: the credit note's total."""
    net, tax = credit_for_packs(order, packs)
    return net + tax


def refundable_packs(order):
    """How many of the order's packs a partial refund may still take: all but one not yet refunded."""
    if order.packs <= 0:
        return 0
    pack_cents = packs_refund_cents(order, 1)
    refunded = order.refunded_cents // pack_cents if pack_cents else 0
    return max(0, order.packs - refunded - 1)


def refund_packs(session, order, actor, *, packs, reason, gateway, settings, now):
    """Refund ``packs`` whole packs of a paid order at Stripe, take their accounts off the license,
    issue the new certificate and email the customer (the amount and accounts, not ``reason``).

    The order stays paid with what is left; at least one pack stays (a full refund takes all).
    Stripe refuses (GatewayError) before anything changes; the idempotency key names the packs
    refunded so far, so a repeated click refunds once.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Give a reason for the refund (for staff: the customer is told only the amount).")
    order = locked_order(session, order)
    if order.status != OrderStatus.PAID or not order.stripe_payment_intent_id:
        raise RefundError(f"Order #{order.id} is {order.status}: only a paid order can be refunded.")
    most = refundable_packs(order)
    if not isinstance(packs, int) or packs < 1:
        raise RefundError("Enter how many whole packs to refund, 1 or more.")
    if packs > most:
        raise RefundError(
            f"Order #{order.id} can have at most {most} pack{'s' if most != 1 else ''} refunded this way"
            " (one pack stays): use Refund in full to refund the whole order."
            if most
            else f"Order #{order.id} has no pack left to refund by packs: use Refund in full."
        )
    pack_accounts = order.accounts // order.packs
    net, tax = credit_for_packs(order, packs)
    amount = net + tax
    already = order.refunded_cents
    refund = gateway.refund(
        order.stripe_payment_intent_id,
        reason,
        idempotency_key=f"partial-refund-{order.id}-{already}-{amount}",
        amount_cents=amount,
    )
    license = locked_license(session, order.license_id)
    removed = packs * pack_accounts
    license.accounts = max(0, license.accounts - removed)
    # An absolute total: Stripe's charge.refunded for this refund, if it came first, wrote the same.
    order.refunded_cents = already + amount
    order.refunded_accounts += removed
    order.flagged, order.flag_reason = False, None
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
        actor,
        audit.AuditAction.ORDER_PARTIAL_REFUND,
        order=order,
        license=license,
        reason=reason,
        amount_cents=refund.amount,
        packs=packs,
        accounts_removed=removed,
        stripe_refund=refund.id,
        serial=certificate.serial,
    )
    return certificate
