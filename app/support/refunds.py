"""A full refund of a paid order, asked by support: Stripe first, then the license.

The order changes only once Stripe has accepted the refund; a refusal leaves
everything as it was. The idempotency key makes a repeated click, or two agents
at once, one refund at Stripe, and applying it to the license happens once
(Stripe's later ``charge.refunded`` event finds the order already refunded).
"""

from app import audit
from app.billing.fulfilment import apply_full_refund
from app.exceptions import PortalError
from app.models import OrderStatus


class RefundError(PortalError):
    pass


def refund_order(session, order, actor, *, reason, gateway, settings, now):
    """Refund ``order`` in full through ``gateway``; returns the license's new certificate.

    Raises GatewayError, with Stripe's message, when Stripe refuses: nothing has changed then.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Give a reason for the refund: the customer receives it.")
    if order.status != OrderStatus.PAID or not order.stripe_payment_intent_id:
        raise RefundError(f"Order #{order.id} is {order.status}: only a paid order can be refunded.")
    refund = gateway.refund(
        order.stripe_payment_intent_id,
        reason,
        idempotency_key=f"refund-{order.id}-{order.stripe_payment_intent_id}",
    )
    certificate = apply_full_refund(session, order, settings, now, reason)
    if certificate is None:
        raise RefundError(f"Order #{order.id} was {order.status} meanwhile: nothing more was done.")
    audit.record(
        actor,
        "order.refund",
        order=order,
        license=order.license,
        reason=reason,
        amount_cents=refund.amount,
        stripe_refund=refund.id,
        serial=certificate.serial,
    )
    return certificate
