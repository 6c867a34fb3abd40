"""The Stripe gateway against a real localstripe."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.billing.gateway import GatewayError, InvalidWebhook, PaymentInfo, PaymentStatus, StripeGateway
from tests.support.localstripe import free_port, sign_webhook
from tests.support.payments import DECLINED_CARD, NEEDS_3D_SECURE, VISA, stripe_event

ONE_PACK_CENTS = 11250


@pytest.fixture
def customer_id(gateway):
    return gateway.create_customer("buyer@example.com", user_id=7)


@pytest.fixture
def pay(gateway, localstripe, customer_id):
    """Pay for an order with a card, the way the order page does: SetupIntent, then PaymentIntent."""

    def pay(card_number=VISA, *, order_id=42, idempotency_key=None, payment_method_id=None):
        if payment_method_id is None:
            setup = gateway.create_setup_intent(customer_id)
            payment_method_id = localstripe.confirm_card_setup(setup.client_secret, card_number)
        return gateway.create_payment(
            order_id=order_id,
            amount_cents=ONE_PACK_CENTS,
            currency="usd",
            customer_id=customer_id,
            payment_method_id=payment_method_id,
            idempotency_key=idempotency_key or f"order-{order_id}-{payment_method_id}",
        )

    return pay


def test_create_customer_keeps_email_and_user_id(gateway, localstripe):
    customer_id = gateway.create_customer("buyer@example.com", user_id=7)

    customer = localstripe.api(f"/v1/customers/{customer_id}")
    assert customer_id.startswith("cus_")
    assert (customer["email"], customer["metadata"]) == ("buyer@example.com", {"user_id": "7"})


def test_setup_intent_gives_the_browser_a_client_secret(gateway, customer_id):
    setup = gateway.create_setup_intent(customer_id)

    assert setup.id.startswith("seti_")
    assert setup.client_secret.startswith(f"{setup.id}_secret_")


def test_card_payment_succeeds_with_card_details(pay, customer_id):
    payment = pay(VISA)

    assert payment.id.startswith("pi_")
    assert payment == PaymentInfo(
        id=payment.id,
        status="succeeded",
        client_secret=payment.client_secret,
        amount=ONE_PACK_CENTS,
        currency="usd",
        card_brand="visa",
        card_last4="4242",
        decline_message=None,
        amount_refunded=0,
        order_id="42",
        customer_id=customer_id,
        charge_id=payment.charge_id,
    )
    assert payment.charge_id.startswith("ch_")


def test_payment_carries_the_order_id(pay, localstripe):
    payment = pay(VISA, order_id=1234)

    assert localstripe.api(f"/v1/payment_intents/{payment.id}")["metadata"] == {"order_id": "1234"}


def test_declined_card_comes_back_with_stripes_message(pay):
    payment = pay(DECLINED_CARD)

    assert payment.status == PaymentStatus.DECLINED
    assert payment.decline_message == "Your card was declined."
    assert payment.amount == ONE_PACK_CENTS


def test_card_needing_3d_secure_waits_for_the_browser(pay):
    payment = pay(NEEDS_3D_SECURE)

    assert payment.status == "requires_action"
    assert payment.client_secret.startswith(f"{payment.id}_secret_")


def test_payment_succeeds_once_the_browser_completes_3d_secure(pay, gateway, localstripe):
    payment = pay(NEEDS_3D_SECURE)

    localstripe.complete_3d_secure(payment.client_secret)

    assert gateway.retrieve_payment(payment.id).status == "succeeded"


def test_failed_3d_secure_leaves_the_payment_unpaid_with_a_message(pay, gateway, localstripe):
    payment = pay(NEEDS_3D_SECURE)

    localstripe.complete_3d_secure(payment.client_secret, success=False)

    retrieved = gateway.retrieve_payment(payment.id)
    assert retrieved.status == "requires_payment_method"
    assert retrieved.decline_message == "The provided PaymentMethod has failed authentication."


def test_same_idempotency_key_charges_once(pay, localstripe, customer_id):
    key = f"order-99-{uuid.uuid4()}"
    first = pay(VISA, order_id=99, idempotency_key=key)

    second = pay(
        VISA, order_id=99, idempotency_key=key, payment_method_id=_payment_method_of(localstripe, first)
    )

    assert second.id == first.id
    charges = localstripe.api(f"/v1/charges?customer={customer_id}")["data"]
    assert [charge["payment_intent"] for charge in charges] == [first.id]


def test_reusing_an_idempotency_key_for_another_payment_is_refused(pay):
    key = f"order-98-{uuid.uuid4()}"
    pay(VISA, order_id=98, idempotency_key=key)

    with pytest.raises(GatewayError, match="Keys for idempotent requests"):
        pay(VISA, order_id=97, idempotency_key=key)


def test_retrieve_payment_matches_the_payment(pay, gateway):
    payment = pay(VISA)

    assert gateway.retrieve_payment(payment.id) == payment


def test_retrieve_unknown_payment_raises_gateway_error(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.retrieve_payment("pi_unknown")

    assert (caught.value.message, caught.value.http_status, caught.value.retryable) == (
        "Not Found",
        404,
        False,
    )


def test_refund_of_a_succeeded_payment(pay, gateway, localstripe):
    payment = pay(VISA)

    refund = gateway.refund(payment.id, "Customer bought the wrong amount")

    assert refund.id.startswith("re_")
    assert (refund.status, refund.amount) == ("succeeded", ONE_PACK_CENTS)
    stored = localstripe.api(f"/v1/refunds/{refund.id}")
    assert (stored["payment_intent"], stored["metadata"]) == (
        payment.id,
        {"reason": "Customer bought the wrong amount"},
    )


def test_refund_with_the_same_key_refunds_once(pay, gateway):
    payment = pay(VISA)

    first = gateway.refund(payment.id, "duplicate order", idempotency_key=f"refund-{payment.id}")
    second = gateway.refund(payment.id, "duplicate order", idempotency_key=f"refund-{payment.id}")

    assert second.id == first.id


def test_refund_of_an_unknown_payment_raises_stripes_message(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.refund("pi_unknown", "test")

    assert (caught.value.message, caught.value.http_status) == ("Not Found", 404)


def test_refund_of_an_unpaid_payment_raises_stripes_message(pay, gateway, localstripe):
    payment = pay(NEEDS_3D_SECURE)
    localstripe.complete_3d_secure(payment.client_secret, success=False)

    with pytest.raises(GatewayError, match="Cannot refund a failed payment."):
        gateway.refund(payment.id, "test")


def test_unreachable_stripe_raises_a_retryable_gateway_error():
    gateway = StripeGateway(
        secret_key="sk_test_portal",
        api_base=f"http://127.0.0.1:{free_port()}",
        max_network_retries=0,
        timeout_seconds=2,
    )

    with pytest.raises(GatewayError) as caught:
        gateway.create_customer("buyer@example.com", user_id=7)

    assert caught.value.retryable


def _event(event_type="payment_intent.succeeded"):
    intent = {"id": "pi_test", "object": "payment_intent", "metadata": {"order_id": "42"}}
    return stripe_event(event_type, intent, event_id="evt_test")


def test_parse_webhook_accepts_a_stripe_signature(gateway, localstripe):
    payload = json.dumps(_event()).encode()

    event = gateway.parse_webhook(payload, sign_webhook(payload, localstripe.webhook_secret))

    assert event == _event()


@pytest.mark.parametrize(
    "signature",
    [
        sign_webhook(b"{}", "whsec_test_portal"),
        sign_webhook(json.dumps(_event()).encode(), "whsec_someone_else"),
        sign_webhook(json.dumps(_event()).encode(), "whsec_test_portal", timestamp=int(time.time()) - 3600),
        "",
        "t=1,v1=nonsense",
    ],
    ids=["other-payload", "other-secret", "too-old", "empty", "garbage"],
)
def test_parse_webhook_refuses_a_bad_signature(gateway, signature):
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(json.dumps(_event()).encode(), signature)


def test_parse_webhook_refuses_a_signed_body_that_is_not_json(gateway, localstripe):
    payload = b"not json"

    with pytest.raises(InvalidWebhook, match="Unreadable"):
        gateway.parse_webhook(payload, sign_webhook(payload, localstripe.webhook_secret))


def test_parse_webhook_without_a_secret_is_a_portal_fault(localstripe):
    gateway = StripeGateway(secret_key=localstripe.secret_key, api_base=localstripe.base_url)
    payload = json.dumps(_event()).encode()

    with pytest.raises(GatewayError):
        gateway.parse_webhook(payload, sign_webhook(payload, localstripe.webhook_secret))


def test_succeeded_webhook_arrives_signed_after_a_payment(pay, gateway, webhook_inbox):
    paid_at = time.monotonic()
    payment = pay(VISA, order_id=555)

    arrived_at, signature, body = webhook_inbox.wait_for("payment_intent.succeeded", payment.id)

    event = gateway.parse_webhook(body, signature)
    intent = event["data"]["object"]
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", ONE_PACK_CENTS, "usd")
    assert intent["metadata"] == {"order_id": "555"}
    assert arrived_at - paid_at < 3, f"arrived after {arrived_at - paid_at:.2f} s"


def test_payment_failed_webhook_arrives_after_a_decline(
    pay, gateway, customer_id, webhook_inbox, localstripe
):
    payment = pay(DECLINED_CARD, order_id=556)
    assert payment.id is None  # localstripe does not name the PaymentIntent in its 402
    intent_id = localstripe.api(f"/v1/charges?customer={customer_id}")["data"][0]["payment_intent"]

    _, signature, body = webhook_inbox.wait_for("payment_intent.payment_failed", intent_id)

    intent = gateway.parse_webhook(body, signature)["data"]["object"]
    assert intent["metadata"] == {"order_id": "556"}
    assert intent["last_payment_error"]["message"] == "Your card was declined."


def _payment_method_of(localstripe, payment):
    return localstripe.api(f"/v1/payment_intents/{payment.id}")["payment_method"]


def test_cancel_a_payment_waiting_for_3d_secure(pay, gateway, localstripe):
    payment = pay(NEEDS_3D_SECURE)

    cancelled = gateway.cancel_payment(payment.id)

    assert cancelled.status == "canceled"
    assert localstripe.api(f"/v1/payment_intents/{payment.id}")["status"] == "canceled"


def test_a_succeeded_payment_cannot_be_cancelled(pay, gateway):
    payment = pay(VISA)

    with pytest.raises(GatewayError):
        gateway.cancel_payment(payment.id)
    assert gateway.retrieve_payment(payment.id).status == "succeeded"


def test_recent_order_payments_lists_the_payments_of_orders_since_a_time(pay, gateway, customer_id):
    first, second = pay(VISA, order_id=7), pay(VISA, order_id=8)

    found = gateway.recent_order_payments(datetime.now(UTC) - timedelta(minutes=5))
    later = gateway.recent_order_payments(datetime.now(UTC) + timedelta(minutes=5))

    assert {(p.id, p.order_id, p.status, p.customer_id) for p in found} >= {
        (first.id, "7", "succeeded", customer_id),
        (second.id, "8", "succeeded", customer_id),
    }
    assert later == []
