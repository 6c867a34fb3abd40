"""The portal's only door to Stripe (and to localstripe, which stands in for it).

Everything that leaves this module is a plain value: ids, small frozen
dataclasses and, for webhooks, the event as a dict. Stripe's own objects and
exceptions stay inside.

A card decline is an ordinary outcome of paying, not a failure of the portal:
``create_payment`` returns it as ``PaymentInfo(status=PaymentStatus.DECLINED)`` carrying
Stripe's message for the customer. ``GatewayError`` means Stripe refused a
request or could not be reached.
"""

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import stripe

from app.exceptions import PortalError


class PaymentStatus(StrEnum):
    """A PaymentIntent's status: Stripe's names, and ``DECLINED`` for a card refused while paying."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: the browser finishes it with the client secret
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"  # the portal's own: Stripe answers a decline with an error, not a status


class DisputeStatus(StrEnum):
    """A dispute's status as Stripe names it; a closed dispute is won, warning-closed or lost."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"  # an inquiry closed without a chargeback: the money stays
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


_EXPAND_CARD = ["latest_charge", "payment_method"]
_METADATA_VALUE_LIMIT = 500
REFUND_ATTEMPT = "refund_attempt"
"""The metadata key naming the portal's refund attempt on a Stripe refund."""


class GatewayError(PortalError):
    """Stripe refused a request, failed, or could not be reached.

    ``message`` is Stripe's; ``retryable`` is true for failures that may pass
    on a later attempt (network, rate limit, conflict, 5xx).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        retryable: bool = False,
    ):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable


class InvalidWebhook(PortalError, ValueError):
    """A webhook delivery whose signature or body does not hold up; answer 400.

    Deliberately not a ``GatewayError``: it is bad input from outside, not a
    failure of the portal that Stripe should retry.
    """


@dataclass(frozen=True)
class SetupIntentInfo:
    id: str
    client_secret: str


@dataclass(frozen=True)
class PaymentInfo:
    """A PaymentIntent as the portal needs it.

    ``status`` is one of ``PaymentStatus``, kept as Stripe's string (a status
    Stripe adds one day passes through and matches none). ``id`` is
    None for a decline when Stripe does not name the PaymentIntent (localstripe
    never does). ``client_secret`` is what the browser needs to finish 3-D
    Secure. ``decline_message`` is Stripe's words for the customer.
    """

    id: str | None
    status: str
    client_secret: str | None
    amount: int
    currency: str
    card_brand: str | None = None
    card_last4: str | None = None
    decline_message: str | None = None
    amount_refunded: int = 0
    order_id: str | None = None
    """The ``order_id`` in the PaymentIntent's metadata: every payment the portal makes carries it."""
    customer_id: str | None = None
    charge_id: str | None = None
    """The payment's latest charge (``ch_...``), once it has one."""


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str
    amount: int


class StripeGateway:
    """Stripe's API, reduced to what the portal does with it.

    ``api_base`` None means the real Stripe; localstripe is e.g.
    "http://127.0.0.1:8420". One network retry covers a dropped connection
    or a passing 5xx without the slow default of two, and it is safe: every
    POST carries an idempotency key, which the retry reuses.
    """

    def __init__(
        self,
        *,
        secret_key: str,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        max_network_retries: int = 1,
        timeout_seconds: float = 30.0,
    ):
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )

    def create_customer(self, email: str, user_id: int | str) -> str:
        """Create the Stripe Customer for a portal user; returns its id."""
        with _stripe_errors():
            customer = self._client.v1.customers.create(
                params={"email": email, "metadata": {"user_id": str(user_id)}}
            )
        return customer.id

    def create_setup_intent(self, customer_id: str) -> SetupIntentInfo:
        """A SetupIntent for the browser's ``confirmCardSetup`` to collect a card."""
        with _stripe_errors():
            intent = self._client.v1.setup_intents.create(
                params={
                    "customer": customer_id,
                    "payment_method_types": ["card"],
                    "usage": "on_session",
                }
            )
        return SetupIntentInfo(id=intent.id, client_secret=intent.client_secret)

    def create_payment(
        self,
        *,
        order_id: int | str,
        amount_cents: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        idempotency_key: str,
    ) -> PaymentInfo:
        """Create and confirm a PaymentIntent charging the card for an order.

        Derive ``idempotency_key`` from the order *and* the payment method
        (e.g. "order-17-pm_123"): a repeated submission with the same card then
        gets the first answer back instead of a second charge, while another
        card after a decline is a new attempt. Stripe keeps keys for a day and
        refuses a key reused with other parameters (``GatewayError``).
        """
        params = {
            "amount": amount_cents,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"order_id": str(order_id)},
            "expand": _EXPAND_CARD,
        }
        with _stripe_errors():
            try:
                intent = self._client.v1.payment_intents.create(
                    params=params, options={"idempotency_key": idempotency_key}
                )
            except stripe.CardError as declined:
                return _declined_payment(declined, amount_cents, currency)
        return self._payment_info(intent.to_dict())

    def retrieve_payment(self, payment_intent_id: str) -> PaymentInfo:
        """The PaymentIntent as it stands now (for the status page and reconcile)."""
        with _stripe_errors():
            intent = self._client.v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": _EXPAND_CARD}
            )
        return self._payment_info(intent.to_dict())

    def recent_order_payments(
        self, since: datetime, page_size: int = 100, pages: int = 10
    ) -> list[PaymentInfo]:
        """The PaymentIntents created since ``since`` that name an order in their metadata (``order_id``).

        For payments whose id the portal never saved (a crash, a lost webhook). One listing of the
        account's PaymentIntents, bounded by time and by ``pages``: Stripe lists the newest first, so
        it stops at the first page older than ``since`` (the ``created`` filter is not used: not
        every Stripe-compatible server takes it). Charges and cards are not expanded: the caller
        retrieves the few it does not know.
        """
        found, after = [], None
        for _ in range(pages):
            params = {"limit": page_size} | ({"starting_after": after} if after else {})
            with _stripe_errors():
                listed = self._client.v1.payment_intents.list(params=params)
            intents = [intent.to_dict() for intent in listed.data]
            recent = [
                i for i in intents if isinstance(i.get("created"), int) and i["created"] >= since.timestamp()
            ]
            found += [payment_info(i) for i in recent if (i.get("metadata") or {}).get("order_id")]
            if not listed.has_more or not intents or not recent:
                break
            after = intents[-1]["id"]
        return found

    def cancel_payment(self, payment_intent_id: str) -> PaymentInfo:
        """Cancel a PaymentIntent that has not charged (e.g. waiting for 3-D Secure).

        Stripe refuses to cancel one that succeeded or is processing
        (``GatewayError``); the caller then retrieves it to see what it became.
        """
        with _stripe_errors():
            intent = self._client.v1.payment_intents.cancel(payment_intent_id)
        return self._payment_info(intent.to_dict())

    def refund(
        self,
        payment_intent_id: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
        amount_cents: int | None = None,
        attempt: int | None = None,
    ) -> RefundInfo:
        """Refund a payment, in full or ``amount_cents`` of it; ``reason`` (free text) goes into its metadata.

        Stripe's own ``reason`` field takes only three fixed values, and
        localstripe refuses it altogether, so the portal's words travel as
        metadata. Pass ``idempotency_key`` (e.g. "refund-order-17") so that a
        repeated click cannot refund twice. ``attempt`` (the portal's refund attempt)
        travels in the metadata too, so Stripe's ``charge.refunded`` names it.
        """
        params = {"payment_intent": payment_intent_id}
        if amount_cents is not None:
            params["amount"] = amount_cents
        if reason:
            params["metadata"] = {"reason": reason[:_METADATA_VALUE_LIMIT]}
        if attempt is not None:
            params.setdefault("metadata", {})[REFUND_ATTEMPT] = str(attempt)
        options = {"idempotency_key": idempotency_key} if idempotency_key else None
        with _stripe_errors():
            refund = self._client.v1.refunds.create(params=params, options=options)
        return RefundInfo(id=refund.id, status=refund.status, amount=refund.amount)

    def parse_webhook(self, payload: bytes, sig_header: str | None) -> dict:
        """Check a webhook delivery's signature and return the event as a dict.

        ``payload`` must be the raw request body, byte for byte. Raises
        ``InvalidWebhook`` for a bad signature or body, ``GatewayError`` when
        no signing secret is configured (a portal fault: Stripe should retry).
        """
        if not self._webhook_secret:
            raise GatewayError("No Stripe webhook signing secret is configured.")
        _refuse_future_timestamp(sig_header, time.time())
        try:
            # The signature alone: construct_event would also build a StripeObject only to drop it.
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text, sig_header, self._webhook_secret, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
            )
            event = json.loads(text)
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(error.user_message or "Bad signature.") from error
        except (ValueError, RecursionError) as error:
            raise InvalidWebhook(f"Unreadable webhook body: {type(error).__name__}") from error
        if not isinstance(event, dict) or "type" not in event:
            raise InvalidWebhook("The webhook body is not a Stripe event.")
        return event

    def _payment_info(self, intent: dict) -> PaymentInfo:
        if _card_of(intent) == (None, None) and isinstance(intent.get("payment_method"), str):
            # Stripe puts the card on the charge; localstripe's charge has none, so ask for the PaymentMethod.
            with _stripe_errors():
                method = self._client.v1.payment_methods.retrieve(intent["payment_method"]).to_dict()
            intent = {**intent, "payment_method": method}
        return payment_info(intent)


def payment_info(intent: dict) -> PaymentInfo:
    """The portal's value of a PaymentIntent (a dict, as the API answers it or a webhook event carries it).

    The one mapping for every path. A related object may be an id or expanded:
    Stripe sends ``latest_charge`` as an id in events, localstripe expands it.
    """
    brand, last4 = _card_of(intent)
    charge = intent.get("latest_charge")
    customer = intent.get("customer")
    return PaymentInfo(
        id=intent["id"],
        status=intent["status"],
        client_secret=intent.get("client_secret"),
        amount=intent["amount"],
        currency=intent["currency"],
        card_brand=brand,
        card_last4=last4,
        decline_message=(intent.get("last_payment_error") or {}).get("message"),
        amount_refunded=(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0,
        order_id=(intent.get("metadata") or {}).get("order_id"),
        customer_id=customer.get("id") if isinstance(customer, dict) else customer,
        charge_id=charge.get("id") if isinstance(charge, dict) else charge,
    )


def _card_of(intent: dict) -> tuple[str | None, str | None]:
    """The card's brand and last four digits, from the expanded charge or else the expanded PaymentMethod."""
    charge = intent.get("latest_charge")
    card = (charge.get("payment_method_details") or {}).get("card") if isinstance(charge, dict) else None
    if not card and isinstance(method := intent.get("payment_method"), dict):
        card = method.get("card")
    card = card or {}
    return card.get("brand"), card.get("last4")


def _declined_payment(declined: stripe.CardError, amount_cents: int, currency: str) -> PaymentInfo:
    body = declined.json_body if isinstance(declined.json_body, dict) else {}
    error = body.get("error") or {}
    # Real Stripe names the failed PaymentIntent and the card in the error.
    intent = error.get("payment_intent") or {}
    card = (error.get("payment_method") or {}).get("card") or {}
    return PaymentInfo(
        id=intent.get("id"),
        status=PaymentStatus.DECLINED,
        client_secret=None,
        amount=amount_cents,
        currency=currency,
        card_brand=card.get("brand"),
        card_last4=card.get("last4"),
        decline_message=declined.user_message or "Your card was declined.",
    )


@contextmanager
def _stripe_errors():
    """Turn Stripe's exceptions into the portal's."""
    try:
        yield
    except stripe.StripeError as error:
        status = error.http_status
        raise GatewayError(
            error.user_message or "Stripe could not be reached.",
            code=error.code,
            http_status=status,
            retryable=(
                isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError))
                or (status is not None and (status >= 500 or status == 409))
            ),
        ) from error


# Stripe's own tolerance for a signature's age; a signature from the future is refused alike.
WEBHOOK_TOLERANCE = 300


def _refuse_future_timestamp(sig_header, now):
    """construct_event refuses old signatures only: a timestamp ahead of the clock is refused here."""
    for part in (sig_header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise InvalidWebhook("The signature's timestamp is not a number.")
            if int(value) > now + WEBHOOK_TOLERANCE:
                raise InvalidWebhook("The signature's timestamp is outside the tolerance zone.")
