"""Request-wide guards: ids in range, no NUL in addresses, private pages not cached, SQLite kept private."""

import contextlib
import os
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

# The largest id the database stores: every key is a signed 32-bit `integer`; larger ids in a URL are 404.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an id too large for the database is simply not found."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_number(text):
    """`type=` for an id in a query string: out of range is no id at all (ValueError → the default)."""
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise ValueError(text)
    return value


def page_number(text):
    """`type=` for a page number: beyond any real page is refused, so the first page shows."""
    value = int(text)
    if not 0 < value <= 1_000_000:
        raise ValueError(text)
    return value


def _private_sqlite_file(uri):
    """Create the SQLite file readable by its owner only: it holds password hashes and live links."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or uri == prefix or ":memory:" in uri:
        return
    path = uri[len(prefix) :].split("?", 1)[0]
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Never open an existing database file here: closing any descriptor of it would drop the
    # SQLite locks this process's connections hold on it (POSIX locks are per process).
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def refuse_nul_in_address():
    """A NUL in the path or query string reaches no view: PostgreSQL refuses it in any query."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, "The address contains a NUL character. Remove it and try again.")


def drop_malformed_referer():
    """A Referer with a malformed port counts as none (the CSRF check then refuses it), not a 500."""
    referer = request.environ.get("HTTP_REFERER")
    if referer is None:
        return
    try:
        _ = urlsplit(referer).port
    except ValueError:
        del request.environ["HTTP_REFERER"]


def init_app(app):
    app.url_map.converters["int"] = IdConverter
    _private_sqlite_file(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    app.before_request(refuse_nul_in_address)
    app.before_request(drop_malformed_referer)

    @app.after_request
    def no_store_for_signed_in_pages(response):
        if "Cache-Control" not in response.headers and current_user and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
