"""Measure the Stripe webhook's answer time with an SMTP server that takes 2 s per message.

    .venv/bin/python tools/webhook_latency.py [N]

Posts N signed payment_intent.succeeded events (one per order) to a test app on a
SQLite file and prints p50 and p99; a worker thread sends the receipts meanwhile.
"""

import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.licensing import keystore  # noqa: E402
from app.models import Order, User  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from config import TestConfig  # noqa: E402
from tests.support.localstripe import sign_webhook  # noqa: E402
from tests.support.payments import succeeded_payload  # noqa: E402


class SlowSMTP:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(2)
        return "250 OK"


def main(count):
    folder = Path(tempfile.mkdtemp())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    smtp = Controller(SlowSMTP(), hostname="127.0.0.1", port=port)
    smtp.start()
    app = create_app(
        TestConfig(),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'portal.db'}",
        INSTANCE_DIR=folder,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
    )
    timings = []
    with app.app_context():
        upgrade()
        keystore.generate_key(db.session, TestConfig.LICENSE_KEY_SECRET, utcnow())
        user = User(
            email="buyer@example.com", role="customer", confirmed_at=utcnow(), stripe_customer_id="cus_1"
        )
        app.extensions["password_hasher"].set(user, "x" * 12)
        db.session.add(user)
        db.session.commit()
        worker = None
        if "queue" in app.extensions:
            from app import queue

            worker = queue.worker(app, workers=1, periodic=False)
            worker.start()
        client = app.test_client()
        for _ in range(count):
            order = Order(user=user, kind="new", accounts=25, packs=1, amount_cents=11250, currency="usd")
            order.stripe_payment_intent_id = f"pi_{uuid.uuid4().hex[:14]}"
            order.payment_attempted_at = utcnow()
            db.session.add(order)
            db.session.commit()
            payload = succeeded_payload(order)
            signature = sign_webhook(payload, app.config["STRIPE_WEBHOOK_SECRET"])
            started = time.perf_counter()
            headers = {"Stripe-Signature": signature}
            response = client.post(
                "/webhooks/stripe", data=payload, content_type="application/json", headers=headers
            )
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)
            assert json.loads(response.get_data())["outcome"] == "fulfilled"
        if worker:
            worker.stop()
    smtp.stop()
    cuts = statistics.quantiles(timings, n=100)
    print(f"{count} webhooks: p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
