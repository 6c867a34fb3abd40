"""The support console, for staff only."""

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.security import staff_required

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.route("/")
@login_required
@staff_required
def index():
    customers = db.session.scalar(select(func.count()).where(User.role == "customer"))
    unconfirmed = db.session.scalar(
        select(func.count()).where(User.role == "customer", User.confirmed_at.is_(None))
    )
    return render_template("support/index.html", customers=customers, unconfirmed=unconfirmed)
