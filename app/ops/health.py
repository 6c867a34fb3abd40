"""/healthz: the process answers. /readyz: it can do its work, as every other host does it.

Ready means the database answers, its schema is the one this code was written for (or newer: a
release migrates before its code rolls out) and the shared keyring opens. The task queue being
down degrades the host (email and jobs wait) but keeps it in the load balancer: pages still work,
and every web host would otherwise leave at once.

Anyone reads whether the host is ready and the key id it signs with (printed on every certificate).
Which part fails, and the configuration fingerprint, are told only to operators (METRICS_TOKEN or
METRICS_ALLOW, as for /metrics): to anyone else they are a map of the host's weak points.
"""

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, limiter
from app.ops.metrics import operator_request, probe_queue

bp = Blueprint("ops", __name__)


class SchemaBehind(Exception):
    """The database's schema is older than this code's newest migration."""


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def code_schema_revisions(app):
    """This code's migration scripts, read once: the head, and every revision the code knows."""
    known = app.extensions.get("schema_revisions")
    if known is None:
        from alembic.script import ScriptDirectory

        scripts = ScriptDirectory(str(Path(app.root_path).parent / "migrations"))
        known = app.extensions["schema_revisions"] = (
            scripts.get_current_head(),
            {revision.revision for revision in scripts.walk_revisions()},
        )
    return known


def database_revision():
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _database(found):
    db.session.execute(text("SELECT 1"))


def _schema(found):
    head, known = code_schema_revisions(current_app)
    revision = found["schema"] = database_revision()
    # A revision this code does not know is newer: migrated for the next release, which is additive.
    if revision != head and (revision is None or revision in known):
        raise SchemaBehind(f"database at {revision}, code at {head}: run 'flask db upgrade'")


def _signing_key(found):
    from app.licensing.keystore import keyring_id  # loads the extractor, which also runs standalone
    from app.web.services import current_keyring

    ring = current_keyring()
    found["signing_key"], found["keyring"] = ring.signing_key_id, keyring_id(ring)


def _queue(found):
    probe_queue(current_app)


REQUIRED = (("database", _database), ("schema", _schema), ("signing key", _signing_key))
OPTIONAL = (("queue", _queue),)


def run_checks(checks, found):
    """Each check's result by name, and the names of those that failed; the session is left clean."""
    results, failing = {}, []
    for name, check in checks:
        try:
            check(found)
            results[name] = "ok"
        except Exception as exc:
            current_app.logger.warning("readiness: %s is not ready: %s", name, exc)
            results[name] = f"failing: {type(exc).__name__}"
            failing.append(name)
            if name == "database":
                break  # nothing else can be read from it
        finally:
            db.session.rollback()
    return results, failing


def configuration_fingerprint(found):
    """What must match across hosts: a hash prefix of SECRET_KEY (never the key), the keyring, the schema."""
    secret = current_app.config["SECRET_KEY"] or ""
    return {
        "secret_key": hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12],
        "keyring": found.get("keyring"),
        "schema": found.get("schema"),
    }


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when the host can serve (perhaps degraded), else 503; operators also read which parts fail."""
    found = {}
    results, failing = run_checks(REQUIRED, found)
    optional, degraded = run_checks(OPTIONAL, found)
    body = {"status": "not ready" if failing else "ready", "signing_key": found.get("signing_key")}
    if operator_request():
        body |= {
            "failing": failing,
            "degraded": degraded,
            "checks": results | optional,
            "configuration": configuration_fingerprint(found),
        }
    return jsonify(body), 503 if failing else 200
