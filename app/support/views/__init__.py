"""The support console, for staff only: trials, customers, orders, the audit log and the staff.

Every page of the blueprint needs a logged-in staff user; anyone else gets 404.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, flash, render_template, request
from flask_login import login_required
from sqlalchemy import func, literal, select

from app import audit
from app.api.installations import servers_over_limit
from app.billing.fulfilment import FulfilmentSettings
from app.exceptions import PortalError
from app.extensions import db
from app.guards import page_number
from app.models import (
    License,
    LicenseKind,
    LicenseStatus,
    Order,
    OrderStatus,
    TrialRequest,
    TrialRequestStatus,
    User,
)
from app.security import staff_required
from app.web.services import current_keyring, current_terms

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.before_request
@login_required
@staff_required
def require_staff():
    """Runs before every console page: the decorators answer for anyone who is not staff."""


@bp.context_processor
def console_context():
    return {"pending_trial_count": pending_trial_count}


def pending_trial_count():
    return count(select(TrialRequest.id).where(TrialRequest.status == TrialRequestStatus.PENDING))


def now():
    return datetime.now(UTC)


def signing():
    """What an action that issues a certificate is given: the key ring, the terms and the time."""
    return {"keyring": current_keyring(), "terms": current_terms(), "now": now()}


def fulfilment_settings(given, gateway=None):
    """The settings a refund or a dispute's end is applied with, from what ``signing()`` gave."""
    return FulfilmentSettings(keyring=given["keyring"], terms=given["terms"], gateway=gateway)


def console_action(act, done, *, back, refused=None, category="success"):
    """The console's one way to act: run ``act()``, commit, say ``done(result)`` and go ``back``.

    A ``PortalError`` rolls everything back; its message is flashed, or handed to
    ``refused(error)`` when the page shows it beside a form instead.
    """
    try:
        result = act()
    except PortalError as error:
        db.session.rollback()
        if refused is not None:
            return refused(error)
        flash(error.message, "warning")
        return back
    db.session.commit()
    flash(done(result), category)
    return back


def count(query):
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


LIST_COUNT_CAP = 2_000  # 40 pages of 50: further back, the date filters


def bounded_page(query, per_page, cap=None, param="page"):
    """The requested page of ``query``, counting at most ``cap`` rows and paging no further.

    Neither the count nor the OFFSET of a page reads a whole big table: past ``cap`` rows
    the list says "more than", and its date filters reach the older rows.
    """
    cap = cap or LIST_COUNT_CAP
    # Counted over a constant, not the rows' columns: an index that serves the filter answers it.
    rows = query.with_only_columns(literal(1), maintain_column_froms=True).order_by(None).limit(cap + 1)
    total = count(rows)
    pages = max(1, -(-min(total, cap) // per_page))
    number = min(request.args.get(param, 1, type=page_number), pages)
    page = db.paginate(query, page=number, per_page=per_page, error_out=False, count=False)
    page.total = min(total, cap)
    page.capped = total > cap
    return page


@bp.route("/")
def index():
    moment = now()
    stats = {
        "pending_trials": pending_trial_count(),
        "trials_ending": count(
            select(License.id).where(
                License.kind == LicenseKind.TRIAL,
                License.status == LicenseStatus.ACTIVE,
                License.trial_expires_at > moment,
                License.trial_expires_at <= moment + timedelta(days=7),
            )
        ),
        "disputed_orders": count(select(Order.id).where(Order.status == OrderStatus.DISPUTED)),
        "flagged_orders": count(select(Order.id).where(Order.flagged.is_(True))),
        "customers": count(select(User.id).where(User.role == "customer")),
        "unconfirmed": count(select(User.id).where(User.role == "customer", User.confirmed_at.is_(None))),
    }
    recent = db.session.scalars(audit.entries().limit(8)).all()
    return render_template(
        "support/index.html", stats=stats, recent=recent, over_limit=servers_over_limit(db.session)
    )


# The console's pages, registered on `bp` when imported.
from app.support.views import (  # noqa: E402, F401
    audit_log,
    conversations,
    customer_tools,
    customers,
    orders,
    staff_admin,
    trial_queue,
)
