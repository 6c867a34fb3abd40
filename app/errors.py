"""Error pages in the site's layout."""

from flask import Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError

from app.extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Forbidden", "You do not have access to this page."),
    404: ("Page not found", "There is nothing here. Check the address, or start again from the link below."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too large", "What you sent is larger than the portal accepts (1 MB). Please send less."),
    429: (
        "Too many attempts",
        "You have tried this too many times in a short while. Please wait a minute and try again.",
    ),
    500: (
        "Something went wrong",
        "We could not complete your request. Nothing was changed; please try again.",
    ),
}


API_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}


def render_error(code, message=None):
    title, text = MESSAGES[code]
    if request.path.startswith("/api/"):
        return jsonify(error={"code": API_CODES.get(code, "server_error"), "message": message or text}), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def _own_message(error, code):
    """The message an ``abort(400, message)`` gave, if any (not werkzeug's generic text)."""
    if code != 400 or error.description == type(error).description:
        return None
    return error.description


def init_app(app):
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda e, code=code: render_error(code, _own_message(e, code)))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            "This form has expired or was not sent from the portal. Please reload the page and try again.",
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No page in the layout: its links would need the very host that is not trusted.
        return Response("This portal does not answer to that host name.\n", 400, mimetype="text/plain")

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
