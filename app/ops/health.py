"""/healthz: the process answers. /readyz: it can do its work (database, signing key, queue).

Which part fails is told only to operators (METRICS_TOKEN or METRICS_ALLOW, as for /metrics):
to anyone else it is a map of the host's weak points.
"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app import queue
from app.extensions import db, limiter
from app.ops.metrics import operator_request

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def _database():
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _signing_key():
    from app.web.services import current_keyring  # loads the extractor, which also runs standalone

    current_keyring()


def _queue():
    queue.ping(current_app)


CHECKS = (("database", _database), ("signing key", _signing_key), ("queue", _queue))


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when every part answers, else 503; operators also read which parts do not."""
    results, failing = {}, []
    for name, check in CHECKS:
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            current_app.logger.warning("readiness: %s is not ready: %s", name, exc)
            results[name] = f"unreachable: {type(exc).__name__}"
            failing.append(name)
    details = {"failing": failing, "checks": results} if operator_request() else {}
    if failing:
        return jsonify(status="not ready", **details), 503
    return jsonify(status="ready", **details)
