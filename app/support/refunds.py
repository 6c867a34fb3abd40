"""Refunds asked by support: in full (or the rest after a partial refund), or by whole packs.

Each refund is an attempt claimed before Stripe is asked (``app.billing.refund_claims``), for the
state of the order the agent saw: a repeated click, or two agents at once, drive one attempt and
make one refund at Stripe. The order changes only once Stripe has accepted the refund, once,
whether the console or Stripe's ``charge.refunded`` applies it first; a refusal leaves everything
as it was.
"""

from sqlalchemy.orm import object_session

from app.billing import refund_claims, refunding
from app.billing.fulfilment import locked_order
from app.billing.invoices import credit_for_packs
from app.exceptions import PortalError
from app.models import OrderStatus, RefundKind


class RefundError(PortalError):
    pass


def refund_order(session, order, actor, *, reason, gateway, settings, now, refunded_before=None):  # noqa: PLR0913
    """Refund ``order`` in full through ``gateway``; returns the license's new certificate.

    ``refunded_before`` is what the agent saw refunded already (the order page sends it): the
    attempt is claimed for that state, so a second click, or another agent on the same page,
    drives the same attempt instead of refunding again. Raises GatewayError, with Stripe's
    message, when Stripe refuses: nothing has changed then.
    """
    reason = _reason(reason)
    order = locked_order(session, order)
    attempt = refund_claims.attempt_by_claim(session, _claim(order, refunded_before))
    if attempt is None:
        if order.status != OrderStatus.PAID or not order.stripe_payment_intent_id:
            raise RefundError(f"Order #{order.id} is {order.status}: only a paid order can be refunded.")
        already = _unchanged_since(order, refunded_before)
        if already >= order.amount_cents:
            raise RefundError(f"Order #{order.id} is refunded in full already at Stripe.")
        attempt = _claim_attempt(
            session,
            order,
            actor,
            refunded_before,
            kind=RefundKind.FULL,
            amount=order.amount_cents - already,
            reason=reason,
            now=now,
        )
    _same_request(order, attempt, RefundKind.FULL, None)
    return _certificate_of(order, refunding.drive_attempt(session, attempt, gateway, settings, now))


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


def refund_packs(session, order, actor, *, packs, reason, gateway, settings, now, refunded_before=None):  # noqa: PLR0913
    """Refund ``packs`` whole packs of a paid order at Stripe, take their accounts off the license,
    issue the new certificate and email the customer (the amount and accounts, not ``reason``).

    The order stays paid with what is left; at least one pack stays (a full refund takes all).
    Stripe refuses (GatewayError) before anything changes; the attempt is claimed for the state
    the agent saw (``refunded_before``), so a repeated click makes one refund.
    """
    reason = _reason(reason)
    order = locked_order(session, order)
    attempt = refund_claims.attempt_by_claim(session, _claim(order, refunded_before))
    if attempt is None:
        if order.status != OrderStatus.PAID or not order.stripe_payment_intent_id:
            raise RefundError(f"Order #{order.id} is {order.status}: only a paid order can be refunded.")
        _unchanged_since(order, refunded_before)
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
        attempt = _claim_attempt(
            session,
            order,
            actor,
            refunded_before,
            kind=RefundKind.PACKS,
            amount=packs_refund_cents(order, packs),
            reason=reason,
            now=now,
            packs=packs,
        )
    _same_request(order, attempt, RefundKind.PACKS, packs)
    return _certificate_of(order, refunding.drive_attempt(session, attempt, gateway, settings, now))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Give a reason for the refund (for staff: the customer is told only the amount).")
    return reason


def _claim(order, refunded_before):
    return refund_claims.claim_for(
        order, order.refunded_cents if refunded_before is None else refunded_before
    )


def _unchanged_since(order, refunded_before):
    """What the order has refunded, if that is what the agent saw; else the page was out of date."""
    if refunded_before is not None and refunded_before != order.refunded_cents:
        raise RefundError(
            f"Order #{order.id} changed since this page was shown (another refund was made):"
            " look at the order again."
        )
    return order.refunded_cents


def _claim_attempt(session, order, actor, refunded_before, *, kind, amount, reason, now, packs=None):  # noqa: PLR0913
    attempt = refund_claims.claim_refund(
        session,
        order,
        kind=kind,
        claim=_claim(order, refunded_before),
        amount_cents=amount,
        reason=reason,
        actor=actor,
        now=now,
        packs=packs,
    )
    if attempt is None:
        raise RefundError(f"Another refund of order #{order.id} was just refused by Stripe: try again.")
    return attempt


def _same_request(order, attempt, kind, packs):
    """A second click drives the first click's attempt; a different refund from the same page is refused."""
    if attempt.kind != kind or attempt.packs != packs:
        raise RefundError(
            f"Another refund of order #{order.id} was made from the same page meanwhile"
            " (by another agent, or another form): look at the order again."
        )


def _certificate_of(order, certificate):
    """The certificate the refund issued; when Stripe's report (or another click) applied it first, the
    license's current one."""
    if certificate is not None:
        return certificate
    object_session(order).refresh(order)
    return order.license.current_certificate
