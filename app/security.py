"""Security headers, safe redirects and role checks."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user


def safe_next(target, fallback):
    """A local path to return to after login, never another site."""
    if not target:
        return fallback
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target if target.isprintable() else fallback  # no line break can reach a Location header


def local_path(value):
    """Filter for a form's ``next`` field: a safe local path, or nothing (dropped, never an error)."""
    return safe_next(value, "")


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(config):
    stripe = _origin(config.get("STRIPE_JS_URL"))
    extra_connect = " https://api.stripe.com" if stripe == "https://js.stripe.com" else ""
    frames = " https://js.stripe.com https://hooks.stripe.com" if extra_connect else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe}".strip(),
            f"connect-src 'self' {stripe}{extra_connect}".strip(),
            f"frame-src 'self'{frames}",
            "img-src 'self' data:",
            "style-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app):
    csp = content_security_policy(app.config)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def _only_for(allowed):
    """Pages for some roles only do not exist for anyone else: 404, not 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not allowed(current_user):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = _only_for(lambda user: user.is_staff)
admin_required = _only_for(lambda user: user.is_admin)


def confirmed_required(view):
    """Ordering needs a confirmed email address."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_confirmed:
            flash("Confirm your email address first: we sent you a link when you registered.", "warning")
            return redirect(url_for("portal.home"))
        return view(*args, **kwargs)

    return wrapped


def wants_json():
    return request.accept_mimetypes.best == "application/json"


def client_and_email():
    """Rate-limit key: guesses at one account count apart from the client's other traffic."""
    return f"{get_remote_address()}|{(request.form.get('email') or '').strip().lower()}"


def signed_in_user():
    """Rate-limit key: the signed-in user, wherever they connect from."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()
