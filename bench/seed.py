"""The portal's database for a run: migrated, emptied, and filled with the customers the scenarios use."""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert, select, text

from app import create_app
from app.auth.passwords import current_passwords
from app.extensions import db
from app.licensing import keystore
from app.licensing.issuing import issue_next_certificate, new_license
from app.models import AuditEntry, Order, User
from app.web.services import current_keyring, current_terms
from config import ProductionConfig

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-4711"
WEBHOOK_SECRET = "whsec_bench"
BENCH_KEY_SECRET = "bench-license-key-secret-not-for-production"
BUYERS = 50
# The Redis database of the bench's own (its queue and rate limits), emptied before each run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CERTIFICATES_PER_LICENSE = 3
ORDERS_PER_LICENSE = 3

SELLER = {  # production requires who sells: every invoice names them
    "SELLER_NAME": "Bench Software Ltd",
    "SELLER_ADDRESS": "1 Bench Street\\nDublin",
    "SELLER_COUNTRY": "IE",
    "SELLER_VAT_ID": "IE6388047V",
}


@dataclass
class Database:
    """One database the bench runs on: its URL, the instance folder, and what was seeded in it."""

    url: str
    instance: Path
    customers: dict = field(default_factory=dict)  # email -> number of licenses
    pending_orders: list = field(default_factory=list)  # (order id, PaymentIntent id, amount, customer)

    @property
    def name(self):
        return "PostgreSQL" if self.url.startswith("postgresql") else "SQLite (WAL)"

    def portal_env(self):
        """The portal's environment: production settings on this database."""
        return {
            "PORTAL_ENV": "production",
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "PORTAL_URL": "http://127.0.0.1",
            "DATABASE_URL": self.url,
            "INSTANCE_PATH": str(self.instance),
            "LICENSE_KEY_SECRET": BENCH_KEY_SECRET,
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PROXY_FIX_HOPS": "1",  # each simulated client logs in from its own address
            "QUEUE_URL": REDIS_URL,  # email is queued for a worker (none runs during the bench)
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            **SELLER,
        }


def portal_app(database):
    """The portal in this process, with the settings its gunicorn workers get."""
    return create_app(
        ProductionConfig(),
        SQLALCHEMY_DATABASE_URI=database.url,
        INSTANCE_DIR=database.instance,
        LICENSE_KEY_SECRET=BENCH_KEY_SECRET,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_PUBLISHABLE_KEY="pk_test_bench",
        SECRET_KEY="bench-secret-key-not-for-production",
        PORTAL_URL="http://127.0.0.1",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
        RATELIMIT_ENABLED=False,
        SERVER_NAME=None,
        **SELLER,
    )


def migrate_empty(app):
    """Drop every table (the database is the bench's own), empty its Redis and migrate from scratch."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    with app.app_context():
        with db.engine.begin() as conn:
            # The baseline's tables, and one the models no longer have (migration 0015 drops it).
            for table in ("bench_items", "bench_hooks", "records_versions"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(ROOT / "migrations"))
        keystore.generate_key(db.session, BENCH_KEY_SECRET, datetime.now(UTC))
        db.session.commit()


def password_hash():
    """One hash with the production parameters, shared by every seeded account."""
    return current_passwords().hasher.hash(PASSWORD)


def add_users(emails, hashed, **fields):
    now = datetime.now(UTC)
    rows = [
        {"email": email, "password_hash": hashed, "role": "customer", "confirmed_at": now, "created_at": now}
        | fields
        for email in emails
    ]
    db.session.execute(insert(User), rows)
    return {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}


def add_licensed_customer(user, licenses, now):
    """``licenses`` paid licenses, each with its orders and a few certificates."""
    terms, keyring = current_terms(), current_keyring()
    for n in range(licenses):
        license = new_license(
            db.session, user, kind="paid", accounts=50, now=now, support_days=terms.support_days
        )
        for serial in range(CERTIFICATES_PER_LICENSE):
            issue_next_certificate(db.session, license, keyring, terms, reason=f"seed{serial}", now=now)
        for k in range(ORDERS_PER_LICENSE):
            placed = now - timedelta(days=n + k)
            db.session.add(_order(user, license, "paid", placed, paid_at=placed))


def _order(user, license, status, placed, **fields):
    terms = current_terms()
    return Order(
        user_id=user.id,
        license_id=license.id if license else None,
        kind="upgrade" if license else "new",
        accounts=terms.pack_size * 2,
        packs=2,
        amount_cents=terms.pack_size * 2 * terms.account_price_cents,
        currency=terms.currency,
        status=status,
        created_at=placed,
        **fields,
    )


def seed_customers(database, app, *, logins):
    """The page customers (1 and 10 licenses), and ``logins`` accounts for the login scenario."""
    with app.app_context():
        hashed = password_hash()
        now = datetime.now(UTC)
        for count in (1, 10):
            email = f"licenses{count}@bench.example.com"
            user = add_users([email], hashed)[email]
            add_licensed_customer(user, count, now)
            database.customers[email] = count
        add_users([f"login{n}@bench.example.com" for n in range(logins)], hashed)
        db.session.commit()


def seed_pending_orders(database, app, count):
    """``count`` distinct pending orders, each paid by its own PaymentIntent, for the webhook."""
    with app.app_context():
        emails = [f"buyer{n}@bench.example.com" for n in range(BUYERS)]
        buyers = add_users(emails, password_hash())
        for user in buyers.values():
            user.stripe_customer_id = f"cus_bench{user.id}"
        now = datetime.now(UTC)
        start = len(database.pending_orders)
        rows = [
            _row(_order(buyers[emails[n % BUYERS]], None, "pending", now), f"pi_bench_{start + n}", now)
            for n in range(count)
        ]
        db.session.execute(insert(Order), rows)
        db.session.commit()
        ids = [r["stripe_payment_intent_id"] for r in rows]
        found = db.session.execute(
            select(Order.id, Order.stripe_payment_intent_id, Order.amount_cents, User.stripe_customer_id)
            .join(User, User.id == Order.user_id)
            .where(Order.stripe_payment_intent_id.in_(ids))
            .order_by(Order.id)
        ).all()
        database.pending_orders.extend(tuple(row) for row in found)


def _row(order, payment_intent, now):
    columns = ("user_id", "kind", "accounts", "packs", "amount_cents", "currency", "status", "created_at")
    return {name: getattr(order, name) for name in columns} | {
        "stripe_payment_intent_id": payment_intent,
        "payment_attempted_at": now,
    }


def seed_rows(app, table_rows, customers_count):
    """The console's lists at a size: customers, orders and audit entries, inserted in bulk."""
    with app.app_context():
        hashed = password_hash()
        now = datetime.now(UTC)
        emails = [f"crowd{n}@bench-{customers_count}.example.com" for n in range(customers_count)]
        users = list(add_users(emails, hashed, company="Crowd Hosting").values())
        orders = [
            {
                "user_id": users[n % len(users)].id,
                "kind": "new",
                "accounts": 50,
                "packs": 2,
                "amount_cents": 22500,
                "currency": "usd",
                "status": "paid" if n % 3 else "cancelled",
                "created_at": now - timedelta(minutes=n),
            }
            for n in range(table_rows)
        ]
        _insert_chunked(Order, orders)
        agent = users[0].id
        entries = [
            {
                "actor_id": agent if n % 2 else None,
                "action": "order.cancel",
                "customer_id": users[n % len(users)].id,
                "details": {},
                "created_at": now - timedelta(minutes=n),
            }
            for n in range(table_rows)
        ]
        _insert_chunked(AuditEntry, entries)
        db.session.commit()


def _insert_chunked(model, rows, size=5000):
    for start in range(0, len(rows), size):
        db.session.execute(insert(model), rows[start : start + size])
