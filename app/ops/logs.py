"""One log line per request, with a request id; JSON lines in production, readable text in development."""

import json
import logging
import re
import socket
import time
import uuid

from flask import g, has_request_context, request
from flask_login import current_user

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
log = logging.getLogger("portal.request")


class JSONFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, host and process, message and any extra fields."""

    host = socket.gethostname()

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "host": self.host,
            "pid": record.process,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in RECORD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JSONFormatter.converter = time.gmtime


class RequestIdFilter(logging.Filter):
    """Every line logged while serving a request carries its id."""

    def filter(self, record):
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


def configure_logging(log_format):
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "portal_handler", False)]:
        root.removeHandler(old)
    handler.portal_handler = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    log.disabled = False  # `flask db upgrade` (alembic's fileConfig) disables loggers it does not name


def _start():
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    user_id = current_user.get_id() if current_user and current_user.is_authenticated else None
    user_id = user_id.partition(":")[0] if user_id else None
    log.info(
        "%s %s %s %sms user=%s",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        user_id or "-",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user_id,
        },
    )
    return response


def init_app(app):
    # First of all, so a request refused early (CSRF, rate limit) is timed and logged with its id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
