"""Measured inside one process: SQL statements per page, the console's lists by size, the extractor."""

import contextvars
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select, text

from app.extensions import db
from app.models import AuditEntry, License, Order, SignInSession, User
from bench import events, seed

ROOT = seed.ROOT
CONSOLE_SAMPLES = 9
JSON = "application/json"
WEBHOOK = "Webhook (payment_intent.succeeded)"


@contextmanager
def signed_in(app, email, role="customer"):
    """A test client whose session cookie belongs to ``email`` (a server-side session row exists)."""
    user = db.session.scalar(select(User).where(User.email == email))
    if role != "customer":
        user.role = role
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", datetime.now(UTC)
    row = SignInSession(user_id=user.id, device="bench")
    db.session.add(row)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}:{row.key}"
        session["_fresh"] = True
    yield client, user


def isolated(call):
    """The status of ``call()`` (a test client request) run in a context of its own, as in production."""
    status = contextvars.Context().run(lambda: call().status_code)
    db.session.rollback()
    return status


def get(client, url):
    return isolated(lambda: client.get(url))


def statements(call):
    """(statements, status) of one request."""
    seen = []

    def count(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        status = isolated(call)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), status


def webhook_statements(app, user):
    """Statements of one signed payment_intent.succeeded for a pending order of ``user``."""
    now = datetime.now(UTC)
    user.stripe_customer_id = f"cus_statements{user.id}"
    intent = f"pi_statements{user.id}"
    order = seed._order(user, None, "pending", now, stripe_payment_intent_id=intent, payment_attempted_at=now)
    db.session.add(order)
    db.session.commit()
    payload = events.succeeded_event(order.id, intent, order.amount_cents, user.stripe_customer_id)
    headers = {"Stripe-Signature": events.stripe_signature(payload)}
    client = app.test_client()
    return statements(
        lambda: client.post("/webhooks/stripe", data=payload, headers=headers, content_type=JSON)
    )


def seed_statement_customer(app, size):
    """A customer with ``size`` licenses and ``size`` pending orders (open on My licenses)."""
    email = f"statements{size}@bench.example.com"
    users = seed.add_users([email], seed.password_hash())
    user = users[email]
    now = datetime.now(UTC)
    seed.add_licensed_customer(user, size, now)
    for n in range(size):
        db.session.add(seed._order(user, None, "pending", now - timedelta(minutes=n)))
    db.session.commit()
    return email


def customer_pages(user):
    code = db.session.scalar(select(License.code).where(License.owner_id == user.id).limit(1))
    return {
        "My licenses": "/licenses",
        "License page": f"/licenses/{code}",
        "Certificate download": f"/licenses/{code}/certificates/1.lic",
        "Orders": "/orders",
    }


def statements_per_page(database, out):
    """SQL statements each page issues for a customer with 1 and with 100 licenses and orders."""
    app = seed.portal_app(database)
    table = {}
    with app.app_context(), signed_in(app, "licenses1@bench.example.com", "support") as (agent, _):
        for size in (1, 100):
            email = seed_statement_customer(app, size)
            with signed_in(app, email) as (client, user):
                pages = customer_pages(user) | {"Console: customer page": f"/support/customers/{user.id}"}
                for name, url in pages.items():
                    who = agent if name.startswith("Console") else client
                    table.setdefault(name, {})[size] = statements(lambda w=who, u=url: w.get(u))
                table.setdefault(WEBHOOK, {})[size] = webhook_statements(app, user)
    out(f"{'SQL statements per request':<34} {'at 1':>6} {'at 100':>7}")
    for name, counts in table.items():
        statuses = {status for _, status in counts.values()}
        note = "" if statuses == {200} else f"  (answered {sorted(statuses)})"
        out(f"{name:<34} {counts[1][0]:>6} {counts[100][0]:>7}{note}")
    return table


def console_urls(size, actor, big_customer):
    last_page = max(1, size // 50)
    return {
        "Customer list": "/support/customers",
        "Customer search": "/support/customers?q=hosting%2012",
        "Customer page (half the orders)": f"/support/customers/{big_customer}",
        "Orders list": "/support/orders",
        "Orders list, last page": f"/support/orders?page={last_page}",
        "Audit log": "/support/audit",
        "Audit log, last page": f"/support/audit?page={last_page}",
        "Audit log by actor": f"/support/audit?actor={actor}",
    }


def p50_ms(client, url, samples=CONSOLE_SAMPLES):
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        status = get(client, url)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    return statistics.median(times) * 1000


def console_lists(database, sizes, out):
    """p50 of the console's lists with ``sizes`` customers, orders and audit entries."""
    app = seed.portal_app(database)
    table = {}
    with app.app_context(), signed_in(app, "licenses10@bench.example.com", "admin") as (agent, user):
        seeded, big = 0, None
        for size in sizes:
            big = seed_crowd(seeded, size, actor_id=user.id, big_customer=big)
            seeded = size
            for name, url in console_urls(size, user.id, big).items():
                table.setdefault(name, {})[size] = p50_ms(agent, url)
    out(f"{'Console p50 (ms) at rows':<34}" + "".join(f" {size:>9}" for size in sizes) + "   ratio")
    for name, times in table.items():
        ratio = times[sizes[-1]] / times[sizes[0]]
        out(f"{name:<34}" + "".join(f" {times[size]:>9.1f}" for size in sizes) + f" {ratio:>6.1f}×")
    return table


def seed_crowd(start, stop, *, actor_id, big_customer=None):
    """Customers, orders and audit entries numbered ``start`` to ``stop``, inserted in bulk.

    Every other order is the first crowd customer's ("the big customer", whose id is returned).
    """
    now = datetime.now(UTC)
    hashed = seed.password_hash()
    for first in range(start, stop, 5000):
        numbers = range(first, min(stop, first + 5000))
        users = [_crowd_user(n, hashed, now) for n in numbers]
        ids = db.session.scalars(insert(User).returning(User.id), users).all()
        big_customer = big_customer or ids[0]
        owners = [big_customer if n % 2 else ids[i] for i, n in enumerate(numbers)]
        db.session.execute(insert(Order), [_crowd_order(n, owners[i], now) for i, n in enumerate(numbers)])
        db.session.execute(
            insert(AuditEntry), [_crowd_entry(n, ids[i], actor_id, now) for i, n in enumerate(numbers)]
        )
    db.session.commit()
    # Fresh statistics, as autovacuum (PostgreSQL) or a deployment's ANALYZE would leave them.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return big_customer


def _crowd_user(n, hashed, now):
    return {
        "email": f"crowd{n}@bench.example.com",
        "password_hash": hashed,
        "role": "customer",
        "company": f"Crowd Hosting {n}",
        "confirmed_at": now,
        "created_at": now - timedelta(seconds=n),
    }


def _crowd_order(n, user_id, now):
    return {
        "user_id": user_id,
        "kind": "new",
        "accounts": 50,
        "packs": 2,
        "amount_cents": 22500,
        "currency": "usd",
        "status": "paid" if n % 3 else "cancelled",
        "created_at": now - timedelta(minutes=n),
    }


def _crowd_entry(n, user_id, actor_id, now):
    return {
        # The agent's: the first 50 (a full page of the actor filter at every size), then every 50th.
        "actor_id": actor_id if n < 50 or n % 50 == 0 else None,
        "action": "order.cancel",
        "customer_id": user_id,
        "details": {},
        "created_at": now - timedelta(minutes=n),
    }


def process_pairs_ms(first, second, samples):
    """p50 of two Python processes run in turn, and the median of their per-pair ratio second/first.

    Run in turn, each pair meets the same load on a shared machine; the first pair, not counted,
    writes the bytecode caches.
    """
    # Bytecode caches on, as on a server (a shell may set PYTHONDONTWRITEBYTECODE).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

    def run(args):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True, env=env)
        return (time.perf_counter() - started) * 1000

    pairs = [(run(first), run(second)) for _ in range(samples + 1)][1:]
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(b / a for a, b in pairs),
    )


def extractor(database, out, samples=11):
    """The extractor verifying a certificate as a process, against a process that only imports Ed25519."""
    import json

    from app.models import Certificate
    from app.web.services import current_keyring

    with seed.portal_app(database).app_context():
        certificate = database.instance / "bench.lic"
        certificate.write_text(db.session.scalar(select(Certificate.text).limit(1)))
        keys = database.instance / "keys.json"
        keys.write_text(json.dumps({"keys": current_keyring().published()}))
    ed25519, alone, ratio = process_pairs_ms(
        ["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"],
        ["-m", "app.licensing.extractor", "--keys", str(keys), str(certificate)],
        samples,
    )
    out(
        f"Extractor process {alone:.1f} ms; Ed25519 import alone {ed25519:.1f} ms"
        f" (p50 of {samples} runs each, in turn): {ratio:.2f}× (median of the pairs' ratios)"
    )
    return ratio
