"""The framework's own ceiling: a bare Flask + SQLAlchemy app served the way the portal is.

Two endpoints, each the least a real page or webhook can do: ``GET /page`` renders a
5 KB Jinja page from one ORM query; ``POST /hook`` checks an HMAC-SHA256 signature of
the body and inserts one row. Its tables live in the portal's database, so both apps
pay the same database.
"""

import hashlib
import hmac
import os
import uuid
from datetime import UTC, datetime

from flask import Flask, abort, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, Text, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HOOK_SECRET = os.environ.get("BASELINE_HOOK_SECRET", "whsec_baseline").encode()
ITEMS = 24


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Item(db.Model):
    __tablename__ = "bench_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(200))


class Hook(db.Model):
    __tablename__ = "bench_hooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """The portal's SQLite settings (WAL, a busy timeout), so both apps meet the same database."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def sign(body, secret=HOOK_SECRET):
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def create_app(database_url=None):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["BASELINE_DATABASE_URL"]
    db.init_app(app)

    @app.get("/page")
    def page():
        items = db.session.scalars(select(Item).where(Item.owner == "bench").order_by(Item.id)).all()
        return render_template("page.html", items=items)

    @app.post("/hook")
    def hook():
        body = request.get_data()
        if not hmac.compare_digest(sign(body), request.headers.get("X-Signature", "")):
            abort(400)
        # wrk cycles through a few thousand signed bodies: the stored id is made unique per delivery.
        event_id = f"{request.headers['X-Event-Id']}-{uuid.uuid4().hex}"
        db.session.add(Hook(event_id=event_id, body=body.decode(), received_at=_now()))
        db.session.commit()
        return {"outcome": "stored"}

    return app


def _now():
    return datetime.now(UTC)


def seed(app):
    """The baseline's tables, with the rows its page shows."""
    with app.app_context():
        db.create_all()
        db.session.execute(db.delete(Hook))
        if db.session.scalar(select(Item.id).limit(1)) is None:
            db.session.add_all(
                Item(owner="bench", name=f"Item {n}", detail=f"{'detail ' * 12}{n}") for n in range(ITEMS)
            )
        db.session.commit()
