"""A private localstripe for the test session, and helpers that act like the browser and Stripe.

Import the fixtures into a conftest.py: ``from tests.support.localstripe import *``.
"""

import hashlib
import hmac
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.billing.gateway import StripeGateway
from tools.devserver import stop
from tools.localstripe_server import register_webhook

__all__ = [
    "LocalStripe",
    "WebhookInbox",
    "free_port",
    "gateway",
    "localstripe",
    "sign_webhook",
    "webhook_inbox",
]

LAUNCHER = Path(__file__).resolve().parents[2] / "tools" / "localstripe_server.py"
START_TIMEOUT_SECONDS = 15


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, made the way Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


@dataclass(frozen=True)
class LocalStripe:
    """A running localstripe: where it is, the keys it accepts, and browser-side helpers."""

    base_url: str
    secret_key: str = "sk_test_portal"
    publishable_key: str = "pk_test_portal"
    webhook_secret: str = "whsec_test_portal"

    @property
    def js_url(self) -> str:
        # localstripe's script finds its server from its own URL, which must end this way.
        return f"{self.base_url}/js.stripe.com/v3/"

    def register_webhook(self, url: str, *, webhook_id: str = "portal", secret: str | None = None):
        """Have localstripe sign (with ``webhook_secret``) and POST every event to ``url``."""
        register_webhook(self.base_url, url, secret or self.webhook_secret, webhook_id=webhook_id)

    def confirm_card_setup(self, client_secret: str, card_number: str) -> str:
        """Do what Stripe.js ``confirmCardSetup`` does with the card element; returns the PaymentMethod id.

        A card that needs 3-D Secure is confirmed a second time, as the
        "Complete authentication" button of localstripe's modal does.
        """
        setup_intent_id = client_secret.split("_secret_")[0]
        path = f"/v1/setup_intents/{setup_intent_id}/confirm"
        card = {"number": card_number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        body = {"key": self.publishable_key, "use_stripe_sdk": True, "client_secret": client_secret}
        intent = self._call(
            "POST", path, json_body={**body, "payment_method_data": {"type": "card", "card": card}}
        )
        if intent["status"] == "requires_action":
            intent = self._call("POST", path, json_body=body)
        assert intent["status"] == "succeeded", intent
        return intent["payment_method"]

    def complete_3d_secure(self, client_secret: str, *, success: bool = True) -> dict:
        """Do what Stripe.js ``confirmCardPayment`` does: answer the 3-D Secure challenge."""
        payment_intent_id = client_secret.split("_secret_")[0]
        path = f"/v1/payment_intents/{payment_intent_id}/_authenticate?success={str(success).lower()}"
        return self._call(
            "POST", path, json_body={"key": self.publishable_key, "client_secret": client_secret}
        )

    def api(self, path: str) -> dict:
        """GET a resource with the secret key, for checking what Stripe holds."""
        return self._call("GET", path, auth=True)

    def _call(self, method, path, *, json_body=None, auth=False):
        data, headers = None, {}
        if json_body is not None:
            data = json.dumps(json_body).encode()
        if auth:
            headers["Authorization"] = f"Bearer {self.secret_key}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from error
        return json.loads(text) if text else {}


def _wait_until_answering(process, base_url, log_path):
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"localstripe exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/js.stripe.com/v3/", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"localstripe did not answer within {START_TIMEOUT_SECONDS} s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """A localstripe of its own for this test session, on a free port, stopped at the end."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(process, base_url, log_path)
        yield LocalStripe(base_url=base_url)
    finally:
        stop(process)


@pytest.fixture
def gateway(localstripe):
    return StripeGateway(
        secret_key=localstripe.secret_key,
        api_base=localstripe.base_url,
        webhook_secret=localstripe.webhook_secret,
        max_network_retries=0,
    )


class WebhookInbox:
    """A tiny HTTP server that keeps every webhook delivery it receives."""

    def __init__(self):
        self.deliveries = []  # (monotonic arrival time, Stripe-Signature header, raw body)
        self._arrived = threading.Condition()
        inbox = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with inbox._arrived:
                    inbox.deliveries.append((time.monotonic(), self.headers.get("Stripe-Signature"), body))
                    inbox._arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/stripe"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, event_type, object_id, timeout=5.0):
        """The first delivery of ``event_type`` about ``object_id``: (arrival time, signature, body)."""

        def find():
            for delivery in self.deliveries:
                event = json.loads(delivery[2])
                if event["type"] == event_type and event["data"]["object"].get("id") == object_id:
                    return delivery
            return None

        with self._arrived:
            found = self._arrived.wait_for(find, timeout=timeout)
        assert found, f"no {event_type} for {object_id} within {timeout} s"
        return found

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook_inbox(localstripe, request):
    """An inbox registered on localstripe under this test's own webhook id."""
    inbox = WebhookInbox()
    localstripe.register_webhook(inbox.url, webhook_id=f"inbox-{abs(hash(request.node.nodeid))}")
    yield inbox
    inbox.close()
