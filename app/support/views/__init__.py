"""The support console, for staff only: trials, customers, orders, the audit log and the staff.

Every page of the blueprint needs a logged-in staff user; anyone else gets 404.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, render_template
from flask_login import login_required
from sqlalchemy import func, select

from app import audit
from app.api.installations import servers_over_limit
from app.extensions import db
from app.models import License, Order, TrialRequest, User
from app.security import staff_required
from app.services import current_keyring
from app.trials.service import TrialTerms

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
    return count(select(TrialRequest.id).where(TrialRequest.status == "pending"))


def now():
    return datetime.now(UTC)


def trial_terms():
    return TrialTerms.from_config(current_app.config)


def keyring():
    return current_keyring()


def pack_size():
    return current_app.config["PACK_SIZE"]


def count(query):
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@bp.route("/")
def index():
    moment = now()
    stats = {
        "pending_trials": pending_trial_count(),
        "trials_ending": count(
            select(License.id).where(
                License.kind == "trial",
                License.status == "active",
                License.trial_expires_at > moment,
                License.trial_expires_at <= moment + timedelta(days=7),
            )
        ),
        "disputed_orders": count(select(Order.id).where(Order.status == "disputed")),
        "flagged_orders": count(select(Order.id).where(Order.flagged.is_(True))),
        "customers": count(select(User.id).where(User.role == "customer")),
        "unconfirmed": count(select(User.id).where(User.role == "customer", User.confirmed_at.is_(None))),
    }
    recent = db.session.scalars(audit.entries().limit(8)).all()
    return render_template(
        "support/index.html", stats=stats, recent=recent, over_limit=servers_over_limit(db.session)
    )


# The console's pages, registered on `bp` when imported.
from app.support.views import audit_log, customers, orders, staff_admin, trial_queue  # noqa: E402, F401
